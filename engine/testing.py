"""Test tools: a Bot session that records API calls instead of sending them, and real Updates to feed.

Like aiogram-dialog's MockMessageManager, this lets a test build the very same Dispatcher the bot
runs (`engine.app.build_dispatcher`) and assert on what would have reached Telegram.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, GetFile, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    File,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    PreCheckoutQuery,
    Sticker,
    SuccessfulPayment,
    Update,
    User,
    Voice,
)

BOT_ID = 42
TOKEN = f"{BOT_ID}:TEST-token-for-the-recording-session"


class RecordingSession(BaseSession):
    """Answers every Bot API call locally, as Telegram would for a private chat, and remembers it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self._message_ids = itertools.count(1000)
        self._shown: dict[tuple[int, int], tuple[str, str]] = {}  # what each message displays now
        self.refuse_edits = False  # True: Telegram says the message can no longer be edited
        self.downloads: list[str] = []  # file URLs the bot downloaded
        self.refuse: dict[type, str] = {}  # method type -> the error Telegram answers it with

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> Any:
        self.calls.append(method)
        if type(method) in self.refuse:
            raise TelegramBadRequest(method=method, message=f"Bad Request: {self.refuse[type(method)]}")
        if isinstance(method, SendMessage):
            message_id = next(self._message_ids)
            self._shown[(int(method.chat_id), message_id)] = (method.text, _markup_json(method.reply_markup))
            return Message(
                message_id=message_id,
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=User(id=BOT_ID, is_bot=True, first_name="Studio"),
                text=method.text,
                reply_markup=method.reply_markup,
            )
        if isinstance(method, GetFile):
            return File(
                file_id=method.file_id,
                file_unique_id=f"u-{method.file_id}",
                file_size=len(self.file_content(method.file_id)),
                file_path=f"photos/{method.file_id}.jpg",
            )
        if isinstance(method, EditMessageText):
            key = (int(method.chat_id or 0), int(method.message_id or 0))
            shown = (method.text, _markup_json(method.reply_markup))
            if self.refuse_edits:
                raise TelegramBadRequest(method=method, message="Bad Request: message can't be edited")
            if self._shown.get(key) == shown:
                raise TelegramBadRequest(
                    method=method,
                    message="Bad Request: message is not modified: specified new message content and reply markup"
                    " are exactly the same as a current content and reply markup of the message",
                )
            self._shown[key] = shown
            return True
        return True

    def take(self) -> list[TelegramMethod[Any]]:
        """The calls since the last take()."""
        calls, self.calls = self.calls, []
        return calls

    async def close(self) -> None:
        pass

    @staticmethod
    def file_content(file_id: str) -> bytes:
        """What a user's file 'contains': distinct per file, so tests can follow it to the provider."""
        return f"user file {file_id}".encode()

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """A download of a file this session described in getFile (the URL carries the bot token)."""
        self.downloads.append(url)
        yield self.file_content(url.rsplit("/", 1)[-1].removesuffix(".jpg"))


def _markup_json(markup: Any) -> str:
    return markup.model_dump_json() if isinstance(markup, InlineKeyboardMarkup) else ""


@dataclass
class Chatter:
    """A simulated Telegram user in a private chat with the bot, feeding real Updates to a Dispatcher."""

    dispatcher: Dispatcher
    bot: Bot
    user: User
    update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def chat(self) -> Chat:
        return Chat(id=self.user.id, type="private", first_name=self.user.first_name)

    def _message(self, **content: Any) -> Message:
        return Message(
            message_id=next(self.message_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            **content,
        )

    async def feed(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)

    def text_update(self, text: str) -> Update:
        return Update(update_id=next(self.update_ids), message=self._message(text=text))

    async def send(self, text: str) -> None:
        await self.feed(self.text_update(text))

    async def send_photo(self, file_id: str = "photo-1", size: int | None = None) -> None:
        """A photo as Telegram sends it: several sizes, the largest last."""
        sizes = [
            PhotoSize(file_id=f"{file_id}-s", file_unique_id=f"{file_id}-us", width=90, height=90, file_size=1000),
            PhotoSize(file_id=file_id, file_unique_id=f"u-{file_id}", width=1280, height=1280, file_size=size),
        ]
        await self.feed(Update(update_id=next(self.update_ids), message=self._message(photo=sizes)))

    async def send_document(self, mime_type: str, size: int = 1000, file_id: str = "doc-1") -> None:
        document = Document(
            file_id=file_id, file_unique_id=f"u-{file_id}", file_name="file", mime_type=mime_type, file_size=size
        )
        await self.feed(Update(update_id=next(self.update_ids), message=self._message(document=document)))

    async def send_voice(self) -> None:
        voice = Voice(file_id="voice-1", file_unique_id="v1", duration=3)
        await self.feed(Update(update_id=next(self.update_ids), message=self._message(voice=voice)))

    async def send_sticker(self) -> None:
        sticker = Sticker(
            file_id="st-1", file_unique_id="s1", type="regular", width=1, height=1, is_animated=False, is_video=False
        )
        await self.feed(Update(update_id=next(self.update_ids), message=self._message(sticker=sticker)))

    def press_update(self, data: str, message_id: int = 1) -> Update:
        pressed = Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=User(id=BOT_ID, is_bot=True, first_name="Studio"),
            text="…",
        )
        query = CallbackQuery(
            id=f"q{next(self.update_ids)}", from_user=self.user, chat_instance="ci", data=data, message=pressed
        )
        return Update(update_id=next(self.update_ids), callback_query=query)

    async def press(self, data: str, message_id: int = 1) -> None:
        await self.feed(self.press_update(data, message_id))

    def pre_checkout_update(self, payload: str, total: int, currency: str = "XTR") -> Update:
        query = PreCheckoutQuery(
            id=f"pc{next(self.update_ids)}",
            from_user=self.user,
            currency=currency,
            total_amount=total,
            invoice_payload=payload,
        )
        return Update(update_id=next(self.update_ids), pre_checkout_query=query)

    def payment_update(self, payload: str, total: int, charge_id: str, currency: str = "XTR") -> Update:
        payment = SuccessfulPayment(
            currency=currency,
            total_amount=total,
            invoice_payload=payload,
            telegram_payment_charge_id=charge_id,
            provider_payment_charge_id="",
        )
        return Update(update_id=next(self.update_ids), message=self._message(successful_payment=payment))
