"""Turns a screen into what Telegram shows: HTML text with its placeholders filled, and a keyboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from engine.registry import Registry
from engine.spec import Screen
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
        # Keyboards depend only on YAML, so they are built once, not per update.
        self.keyboards = {name: self._keyboard(screen) for name, screen in screens.items()}

    def _keyboard(self, screen: Screen) -> InlineKeyboardMarkup | None:
        rows = [
            [
                InlineKeyboardButton(text=self.texts.render(b.label), url=b.url)
                if b.url
                else InlineKeyboardButton(text=self.texts.render(b.label), callback_data=b.callback_data)
                for b in row
            ]
            for row in screen.rows
        ]
        return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None

    async def render(self, screen: Screen, turn: Turn) -> View:
        values: dict[str, Any] = {"name": turn.user.first_name}
        for source in screen.data:
            values.update(await self.registry.data_sources[source].function(turn))
        return View(self.texts.render(screen.text, values), self.keyboards[screen.name])

    def notice(self, key: str, values: dict[str, Any]) -> str:
        return self.texts.render(key, values)
