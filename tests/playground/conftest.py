"""A live playground with the bot polling it over HTTP, for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from engine.app import build_dispatcher
from engine.bundle import Bundle
from engine.config import load_settings
from engine.serve import make_bot
from playground.run import start
from playground.server import Playground
from storage import Database

WAIT = 30.0  # seconds: a generous ceiling, never a synchronisation (every wait is for a condition)


@dataclass
class Live:
    playground: Playground
    url: str
    user: dict[str, Any]

    def chat(self) -> list[dict[str, Any]]:
        return self.playground.messages.get(self.user["id"], [])

    def last_bot(self) -> dict[str, Any]:
        return [m for m in self.chat() if m["from"]["is_bot"]][-1]

    async def until(self, condition: Callable[[], Any], what: str) -> Any:
        """Wait for the playground to change until `condition()` is truthy."""
        deadline = asyncio.get_running_loop().time() + WAIT
        version = -1
        while True:
            found = condition()
            if found:
                return found
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, f"timed out waiting for {what}; chat: {[m.get('text') for m in self.chat()][-5:]}"
            version = await self.playground.wait_change(version, min(left, 1.0))

    async def reply_with(self, fragment: str) -> dict[str, Any]:
        return await self.until(
            lambda: next(
                (m for m in reversed(self.chat()) if fragment in (m.get("text") or m.get("caption") or "")), None
            ),
            f"a message with {fragment!r}",
        )

    async def press(self, message: dict[str, Any], label: str) -> None:
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if button["text"] == label or button["text"].startswith(label):
                    await self.playground.press(
                        self.user, self.user["id"], message["message_id"], button["callback_data"]
                    )
                    return
        raise AssertionError(f"no button {label!r} in {message['reply_markup']}")


async def _serve(playground: Playground) -> tuple[Callable[[], Awaitable[None]], str]:
    """The playground on a free port of 127.0.0.1: how to stop it, and its URL."""
    running = await start(port=0, playground=playground)
    return running.stop, running.url


@pytest.fixture
async def live(bundle: Bundle, db: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Live]:
    for name in ("KIE_API_KEY", "KIE_CALLBACK_URL", "CHAT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    playground = Playground()
    runner, url = await _serve(playground)
    settings = load_settings({"BOT_TOKEN": playground.token, "TELEGRAM_API_URL": url})
    bot = make_bot(settings)
    dispatcher = build_dispatcher(bundle, db)
    polling = asyncio.get_running_loop().create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=True)
    )
    yield Live(playground, url, playground.user(501, "Алиса"))
    await dispatcher.stop_polling()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    await runner()
