"""One turn of a conversation: the object the state machine runs on for a single update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import Bot
from aiogram.types import Message, User


class Turn:
    """The `transitions` model for one update: the user's state and data, and what they sent.

    Guards and actions receive it; they read `text`, `payload` or `message`, change `data`, and
    queue texts with `notify`. A fresh Turn per update keeps users apart without one machine each.
    """

    __slots__ = (
        "bot",
        "data",
        "memo",
        "message",
        "notices",
        "payload",
        "services",
        "state",
        "stored_data",
        "text",
        "toast",
        "trigger",
        "user",
    )

    def __init__(
        self,
        state: str,
        data: dict[str, Any],
        user: User,
        services: Mapping[str, Any],
        *,
        text: str | None = None,
        payload: str | None = None,
        message: Message | None = None,
        bot: Bot | None = None,
    ) -> None:
        self.state = state
        self.data = data
        self.user = user
        self.services = services
        self.text = text
        self.payload = payload
        self.message = message
        self.bot = bot  # for actions that must call the Bot API themselves (an invoice, a refund)
        self.notices: list[tuple[str, dict[str, Any]]] = []
        self.stored_data: dict[str, Any] = {}
        self.toast: tuple[str, dict[str, Any], bool] | None = None
        # Per-update results several parts of one screen share (its text and its buttons), never stored.
        self.memo: dict[Any, Any] = {}
        self.trigger = ""  # what fired this turn: a button's trigger, message.text, command.help...

    def notify(self, key: str, **values: Any) -> None:
        """Send the text `key` (from texts.ru.yaml) before the next screen."""
        self.notices.append((key, values))

    def answer(self, key: str, *, alert: bool = False, **values: Any) -> None:
        """Answer the pressed button with the text `key` (a pop-up when `alert`) instead of a new message.

        Telegram shows it as plain text of at most 200 characters; for a typed message it is sent
        as a notice instead, since there is no button to answer.
        """
        self.toast = (key, values, alert)
