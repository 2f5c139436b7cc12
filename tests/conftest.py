"""Shared fixtures: the real product bundle, a SQLite file per test, the real Dispatcher with a recording Bot."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup, User

from engine.app import build_dispatcher
from engine.bundle import Bundle, import_registry, load_bundle
from engine.testing import TOKEN, Chatter, RecordingSession
from storage import Database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def bundle() -> Bundle:
    registry, root = import_registry("flows")
    return load_bundle(root, registry)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "studio.sqlite3")
    yield database
    await database.close()


@dataclass
class Harness:
    dispatcher: Dispatcher
    session: RecordingSession
    bot: Bot
    db: Database
    # Telegram numbers updates per bot, not per user: every simulated user draws from one counter.
    update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def user(self, user_id: int = 7, first_name: str = "Анна", username: str | None = "anna") -> Chatter:
        user = User(id=user_id, is_bot=False, first_name=first_name, username=username, language_code="ru")
        return Chatter(self.dispatcher, self.bot, user, update_ids=self.update_ids)

    def take(self) -> list[TelegramMethod[Any]]:
        return self.session.take()


@pytest.fixture
def harness(bundle: Bundle, db: Database) -> Harness:
    session = RecordingSession()
    return Harness(build_dispatcher(bundle, db), session, Bot(TOKEN, session=session), db)


def texts_of(calls: list[TelegramMethod[Any]]) -> list[str]:
    return [c.text for c in calls if isinstance(c, SendMessage | EditMessageText)]


def screen(calls: list[TelegramMethod[Any]]) -> SendMessage | EditMessageText:
    """The last message the bot sent or edited."""
    shown = [c for c in calls if isinstance(c, SendMessage | EditMessageText)]
    assert shown, f"the bot showed nothing; calls: {[type(c).__name__ for c in calls]}"
    return shown[-1]


def labels(markup: Any) -> list[list[str]]:
    assert isinstance(markup, InlineKeyboardMarkup)
    return [[button.text for button in row] for row in markup.inline_keyboard]


def button_data(markup: Any, label: str) -> str:
    assert isinstance(markup, InlineKeyboardMarkup)
    for row in markup.inline_keyboard:
        for button in row:
            if button.text == label:
                assert button.callback_data is not None
                return button.callback_data
    raise AssertionError(f"no button {label!r} in {labels(markup)}")


def answers(calls: list[TelegramMethod[Any]]) -> list[AnswerCallbackQuery]:
    return [c for c in calls if isinstance(c, AnswerCallbackQuery)]
