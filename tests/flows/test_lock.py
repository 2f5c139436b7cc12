"""The job lock, the one atomic confirm, update dedupe: a double click never starts or charges twice."""

from __future__ import annotations

import asyncio
import logging

import pytest

from storage import JobLocks
from storage.database import now
from tests.conftest import Harness
from tests.flows.helpers import User, balance, jobs, ledger_sum

LOCK_TEXT = "⏳ У вас уже идёт генерация\n\nДождитесь результата или нажмите /start для отмены."


async def _at_confirmation(user: User, model: str = "google/nano-banana") -> None:
    await user.open_model("🖼 Изображения", model)
    await user.press("🚀 Генерировать")
    await user.send("Кот в очках")
    await user.press("➡️ Пропустить — по умолчанию")
    assert "Проверьте заказ" in user.text


async def test_twenty_concurrent_confirms_make_one_job_and_one_debit(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    user = User(harness)
    await _at_confirmation(user)
    data = user.data_of("✅ Запустить")
    caplog.set_level(logging.INFO)
    updates = [user.chatter.press_update(data, message_id=1000) for _ in range(20)]
    await asyncio.gather(*(user.chatter.feed(update) for update in updates))
    calls = harness.take()
    assert len(await jobs(harness)) == 1
    debits = await harness.db.fetch_all("SELECT amount FROM ledger WHERE reason = 'job'")
    assert [row[0] for row in debits] == [-400]
    assert await balance(harness) == 5000 - 400 == await ledger_sum(harness)
    popups = [c.text for c in calls if type(c).__name__ == "AnswerCallbackQuery"]
    assert popups.count(LOCK_TEXT) == 19 and popups.count(None) == 1
    assert sum("Lock acquired for user 7" in r.getMessage() for r in caplog.records) == 1


async def test_a_new_generation_while_one_runs_gets_the_lock_text(harness: Harness) -> None:
    user = User(harness)
    await _at_confirmation(user)
    await user.press("✅ Запустить")
    await user.press("🏠 В меню")  # not /start: that would cancel waiting
    await user.press("🎬 Видео")
    await user.press_data("pick_model|kling-2.6/text-to-video")
    await user.press("🚀 Генерировать")
    assert user.popups == [LOCK_TEXT]
    assert await user.state() == "studio.card"


async def test_start_releases_the_lock_and_the_paid_job_stays(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = User(harness)
    await _at_confirmation(user)
    await user.press("✅ Запустить")
    assert await JobLocks(harness.db).held(7) is not None
    await user.start()
    assert await JobLocks(harness.db).held(7) is None
    messages = [r.getMessage() for r in caplog.records]
    assert "🔒 Lock acquired for user 7" in messages and "🔓 Lock released for user 7" in messages
    [job] = await jobs(harness)
    assert job["state"] == "created" and job["price"] == 400
    await _at_confirmation(user, "google/imagen4-fast")
    await user.press("✅ Запустить")
    assert len(await jobs(harness)) == 2


async def test_an_expired_lock_is_taken_over_and_cleaned_up(harness: Harness) -> None:
    await harness.db.execute(
        "INSERT INTO job_locks (user_id, job_id, acquired_at, expires_at) VALUES (7, NULL, ?, ?)",
        (now() - 3600, now() - 1),
    )
    await harness.db.execute(
        "INSERT INTO job_locks (user_id, job_id, acquired_at, expires_at) VALUES (8, NULL, ?, ?)",
        (now() - 3600, now() - 1),
    )
    user = User(harness)
    await _at_confirmation(user)
    await user.press("✅ Запустить")
    assert "принята" in user.text
    lock = await JobLocks(harness.db).held(7)
    assert lock is not None and lock.job_id == 1 and lock.expires_at - lock.acquired_at == 30 * 60
    assert await JobLocks(harness.db).cleanup_expired() == 1  # user 8's
    assert await JobLocks(harness.db).count() == 1


async def test_the_same_update_three_times_is_handled_once(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    user = User(harness)
    await _at_confirmation(user)
    caplog.set_level(logging.INFO)
    update = user.chatter.press_update(user.data_of("✅ Запустить"), message_id=1000)
    for _ in range(3):
        await user.chatter.feed(update)
    calls = harness.take()
    assert len([c for c in calls if type(c).__name__ == "AnswerCallbackQuery"]) == 1
    assert len(await jobs(harness)) == 1
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count(f"✅ Update {update.update_id} marked as NEW (first time)") == 1
    assert messages.count(f"⏭️ Update {update.update_id} already exists (duplicate)") == 2


async def test_not_enough_balance_debits_nothing_and_takes_no_lock(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🎬 Видео", "google/veo-3.1")
    await user.press("🚀 Генерировать")
    await user.send("Кофейня утром")
    await user.press("⚙️ Настроить")
    await user.press("Quality — максимум качества")
    await user.press("✓ 9:16 вертикальный")
    assert "Стоимость: <b>200 ₽</b>" in user.text and "Не хватает 150 ₽" in user.text
    await user.press_data("launch")  # an old confirmation's button, pressed anyway
    assert user.notices == ["💳 Не хватает 150 ₽. Пополните баланс в 💎 Тарифах — ответы сохранятся."]
    assert await jobs(harness) == [] and await JobLocks(harness.db).held(7) is None
    assert await balance(harness) == 5000 == await ledger_sum(harness)
    await user.press("💎 Пополнить баланс")
    assert "💎 Тарифы" in user.text


@pytest.mark.parametrize(
    ("choices", "price"),
    [
        (["✓ 5 секунд", "✓ 720p"], 4800),
        (["10 секунд", "✓ 720p"], 9600),
        (["✓ 5 секунд", "1080p"], 8000),
    ],
)
async def test_the_price_shown_is_the_price_debited(harness: Harness, choices: list[str], price: int) -> None:
    await harness.db.execute(
        "INSERT INTO ledger (user_id, amount, reason, reference, created_at) VALUES (7, 100000, 'grant', 't', 0)"
    )
    await harness.db.execute("INSERT INTO accounts (user_id, balance, updated_at) VALUES (7, 100000, 0)")
    user = User(harness)
    await user.open_model("🎬 Видео", "wan/2-5-image-to-video")
    await user.press("🚀 Генерировать")
    await user.photo()
    await user.send("Цветы колышутся")
    await user.press("⚙️ Настроить")
    for choice in choices:
        await user.press(choice)
    shown = f"Стоимость: <b>{price // 100} ₽</b>"
    assert shown in user.text, user.text
    before = await balance(harness)
    await user.press("✅ Запустить")
    assert await balance(harness) == before - price
    [job] = await jobs(harness)
    assert job["price"] == price
    assert await balance(harness) == await ledger_sum(harness)
