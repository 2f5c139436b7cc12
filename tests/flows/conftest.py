"""The generation fixture: the fake Kie server on 127.0.0.1, a Kie client and a job runner on the test's bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from aiogram import Bot

from engine.app import build_dispatcher
from engine.bundle import Bundle
from engine.testing import TOKEN, RecordingSession
from flows.catalog import Catalog
from flows.generation import fake_rules
from flows.runner import JobRunner, RunnerSettings
from providers.chat import ChatClient
from providers.fake_kie import FakeKie, serve
from providers.kie import KieClient, Retry
from storage import Database
from tests.conftest import Harness
from tests.flows.helpers import User, jobs

FAST = RunnerSettings(poll_schedule=((float("inf"), 0.02),), timeout=5, status_every=0, retry_delay=0.02)


@dataclass
class Studio:
    harness: Harness
    fake: FakeKie
    runner: JobRunner
    session: aiohttp.ClientSession
    kie: KieClient

    async def restart(self, bundle: Bundle, settings: RunnerSettings | None = None) -> None:
        """A new process on the same database: a fresh runner that resumes what was in flight."""
        await self.runner.stop()
        recording = RecordingSession()
        self.harness.session, self.harness.bot = recording, Bot(TOKEN, session=recording)
        self.harness.dispatcher = build_dispatcher(bundle, self.harness.db, services={})
        self.runner = JobRunner(
            self.harness.db, bundle.data["catalog"], bundle.product.texts, settings or replace(FAST)
        )
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
    runner = JobRunner(db, catalog, bundle.product.texts, replace(FAST))  # a copy: tests change settings
    dispatcher["services"]["generator"] = runner
    await runner.start(bot, kie, ChatClient(session, f"{fake.base_url}/v1", fake.api_key))
    studio = Studio(Harness(dispatcher, recording, bot, db), fake, runner, session, kie)
    yield studio
    await studio.runner.stop()
    await session.close()
    await fake_runner.cleanup()


async def order(user: User, category: str, model: str, answers: list[Any]) -> int:
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
