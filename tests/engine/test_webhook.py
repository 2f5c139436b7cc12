"""Webhook mode: aiogram's aiohttp handler behind the secret token, over real HTTP on 127.0.0.1."""

from aiogram import Bot
from aiogram.methods import SendMessage
from aiohttp.test_utils import TestClient, TestServer

from engine.app import build_dispatcher
from engine.bundle import Bundle
from engine.config import load_settings
from engine.serve import webhook_app
from engine.testing import TOKEN, RecordingSession
from storage import Database
from tests.conftest import Harness


async def test_updates_with_the_secret_are_handled_and_without_it_refused(bundle: Bundle, db: Database) -> None:
    settings = load_settings(
        {
            "BOT_TOKEN": "1:" + "a" * 30,
            "WEBHOOK_URL": "https://bot.example.com/telegram",
            "WEBHOOK_SECRET": "right-secret",
        }
    )
    session = RecordingSession()
    harness = Harness(build_dispatcher(bundle, db), session, Bot(TOKEN, session=session), db)
    update = harness.user().text_update("/start").model_dump(mode="json", exclude_none=True)
    app = webhook_app(harness.dispatcher, harness.bot, settings, bundle.registry)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        refused = await client.post("/telegram", json=update)
        wrong = await client.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        assert (refused.status, wrong.status) == (401, 401)
        assert harness.take() == []

        accepted = await client.post(
            "/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "right-secret"}
        )
        assert accepted.status == 200
    sent = [c for c in harness.take() if isinstance(c, SendMessage)]
    assert len(sent) == 1 and sent[0].text.startswith("👋 Анна, добро пожаловать в AI Studio!")
