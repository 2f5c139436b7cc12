"""Restart: a new Dispatcher and storage on the same SQLite file continue the user where they were."""

from pathlib import Path

from aiogram import Bot

from engine.app import build_dispatcher
from engine.bundle import Bundle
from engine.testing import TOKEN, RecordingSession
from storage import Database
from storage.support import SupportRequests
from tests.conftest import Harness, screen


async def test_the_conversation_continues_after_a_restart(bundle: Bundle, tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    db = await Database.open(path)
    session = RecordingSession()
    before = Harness(build_dispatcher(bundle, db), session, Bot(TOKEN, session=session), db)
    chatter = before.user()
    await chatter.send("/start")
    await chatter.press("flow:support", message_id=1000)
    await db.close()

    db = await Database.open(path)
    try:
        session = RecordingSession()
        after = Harness(build_dispatcher(bundle, db), session, Bot(TOKEN, session=session), db)
        after.update_ids = before.update_ids  # Telegram's update ids keep growing across our restart
        resumed = after.user()
        await resumed.send("Вопрос после перезапуска")
        assert "Обращение №1" in screen(after.take()).text
        assert await SupportRequests(db).for_user(7) == ["Вопрос после перезапуска"]
        # An update delivered again after the restart is still recognised as handled.
        await resumed.feed(chatter.text_update("/start").model_copy(update={"update_id": 1}))
        assert after.take() == []
    finally:
        await db.close()
