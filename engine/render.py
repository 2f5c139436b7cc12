"""Turns a screen into what Telegram shows: HTML text with its placeholders filled, and a keyboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from engine import loggers
from engine.registry import Key, Registry
from engine.spec import MAX_CALLBACK_BYTES, PAYLOAD_SEPARATOR, Button, ButtonRows, Screen
from engine.texts import Texts
from engine.turn import Turn


@dataclass(frozen=True)
class View:
    text: str
    keyboard: InlineKeyboardMarkup | None


class Renderer:
    def __init__(self, screens: dict[str, Screen], texts: Texts, registry: Registry) -> None:
        self.texts = texts
        self.registry = registry
        # Rows written in YAML are built once; only `{each: ...}` rows are built per update.
        self.static_rows = {
            name: [None if isinstance(row, ButtonRows) else [self._button(b) for b in row] for row in screen.layout]
            for name, screen in screens.items()
        }
        self.fixed = {
            name: InlineKeyboardMarkup(inline_keyboard=rows) if (rows := self.static_rows[name]) else None
            for name, screen in screens.items()
            if not screen.button_sources
        }

    def _button(self, button: Button) -> InlineKeyboardButton:
        if button.url:
            return InlineKeyboardButton(text=self.texts.render(button.label), url=button.url)
        return InlineKeyboardButton(text=self.texts.render(button.label), callback_data=button.callback_data)

    def _key(self, key: Key) -> InlineKeyboardButton | None:
        data = key.trigger if key.payload is None else f"{key.trigger}{PAYLOAD_SEPARATOR}{key.payload}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            # Telegram would refuse the whole message; better one button missing than no answer at all.
            loggers.update.error(
                "dropping button %r: callback data %r is over %d bytes", key.text, data, MAX_CALLBACK_BYTES
            )
            return None
        label = self.texts.render(key.text, dict(key.values), html_mode=False)
        return InlineKeyboardButton(text=label, callback_data=data)

    async def keyboard(self, screen: Screen, turn: Turn) -> InlineKeyboardMarkup | None:
        if screen.name in self.fixed:
            return self.fixed[screen.name]
        rows: list[list[InlineKeyboardButton]] = []
        for entry, built in zip(screen.layout, self.static_rows[screen.name], strict=True):
            if built is not None:
                rows.append(built)
                continue
            assert isinstance(entry, ButtonRows)
            for keys in await self.registry.button_sources[entry.source].function(turn):
                row = [button for button in map(self._key, keys) if button is not None]
                if row:
                    rows.append(row)
        return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None

    async def render(self, screen: Screen, turn: Turn) -> View:
        values: dict[str, Any] = {"name": turn.user.first_name}
        for source in screen.data:
            values.update(await self.registry.data_sources[source].function(turn))
        return View(self.texts.render(screen.text, values), await self.keyboard(screen, turn))

    def notice(self, key: str, values: dict[str, Any]) -> str:
        return self.texts.render(key, values)

    def popup(self, key: str, values: dict[str, Any]) -> str:
        """An answer to a pressed button: plain text, at most 200 characters."""
        return self.texts.render(key, values, html_mode=False)[:200]
