"""`studio-bot run` in long-polling mode against a local Bot API double, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from engine.bundle import Bundle
from engine.config import load_settings
from engine.serve import serve
from engine.testing import TOKEN

ME = {"id": 42, "is_bot": True, "first_name": "Studio", "username": "studio_bot"}


class BotApiDouble:
    """Just enough of the Bot API for a polling bot: getMe, getUpdates (long polling), sendMessage."""

    def __init__(self) -> None:
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post("/bot{token}/{method}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        form = dict(await request.post())
        self.calls.append((method, form))
        result: Any = True
        if method == "getMe":
            result = ME
        elif method == "getUpdates":
            try:
                result = [await asyncio.wait_for(self.updates.get(), timeout=float(form.get("timeout", 1)))]
            except TimeoutError:
                result = []
        elif method == "sendMessage":
            chat = {"id": int(str(form["chat_id"])), "type": "private"}
            result = {"message_id": len(self.calls), "date": 0, "chat": chat, "text": form["text"], "from": ME}
            self.sent.set()
        return web.json_response({"ok": True, "result": result})


async def test_the_bot_polls_a_bot_api_server_and_answers(bundle: Bundle, tmp_path: Path) -> None:
    double = BotApiDouble()
    async with TestServer(double.app, host="127.0.0.1") as server:
        settings = load_settings(
            {
                "BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": str(server.make_url("")),
                "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            }
        )
        user = {"id": 7, "is_bot": False, "first_name": "Анна"}
        message = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, "from": user, "text": "/start"}
        await double.updates.put({"update_id": 1, "message": message})
        bot = asyncio.create_task(serve(settings, bundle))
        try:
            await asyncio.wait_for(double.sent.wait(), timeout=10)
        finally:
            bot.cancel()
            await asyncio.gather(bot, return_exceptions=True)

    methods = [method for method, _ in double.calls]
    assert methods.index("setMyCommands") < methods.index("deleteWebhook") < methods.index("getUpdates")
    commands = json.loads(next(form for method, form in double.calls if method == "setMyCommands")["commands"])
    assert [c["command"] for c in commands] == ["start", "menu", "help", "paysupport"]
    sent = next(form for method, form in double.calls if method == "sendMessage")
    assert sent["text"].startswith("👋 Анна, добро пожаловать в AI Studio!")
    assert len(json.loads(sent["reply_markup"])["inline_keyboard"]) == 7
    assert (tmp_path / "bot.sqlite3").exists()
