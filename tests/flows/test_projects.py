"""💼 Мои проекты and the buttons under a result: list, card, the result again, repeat — owner only."""

from __future__ import annotations

from aiogram.methods import SendPhoto

from tests.flows.conftest import Studio, order
from tests.flows.helpers import User, jobs


async def _delivered(studio: Studio, user: User) -> int:
    job_id = await order(user, "🖼 Изображения", "google/nano-banana", ["Кот в шляпе", "!➡️ Пропустить"])
    await studio.runner.settled(job_id)
    studio.harness.take()
    return job_id


async def test_projects_list_the_jobs_and_a_card_gives_the_result_again(studio: Studio) -> None:
    user = User(studio.harness)
    job_id = await _delivered(studio, user)
    await user.start()
    await user.press("💼 Мои проекты")
    assert "Всего генераций: 1" in user.text
    [item] = [label for label in user.flat_buttons if label.startswith("Nano Banana ·")]
    assert item.endswith("· ✅ готово · 4 ₽")
    await user.press(item)
    assert f"<b>Задача №{job_id}</b> · Nano Banana" in user.text and "• Описание картинки: Кот в шляпе" in user.text
    await user.press("📥 Получить результат ещё раз")
    assert len([c for c in user.calls if isinstance(c, SendPhoto)]) == 1
    assert len(await jobs(studio.harness)) == 1  # nothing new was generated or charged


async def test_repeat_goes_straight_to_the_confirmation(studio: Studio) -> None:
    user = User(studio.harness)
    job_id = await _delivered(studio, user)
    await user.start()
    await user.press_data(f"repeat|{job_id}")  # the button under the delivered photo
    assert "Проверьте заказ" in user.text and "• Описание картинки: Кот в шляпе" in user.text
    await user.press("✅ Запустить")
    second = (await jobs(studio.harness))[-1]
    assert second["id"] != job_id and second["inputs"] == (await jobs(studio.harness))[0]["inputs"]


async def test_another_users_job_cannot_be_opened_or_repeated(studio: Studio) -> None:
    owner = User(studio.harness)
    job_id = await _delivered(studio, owner)
    stranger = User(studio.harness, user_id=99)
    await stranger.start()
    await stranger.press("💼 Мои проекты")
    assert "Всего генераций: 0" in stranger.text
    await stranger.press_data(f"open_job|{job_id}")
    assert stranger.notices == ["Такой задачи нет в ваших проектах."]
    await stranger.press_data(f"repeat|{job_id}")
    assert stranger.notices == ["Такой задачи нет в ваших проектах."]
    assert await stranger.state() == "studio.projects"
    await stranger.press_data("resend|1")  # not a button of the screen they are on
    assert stranger.popups == ["Эта кнопка устарела — показываю актуальный экран 👇"]
