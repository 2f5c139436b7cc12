"""Generation end to end: the bot's Kie client speaks HTTP to the fake Kie server on 127.0.0.1, the runner
polls, delivers through the recording Bot session, refunds failures — exactly once, across restarts."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import (
    EditMessageText,
    SendAnimation,
    SendAudio,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)

from engine.app import build_dispatcher
from engine.bundle import Bundle
from engine.testing import TOKEN, RecordingSession
from flows.runner import RunnerSettings
from storage import Database, JobLocks
from tests.conftest import Harness
from tests.flows.conftest import Studio, order
from tests.flows.helpers import User, balance, ledger_sum


def _sent(calls: list[TelegramMethod[Any]], kind: type) -> list[Any]:
    return [c for c in calls if isinstance(c, kind)]


@pytest.mark.parametrize(
    ("category", "model", "answers", "method"),
    [
        ("🖼 Изображения", "google/nano-banana", ["Кот в очках", "!➡️ Пропустить"], SendPhoto),
        ("🎬 Видео", "kling-2.6/text-to-video", ["Кот", "!✓ 9:16", "!✓ 5 секунд", "!Нет"], SendAnimation),
        ("🎧 Аудио", "elevenlabs/sound-effect-v2", ["Шум прибоя", "!✓ 5"], SendAudio),
        ("🧰 Инструменты", "recraft/crisp-upscale", ["PHOTO"], SendPhoto),
    ],
)
async def test_each_media_type_is_delivered_with_its_send_method(
    studio: Studio, category: str, model: str, answers: list[str], method: type
) -> None:
    user = User(studio.harness)
    job_id = await order(user, category, model, answers)
    job = await studio.runner.settled(job_id)
    assert job.state == "delivered"
    calls = studio.harness.take()
    [result] = _sent(calls, method)
    assert result.caption.startswith("✅ <b>")
    assert [b.callback_data for row in result.reply_markup.inline_keyboard for b in row] == [
        f"repeat|{job_id}",
        "to_menu",
    ]
    edits = [c.text for c in calls if isinstance(c, EditMessageText) and f"Задача №{job_id}" in c.text]
    assert edits and "готово" in edits[-1]  # the status message was edited as the job went on
    assert await JobLocks(studio.harness.db).held(7) is None


async def test_a_user_photo_goes_through_kie_upload_and_the_token_never_leaves(studio: Studio) -> None:
    user = User(studio.harness)
    job_id = await order(user, "🧰 Инструменты", "topaz/image-upscale", ["PHOTO", "!✓ ×2"])
    await studio.runner.settled(job_id)
    assert studio.harness.session.downloads and TOKEN in studio.harness.session.downloads[0]
    task = next(iter(studio.fake.tasks.values()))
    assert task.params["image_url"].startswith(f"{studio.fake.base_url}/files/upload-")
    uploaded = [content for name, (content, _) in studio.fake.files.items() if name.startswith("upload-")]
    assert uploaded == [b"user file photo-topaz-image-upscale"]
    assert not any(TOKEN in repr(t.params) for t in studio.fake.tasks.values())


async def test_several_results_arrive_as_an_album(studio: Studio) -> None:
    user = User(studio.harness)
    job_id = await order(user, "🎼 Музыка", "suno/v5", ["Джингл", "!Да"])
    await studio.runner.settled(job_id)
    calls = studio.harness.take()
    [album] = _sent(calls, SendMediaGroup)
    assert len(album.media) == 2 and album.media[0].caption.startswith("✅ <b>Suno V5</b>")
    assert any(isinstance(c, SendMessage) and c.reply_markup and "Готово" in c.text for c in calls)


async def test_a_text_model_answers_in_the_chat(studio: Studio) -> None:
    user = User(studio.harness)
    job_id = await order(user, "✍️ Тексты", "text/assistant", ["Придумай слоган для кофейни"])
    job = await studio.runner.settled(job_id)
    assert job.result_text is not None and "Придумай слоган" in job.result_text
    [answer] = [c for c in _sent(studio.harness.take(), SendMessage) if c.text.startswith("✅ Маркетинг-ассистент")]
    assert "Придумай слоган для кофейни" in answer.text and answer.reply_markup is not None


@pytest.mark.parametrize(
    ("prompt", "scripted", "cause", "text"),
    [
        ("Кот [fail:moderation]", [], "moderation", "отклонила запрос модерацией"),
        ("Кот [fail:error]", [], "unknown", "генерация не удалась"),
        ("Кот", [(200, 422)], "bad_input", "не приняла параметры"),
        ("Кот", [(402, 402)], "out_of_credits", "временно недоступен"),
        ("Кот", [(500, 500)] * 12, "provider_down", "сейчас недоступен"),
        ("Кот", [(200, 455)] * 12, "provider_down", "сейчас недоступен"),
    ],
)
async def test_each_failure_is_explained_and_refunded_exactly(
    studio: Studio, prompt: str, scripted: list[tuple[int, int]], cause: str, text: str
) -> None:
    user = User(studio.harness)
    studio.fake.fail_next.extend(scripted)
    job_id = await order(user, "🖼 Изображения", "google/imagen4", [prompt, "!➡️ Пропустить"])
    job = await studio.runner.settled(job_id)
    assert (job.state, job.error_cause, job.refunded) == ("failed", cause, True)
    assert await balance(studio.harness) == 5000 == await ledger_sum(studio.harness)
    moves = await studio.harness.db.fetch_all("SELECT reason, amount FROM ledger WHERE reason != 'welcome' ORDER BY id")
    assert [tuple(m) for m in moves] == [("job", -700), ("refund", 700)]
    messages = [c.text for c in _sent(studio.harness.take(), SendMessage)]
    [failure] = [m for m in messages if text in m]
    assert "7 ₽ вернулись на баланс" in failure
    assert await JobLocks(studio.harness.db).held(7) is None


async def test_a_timeout_refunds_a_free_job_into_the_quota(studio: Studio, bundle: Bundle) -> None:
    await studio.restart(bundle, RunnerSettings(poll_schedule=((float("inf"), 0.02),), timeout=0.2, status_every=0))
    user = User(studio.harness)
    job_id = await order(user, "🖼 Изображения", "z-image", ["Кот [never]", "!✓ 1:1"])
    job = await studio.runner.settled(job_id)
    assert (job.state, job.error_cause) == ("timed_out", "timeout")
    row = await studio.harness.db.fetch_one("SELECT used FROM free_uses WHERE user_id = 7")
    assert row is not None and row[0] == 0
    messages = [c.text for c in _sent(studio.harness.take(), SendMessage)]
    assert any("не успела" in m and "вернулась в дневной лимит" in m for m in messages)


async def test_a_burst_of_429_and_500_is_retried_then_succeeds(studio: Studio) -> None:
    studio.fake.fail_next.extend([(429, 429), (500, 500), (200, 429)])
    user = User(studio.harness)
    job_id = await order(user, "🖼 Изображения", "google/nano-banana", ["Кот", "!➡️ Пропустить"])
    job = await studio.runner.settled(job_id)
    assert job.state == "delivered" and await balance(studio.harness) == 5000 - 400
    assert len(studio.fake.tasks) == 1  # retried calls, one task


async def test_a_restart_while_a_job_runs_delivers_once_and_charges_once(studio: Studio, bundle: Bundle) -> None:
    studio.fake.timings = (0.05, 0.05, 0.3)
    user = User(studio.harness)
    job_id = await order(user, "🖼 Изображения", "google/nano-banana", ["Кот", "!➡️ Пропустить"])
    await studio.runner.wait_for(job_id, lambda job: job.state in ("submitted", "running"))
    await studio.restart(bundle)  # the old runner stops mid-job; the new one resumes from SQLite
    job = await studio.runner.settled(job_id)
    assert job.state == "delivered"
    photos = _sent(studio.harness.take(), SendPhoto)
    assert len(photos) == 1 and len(studio.fake.tasks) == 1
    assert await balance(studio.harness) == 5000 - 400 == await ledger_sum(studio.harness)


async def test_duplicate_callbacks_deliver_once(studio: Studio, bundle: Bundle) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from engine.config import load_settings
    from engine.serve import webhook_app

    settings = load_settings({"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://bot.example.com/tg", "WEBHOOK_SECRET": "s"})
    app = webhook_app(studio.harness.dispatcher, studio.harness.bot, settings, bundle.registry)
    app.on_startup.clear()  # the studio fixture already started the runner
    app.on_shutdown.clear()
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        studio.runner.settings.callback_url = str(client.make_url("/kie/callback"))
        studio.runner.settings.poll_schedule = ((float("inf"), 60.0),)  # only a callback can finish it in time
        studio.fake.duplicate_callbacks = True
        user = User(studio.harness)
        job_id = await order(user, "🖼 Изображения", "google/nano-banana", ["Кот", "!➡️ Пропустить"])
        job = await studio.runner.settled(job_id)
        assert job.state == "delivered"
        assert next(iter(studio.fake.tasks.values())).callbacks_sent == 2
        assert len(_sent(studio.harness.take(), SendPhoto)) == 1
        forged = await client.post("/kie/callback", json={"nothing": 1})
        assert forged.status == 400


async def test_signed_callbacks_are_checked(studio: Studio, bundle: Bundle) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from engine.config import load_settings
    from engine.serve import webhook_app

    settings = load_settings({"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://bot.example.com/tg", "WEBHOOK_SECRET": "s"})
    app = webhook_app(studio.harness.dispatcher, studio.harness.bot, settings, bundle.registry)
    app.on_startup.clear()
    app.on_shutdown.clear()
    studio.harness.dispatcher["services"]["hmac_key"] = "shared-secret"
    studio.fake.hmac_key = "shared-secret"
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        studio.runner.settings.callback_url = str(client.make_url("/kie/callback"))
        studio.runner.settings.poll_schedule = ((float("inf"), 60.0),)
        user = User(studio.harness)
        job_id = await order(user, "🖼 Изображения", "google/nano-banana", ["Кот", "!➡️ Пропустить"])
        assert (await studio.runner.settled(job_id)).state == "delivered"
        headers = {"X-Webhook-Timestamp": "1", "X-Webhook-Signature": "forged"}
        refused = await client.post("/kie/callback", json={"data": {"taskId": "task1"}}, headers=headers)
        assert refused.status == 401


async def test_the_start_up_hook_runs_the_offline_fake_and_a_job_completes(
    bundle: Bundle, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KIE_API_KEY", "KIE_CALLBACK_URL", "CHAT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    session = RecordingSession()
    harness = Harness(build_dispatcher(bundle, db), session, Bot(TOKEN, session=session), db)
    await harness.dispatcher.emit_startup(bot=harness.bot)
    try:
        services = harness.dispatcher["services"]
        assert services["fake_kie"].base_url.startswith("http://127.0.0.1:")
        user = User(harness)
        job_id = await order(user, "🖼 Изображения", "z-image", ["Кот", "!✓ 1:1"])
        job = await services["generator"].settled(job_id)
        assert job.state == "delivered" and _sent(harness.take(), SendPhoto)
    finally:
        await harness.dispatcher.emit_shutdown(bot=harness.bot)
    assert "generator" not in harness.dispatcher["services"]


async def test_a_long_prompt_is_cut_to_a_caption_and_a_huge_file_becomes_a_link(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.delivery

    monkeypatch.setattr(flows.delivery, "BOT_UPLOAD_LIMIT", 100)  # every result is "too big" now
    user = User(studio.harness)
    prompt = "Кот " * 1200  # 4800 characters: fits the model, not a caption
    job_id = await order(user, "🖼 Изображения", "google/nano-banana", [prompt.strip(), "!➡️ Пропустить"])
    await studio.runner.settled(job_id)
    messages = [c for c in _sent(studio.harness.take(), SendMessage) if "скачайте его по ссылке" in c.text]
    assert len(messages) == 1 and f"{studio.fake.base_url}/files/demo-" in messages[0].text
    job = await studio.runner.settled(job_id)
    caption = flows.delivery.caption(studio.runner.texts, None, job)
    assert len(caption) <= 1024 and caption.endswith("…")


async def test_menu_under_a_result_works_from_any_screen(studio: Studio) -> None:
    user = User(studio.harness)
    job_id = await order(user, "🖼 Изображения", "google/nano-banana", ["Кот", "!➡️ Пропустить"])
    await studio.runner.settled(job_id)
    await user.press_data("to_menu")
    assert "добро пожаловать" in user.text and await user.state() == "main"
