"""Generation end to end: the bot's Kie client speaks HTTP to the fake Kie server on 127.0.0.1, the runner
polls, delivers through the recording Bot session, refunds failures — exactly once, across restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
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
from flows.catalog import Catalog
from flows.generation import fake_rules
from flows.runner import JobRunner, RunnerSettings
from providers.chat import ChatClient
from providers.fake_kie import FakeKie, serve
from providers.kie import KieClient, Retry
from storage import Database, JobLocks
from tests.conftest import Harness
from tests.flows.helpers import User, balance, jobs, ledger_sum

FAST = RunnerSettings(poll_schedule=((float("inf"), 0.02),), timeout=5, status_every=0, retry_delay=0.02)


@dataclass
class Studio:
    harness: Harness
    fake: FakeKie
    runner: JobRunner
    session: aiohttp.ClientSession
    kie: KieClient

    async def restart(self, bundle: Bundle, settings: RunnerSettings = FAST) -> None:
        """A new process on the same database: a fresh runner that resumes what was in flight."""
        await self.runner.stop()
        recording = RecordingSession()
        self.harness.session, self.harness.bot = recording, Bot(TOKEN, session=recording)
        self.harness.dispatcher = build_dispatcher(bundle, self.harness.db, services={})
        self.runner = JobRunner(self.harness.db, bundle.data["catalog"], bundle.product.texts, settings)
        self.harness.dispatcher["services"]["generator"] = self.runner
        await self.runner.start(self.harness.bot, self.kie, ChatClient(self.session, f"{self.fake.base_url}/v1", "k"))


@pytest.fixture
async def studio(bundle: Bundle, db: Database) -> AsyncIterator[Studio]:
    catalog: Catalog = bundle.data["catalog"]
    fake = FakeKie(rules=fake_rules(catalog), timings=(0.01, 0.01, 0.03))
    fake_runner = await serve(fake)
    session = aiohttp.ClientSession()
    kie = KieClient(session, fake.api_key, fake.base_url, fake.base_url, Retry(attempts=4, base_delay=0.01))
    recording = RecordingSession()
    bot = Bot(TOKEN, session=recording)
    dispatcher = build_dispatcher(bundle, db)
    runner = JobRunner(db, catalog, bundle.product.texts, FAST)
    dispatcher["services"]["generator"] = runner
    await runner.start(bot, kie, ChatClient(session, f"{fake.base_url}/v1", fake.api_key))
    studio = Studio(Harness(dispatcher, recording, bot, db), fake, runner, session, kie)
    yield studio
    await studio.runner.stop()
    await session.close()
    await fake_runner.cleanup()


async def _order(user: User, category: str, model: str, answers: list[Any]) -> int:
    """From the menu to a launched job; each answer is text, "PHOTO", or a button label."""
    await user.open_model(category, model)
    await user.press("🚀 Генерировать")
    for answer in answers:
        if answer == "PHOTO":
            await user.photo(f"photo-{model.replace('/', '-')}")
        elif answer.startswith("!"):
            await user.press(answer[1:])
        else:
            await user.send(answer)
    assert "Проверьте заказ" in user.text, user.text
    await user.press("✅ Запустить")
    return int((await jobs(user.harness))[-1]["id"])


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
    job_id = await _order(user, category, model, answers)
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
    job_id = await _order(user, "🧰 Инструменты", "topaz/image-upscale", ["PHOTO", "!✓ ×2"])
    await studio.runner.settled(job_id)
    assert studio.harness.session.downloads and TOKEN in studio.harness.session.downloads[0]
    task = next(iter(studio.fake.tasks.values()))
    assert task.params["image_url"].startswith(f"{studio.fake.base_url}/files/upload-")
    uploaded = [content for name, (content, _) in studio.fake.files.items() if name.startswith("upload-")]
    assert uploaded == [b"user file photo-topaz-image-upscale"]
    assert not any(TOKEN in repr(t.params) for t in studio.fake.tasks.values())


async def test_several_results_arrive_as_an_album(studio: Studio) -> None:
    user = User(studio.harness)
    job_id = await _order(user, "🎼 Музыка", "suno/v5", ["Джингл", "!Да"])
    await studio.runner.settled(job_id)
    calls = studio.harness.take()
    [album] = _sent(calls, SendMediaGroup)
    assert len(album.media) == 2 and album.media[0].caption.startswith("✅ <b>Suno V5</b>")
    assert any(isinstance(c, SendMessage) and c.reply_markup and "Готово" in c.text for c in calls)


async def test_a_text_model_answers_in_the_chat(studio: Studio) -> None:
    user = User(studio.harness)
    job_id = await _order(user, "✍️ Тексты", "text/assistant", ["Придумай слоган для кофейни"])
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
    job_id = await _order(user, "🖼 Изображения", "google/imagen4", [prompt, "!➡️ Пропустить"])
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
    job_id = await _order(user, "🖼 Изображения", "z-image", ["Кот [never]", "!✓ 1:1"])
    job = await studio.runner.settled(job_id)
    assert (job.state, job.error_cause) == ("timed_out", "timeout")
    row = await studio.harness.db.fetch_one("SELECT used FROM free_uses WHERE user_id = 7")
    assert row is not None and row[0] == 0
    messages = [c.text for c in _sent(studio.harness.take(), SendMessage)]
    assert any("не успела" in m and "вернулась в дневной лимит" in m for m in messages)


async def test_a_burst_of_429_and_500_is_retried_then_succeeds(studio: Studio) -> None:
    studio.fake.fail_next.extend([(429, 429), (500, 500), (200, 429)])
    user = User(studio.harness)
    job_id = await _order(user, "🖼 Изображения", "google/nano-banana", ["Кот", "!➡️ Пропустить"])
    job = await studio.runner.settled(job_id)
    assert job.state == "delivered" and await balance(studio.harness) == 5000 - 400
    assert len(studio.fake.tasks) == 1  # retried calls, one task


async def test_a_restart_while_a_job_runs_delivers_once_and_charges_once(studio: Studio, bundle: Bundle) -> None:
    studio.fake.timings = (0.05, 0.05, 0.3)
    user = User(studio.harness)
    job_id = await _order(user, "🖼 Изображения", "google/nano-banana", ["Кот", "!➡️ Пропустить"])
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
        job_id = await _order(user, "🖼 Изображения", "google/nano-banana", ["Кот", "!➡️ Пропустить"])
        job = await studio.runner.settled(job_id)
        assert job.state == "delivered"
        assert next(iter(studio.fake.tasks.values())).callbacks_sent == 2
        assert len(_sent(studio.harness.take(), SendPhoto)) == 1
        forged = await client.post("/kie/callback", json={"nothing": 1})
        assert forged.status == 400
