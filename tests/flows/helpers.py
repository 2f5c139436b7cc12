"""Driving the journey the way a user does: read the last screen, press a button by its label."""

from __future__ import annotations

from typing import Any

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod

from engine.testing import Chatter
from tests.conftest import Harness, button_data, labels, screen


class User:
    """A chatter plus what the bot last showed them."""

    def __init__(self, harness: Harness, user_id: int = 7) -> None:
        self.harness = harness
        self.chatter: Chatter = harness.user(user_id=user_id)
        self.user_id = user_id
        self.calls: list[TelegramMethod[Any]] = []

    @property
    def screen(self) -> SendMessage | EditMessageText:
        return screen(self.calls)

    @property
    def text(self) -> str:
        return self.screen.text

    @property
    def buttons(self) -> list[list[str]]:
        return labels(self.screen.reply_markup)

    @property
    def flat_buttons(self) -> list[str]:
        return [label for row in self.buttons for label in row]

    @property
    def notices(self) -> list[str]:
        """Messages sent before the screen in the last turn."""
        shown = [c.text for c in self.calls if isinstance(c, SendMessage | EditMessageText)]
        return shown[:-1]

    @property
    def popups(self) -> list[str | None]:
        return [c.text for c in self.calls if isinstance(c, AnswerCallbackQuery)]

    def _collect(self) -> None:
        self.calls = self.harness.take()

    async def start(self) -> None:
        await self.chatter.send("/start")
        self._collect()

    async def press(self, label: str) -> None:
        """Press the button with exactly this label, or the only one starting with it."""
        data = self.data_of(label)
        await self.chatter.press(data, message_id=1000)
        self._collect()

    def data_of(self, label: str) -> str:
        markup = self.screen.reply_markup
        names = [name for row in labels(markup) for name in row]
        if label not in names:
            matching = [name for name in names if name.startswith(label)]
            assert len(matching) == 1, f"no single button {label!r} in {labels(markup)}"
            label = matching[0]
        return button_data(markup, label)

    async def press_data(self, data: str) -> None:
        await self.chatter.press(data, message_id=1000)
        self._collect()

    async def send(self, text: str) -> None:
        await self.chatter.send(text)
        self._collect()

    async def photo(self, file_id: str = "photo-1", size: int | None = 50_000) -> None:
        await self.chatter.send_photo(file_id, size)
        self._collect()

    async def document(self, mime_type: str, size: int = 50_000, file_id: str = "doc-1") -> None:
        await self.chatter.send_document(mime_type, size, file_id)
        self._collect()

    async def sticker(self) -> None:
        await self.chatter.send_sticker()
        self._collect()

    async def voice(self) -> None:
        await self.chatter.send_voice()
        self._collect()

    async def open_model(self, category_button: str, model_id: str) -> None:
        """Main menu → a category → the model's card (paging through the list if needed)."""
        await self.start()
        await self.press(category_button)
        await self.press_data(f"pick_model|{model_id}")

    async def state(self) -> str | None:
        row = await self.harness.db.fetch_one("SELECT state FROM fsm_records WHERE user_id = ?", (self.user_id,))
        return None if row is None else row["state"]


async def balance(harness: Harness, user_id: int = 7) -> int:
    row = await harness.db.fetch_one("SELECT balance FROM accounts WHERE user_id = ?", (user_id,))
    return 0 if row is None else int(row[0])


async def ledger_sum(harness: Harness, user_id: int = 7) -> int:
    row = await harness.db.fetch_one("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = ?", (user_id,))
    assert row is not None
    return int(row[0])


async def jobs(harness: Harness, user_id: int = 7) -> list[Any]:
    return await harness.db.fetch_all("SELECT * FROM jobs WHERE user_id = ? ORDER BY id", (user_id,))
