"""A local Telegram: the Bot API methods the bot uses, with Telegram's envelope and errors, on 127.0.0.1.

The bot talks to it through aiogram's own HTTP session (`TELEGRAM_API_URL`), exactly as to Telegram:
`/bot<token>/<method>` (multipart or JSON), `/file/bot<token>/<path>` for downloads. Simulated users
talk to it through the web chat page (`/`) and its small JSON API (`/ui/*`), or from tests.

Updates reach the bot by long polling (`getUpdates`, offsets confirmed) or, after `setWebhook`, by POST to
its URL with the secret-token header. Errors the bot could trip on are Telegram's own: "message is not
modified", callback data over 64 bytes, text over 4096 / caption over 1024 characters, "query is too
old", and 429 with `retry_after` when a test asks for it (`throttle_next`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

PAGE = Path(__file__).with_name("page.html")
BOT_ID = 777000111
MAX_TEXT, MAX_CAPTION, MAX_CALLBACK_DATA = 4096, 1024, 64
QUERY_TOO_OLD_S = 15.0  # Telegram answers a callback query only this long after the press
MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendDocument": "document",
    "sendAnimation": "animation",
}


class BotApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class StoredFile:
    file_id: str
    content: bytes
    content_type: str
    name: str


@dataclass
class Playground:
    token: str = f"{BOT_ID}:PLAYGROUND-local-token-not-a-secret"
    bot_name: str = "AI Studio (playground)"
    updates: list[dict[str, Any]] = field(default_factory=list)  # not yet confirmed by the bot
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # chat -> messages, in order
    files: dict[str, StoredFile] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    callbacks: dict[str, dict[str, Any]] = field(default_factory=dict)  # query id -> {at, answer}
    checkouts: dict[str, dict[str, Any]] = field(default_factory=dict)  # pre-checkout id -> answer
    refunds: list[dict[str, Any]] = field(default_factory=list)
    throttle_next: list[int] = field(default_factory=list)  # retry_after for the next bot calls (429)
    webhook: dict[str, Any] | None = None
    calls: list[str] = field(default_factory=list)  # methods the bot called, in order
    notice: str = ""  # a line for the page's header (the bot's reload status)
    closing: bool = False  # set on shutdown: long polls answer at once instead of holding it up
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)  # new updates for getUpdates
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)  # chats changed, for the page
    _version: int = 0
    _deliveries: set[asyncio.Task[None]] = field(default_factory=set)

    # -- the app ---------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 2**20)
        app.router.add_get("/", self.page)
        app.router.add_route("*", "/bot{token}/{method}", self.bot_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self.download)
        app.router.add_get("/media/{file_id}", self.media)
        app.router.add_get("/ui/chat", self.ui_chat)
        app.router.add_post("/ui/send", self.ui_send)
        app.router.add_post("/ui/photo", self.ui_photo)
        app.router.add_post("/ui/press", self.ui_press)
        app.router.add_post("/ui/pay", self.ui_pay)
        app.on_shutdown.append(self._release_waiters)
        return app

    async def _release_waiters(self, app: web.Application) -> None:
        self.closing = True
        async with self._arrived:
            self._arrived.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE)

    # -- the Bot API side ------------------------------------------------------------------------------

    async def bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        self.calls.append(method)
        try:
            if self.throttle_next and method != "getUpdates":
                retry_after = self.throttle_next.pop(0)
                raise BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
            params = await _params(request)
            handler = getattr(self, f"m_{method}", None)
            if handler is None:
                raise BotApiError(404, "Not Found: method not found")
            result = await handler(params)
        except BotApiError as err:
            body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            return web.json_response(body, status=err.code)
        return web.json_response({"ok": True, "result": result})

    async def m_getMe(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - Bot API method names
        return {"id": BOT_ID, "is_bot": True, "first_name": self.bot_name, "username": "studio_playground_bot"}

    async def m_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: N802
        if self.webhook is not None:
            raise BotApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, timeout = int(p.get("offset") or 0), min(float(p.get("timeout") or 0), 50)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed ones are gone
        deadline = time.monotonic() + timeout
        async with self._arrived:
            while not self.updates and time.monotonic() < deadline and not self.closing:
                try:
                    await asyncio.wait_for(self._arrived.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        return self.updates[: int(p.get("limit") or 100)]

    async def m_setWebhook(self, p: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook = {"url": p["url"], "secret": p.get("secret_token")}
        for update in self.updates:
            self._deliver(update)
        self.updates = []
        return True

    async def m_deleteWebhook(self, p: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook = None
        return True

    async def m_getWebhookInfo(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"url": self.webhook["url"] if self.webhook else "", "pending_update_count": len(self.updates)}

    async def m_setMyCommands(self, p: dict[str, Any]) -> bool:  # noqa: N802
        self.commands = list(p.get("commands") or [])
        return True

    async def m_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        text = str(p.get("text") or "")
        if not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise BotApiError(400, "Bad Request: message is too long")
        return await self._post(int(p["chat_id"]), {"text": text, "parse_mode": p.get("parse_mode")}, p)

    async def m_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        message = self._find(p)
        text = str(p.get("text") or "")
        if len(text) > MAX_TEXT:
            raise BotApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        markup = _markup(p.get("reply_markup"))
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise BotApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly"
                " the same as a current content and reply markup of the message",
            )
        message.update(text=text, parse_mode=p.get("parse_mode"), reply_markup=markup, edited=True)
        await self._touch()
        return message

    async def m_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        message = self._find(p)
        markup = _markup(p.get("reply_markup"))
        if message.get("reply_markup") == markup:
            raise BotApiError(400, "Bad Request: message is not modified")
        message["reply_markup"] = markup
        await self._touch()
        return message

    async def m_editMessageCaption(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        message = self._find(p)
        caption = str(p.get("caption") or "")
        if len(caption) > MAX_CAPTION:
            raise BotApiError(400, "Bad Request: message caption is too long")
        if message.get("caption") == caption:
            raise BotApiError(400, "Bad Request: message is not modified")
        message["caption"] = caption
        await self._touch()
        return message

    async def m_deleteMessage(self, p: dict[str, Any]) -> bool:  # noqa: N802
        message = self._find(p)
        self.messages[int(p["chat_id"])].remove(message)
        await self._touch()
        return True

    async def m_answerCallbackQuery(self, p: dict[str, Any]) -> bool:  # noqa: N802
        query = self.callbacks.get(str(p.get("callback_query_id")))
        if query is None or time.monotonic() - query["at"] > QUERY_TOO_OLD_S:
            raise BotApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        query["answer"] = {"text": p.get("text"), "show_alert": _flag(p.get("show_alert"))}
        await self._touch()
        return True

    async def m_getFile(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        stored = self.files.get(str(p.get("file_id")))
        if stored is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": f"u{stored.file_id}",
            "file_size": len(stored.content),
            "file_path": f"files/{stored.file_id}",
        }

    async def m_sendMediaGroup(self, p: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: N802
        media = p.get("media") or []
        if not 2 <= len(media) <= 10:
            raise BotApiError(400, "Bad Request: wrong number of media in the group")
        group = f"g{next(self._ids)}"
        sent = []
        for item in media:
            if len(str(item.get("caption") or "")) > MAX_CAPTION:
                raise BotApiError(400, "Bad Request: message caption is too long")
            file = self._file(item["media"], p, _guess_type(item["type"]))
            content = {"caption": item.get("caption"), "parse_mode": item.get("parse_mode"), "media_group_id": group}
            content[item["type"]] = _file_json(file, item["type"])
            sent.append(await self._post(int(p["chat_id"]), content, {}))
        return sent

    async def m_sendInvoice(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if p.get("currency") != "XTR":
            raise BotApiError(400, "Bad Request: only Telegram Stars (XTR) are simulated")
        prices = p.get("prices") or []
        invoice = {
            "title": p.get("title"),
            "description": p.get("description"),
            "currency": "XTR",
            "total_amount": sum(int(x["amount"]) for x in prices),
            "start_parameter": "",
            "payload": p.get("payload"),  # kept for the Pay button; Telegram keeps it too
        }
        return await self._post(int(p["chat_id"]), {"invoice": invoice}, p)

    async def m_answerPreCheckoutQuery(self, p: dict[str, Any]) -> bool:  # noqa: N802
        query_id = str(p.get("pre_checkout_query_id"))
        if query_id not in self.checkouts:
            raise BotApiError(400, "Bad Request: query is too old or invalid")
        self.checkouts[query_id].update(ok=_flag(p.get("ok")), error=p.get("error_message"))
        async with self._changed:
            self._changed.notify_all()
        return True

    async def m_refundStarPayment(self, p: dict[str, Any]) -> bool:  # noqa: N802
        charge = str(p.get("telegram_payment_charge_id"))
        if any(r["charge"] == charge for r in self.refunds):
            raise BotApiError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.refunds.append({"user_id": int(p["user_id"]), "charge": charge})
        return True

    async def download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        stored = self.files.get(request.match_info["path"].removeprefix("files/"))
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored.content, content_type=stored.content_type)

    async def media(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored.content, content_type=stored.content_type)

    # -- messages ---------------------------------------------------------------------------------------

    def _find(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(p.get("chat_id") or 0), int(p.get("message_id") or 0)
        for message in self.messages.get(chat_id, []):
            if message["message_id"] == message_id:
                return message
        raise BotApiError(400, "Bad Request: message to edit not found")

    async def _post(self, chat_id: int, content: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        """A message from the bot into a chat."""
        markup = _markup(p.get("reply_markup"))
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data") or "").encode()) > MAX_CALLBACK_DATA:
                    raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": self.bot_name},
            **{k: v for k, v in content.items() if v is not None},
        }
        if markup:
            message["reply_markup"] = markup
        self.messages.setdefault(chat_id, []).append(message)
        await self._touch()
        return message

    def _file(self, ref: Any, p: dict[str, Any], content_type: str) -> StoredFile:
        """A file the bot sent: an upload (attach://field), or a file_id it got before."""
        if isinstance(ref, StoredFile):
            return self._store(ref.content, _sniff(ref.content, content_type), ref.name)
        ref = str(ref)
        if ref.startswith("attach://"):
            upload = p.get(ref.removeprefix("attach://"))
            if not isinstance(upload, StoredFile):
                raise BotApiError(400, "Bad Request: file must be uploaded")
            return self._store(upload.content, _sniff(upload.content, content_type), upload.name)
        if ref in self.files:
            return self.files[ref]
        raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _send_media(self, kind: str, p: dict[str, Any]) -> dict[str, Any]:
        caption = str(p.get("caption") or "")
        if len(caption) > MAX_CAPTION:
            raise BotApiError(400, "Bad Request: message caption is too long")
        file = self._file(p.get(kind), p, _guess_type(kind))
        content = {"caption": caption or None, "parse_mode": p.get("parse_mode"), kind: _file_json(file, kind)}
        return await self._post(int(p["chat_id"]), content, p)

    def __getattr__(self, name: str) -> Any:
        method = name.removeprefix("m_")
        if name.startswith("m_") and method in MEDIA_METHODS:

            async def send(p: dict[str, Any]) -> dict[str, Any]:
                return await self._send_media(MEDIA_METHODS[method], p)

            return send
        raise AttributeError(name)

    # -- updates to the bot -------------------------------------------------------------------------------

    async def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        if self.webhook is not None:
            self._deliver(update)
        else:
            async with self._arrived:
                self.updates.append(update)
                self._arrived.notify_all()
        return update

    def _deliver(self, update: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._post_webhook(update))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _post_webhook(self, update: dict[str, Any]) -> None:
        """Telegram's webhook delivery: POST with the secret header, retried while the bot does not answer 200."""
        assert self.webhook is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret"]} if self.webhook["secret"] else {}
        async with aiohttp.ClientSession() as session:
            for attempt in range(5):
                try:
                    async with session.post(self.webhook["url"], json=update, headers=headers) as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2 * 2**attempt)

    def user(self, user_id: int, first_name: str = "Guest") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "ru"}

    def _user_message(self, user: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "from": user,
            **content,
        }
        self.messages.setdefault(user["id"], []).append(message)
        return message

    async def send_text(self, user: dict[str, Any], text: str) -> dict[str, Any]:
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else None
        )
        message = self._user_message(user, text=text, **({"entities": entities} if entities else {}))
        await self._touch()
        return await self.push("message", message)

    async def send_photo(self, user: dict[str, Any], content: bytes, content_type: str = "image/png") -> dict[str, Any]:
        file = self._store(content, content_type, "photo")
        message = self._user_message(user, photo=_file_json(file, "photo"))
        await self._touch()
        return await self.push("message", message)

    async def press(self, user: dict[str, Any], chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        message = next(m for m in self.messages.get(chat_id, []) if m["message_id"] == message_id)
        query_id = f"cq{next(self._ids)}"
        self.callbacks[query_id] = {"at": time.monotonic(), "answer": None}
        query = {"id": query_id, "from": user, "chat_instance": str(chat_id), "data": data, "message": message}
        return await self.push("callback_query", query)

    async def pay(self, user: dict[str, Any], chat_id: int, message_id: int, timeout: float = 10.0) -> dict[str, Any]:
        """The Pay button: a pre-checkout query; if the bot says ok within 10 s, the successful payment."""
        message = next(m for m in self.messages.get(chat_id, []) if m["message_id"] == message_id)
        invoice = message["invoice"]
        query_id = f"pc{next(self._ids)}"
        self.checkouts[query_id] = {"ok": None, "error": None}
        query = {
            "id": query_id,
            "from": user,
            "currency": "XTR",
            "total_amount": invoice["total_amount"],
            "invoice_payload": invoice["payload"],
        }
        await self.push("pre_checkout_query", query)
        deadline = time.monotonic() + timeout
        async with self._changed:
            while self.checkouts[query_id]["ok"] is None and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        answer = self.checkouts[query_id]
        if not answer["ok"]:
            return {"paid": False, "error": answer["error"] or "the bot did not answer in 10 seconds"}
        charge = f"stxPLAYGROUND{next(self._ids)}"
        payment = {
            "currency": "XTR",
            "total_amount": invoice["total_amount"],
            "invoice_payload": invoice["payload"],
            "telegram_payment_charge_id": charge,
            "provider_payment_charge_id": "",
        }
        await self.push("message", self._user_message(user, successful_payment=payment))
        await self._touch()
        return {"paid": True, "charge": charge}

    def _store(self, content: bytes, content_type: str, name: str) -> StoredFile:
        file = StoredFile(f"f{next(self._ids)}", content, content_type, name)
        self.files[file.file_id] = file
        return file

    async def announce(self, text: str) -> None:
        self.notice = text
        await self._touch()

    async def _touch(self) -> None:
        async with self._changed:
            self._version += 1
            self._changed.notify_all()

    async def wait_change(self, version: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while self._version == version and time.monotonic() < deadline and not self.closing:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
            return self._version

    # -- the page's API ------------------------------------------------------------------------------------

    async def ui_chat(self, request: web.Request) -> web.Response:
        user_id = int(request.query.get("user", "1"))
        version = await self.wait_change(int(request.query.get("version", "-1")), float(request.query.get("wait", 0)))
        answers = {qid: q["answer"] for qid, q in self.callbacks.items() if q["answer"]}
        messages = self.messages.get(user_id, [])
        return web.json_response({"version": version, "messages": messages, "answers": answers, "notice": self.notice})

    async def ui_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self.send_text(self.user(int(body["user"]), body.get("name", "Guest")), str(body["text"]))
        return web.json_response({"ok": True})

    async def ui_photo(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("photo")
        if not isinstance(upload, web.FileField):
            return web.json_response({"ok": False, "error": "no photo"}, status=400)
        user = self.user(int(str(form.get("user", "1"))), str(form.get("name", "Guest")))
        await self.send_photo(user, upload.file.read(), upload.content_type or "image/jpeg")
        return web.json_response({"ok": True})

    async def ui_press(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.user(int(body["user"]), body.get("name", "Guest"))
        update = await self.press(user, int(body["user"]), int(body["message_id"]), str(body["data"]))
        return web.json_response({"ok": True, "query": update["callback_query"]["id"]})

    async def ui_pay(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.user(int(body["user"]), body.get("name", "Guest"))
        return web.json_response(await self.pay(user, int(body["user"]), int(body["message_id"])))


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters from a query string, JSON or a (multipart) form; complex values are JSON text."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                params[key] = StoredFile("", content, value.content_type or "application/octet-stream", value.filename)
            else:
                params[key] = value
    for key in ("reply_markup", "media", "prices", "commands"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _markup(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        value = json.loads(value)
    return value or None


def _flag(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


def _guess_type(kind: str) -> str:
    return {"photo": "image/jpeg", "animation": "image/gif", "video": "video/mp4", "audio": "audio/mpeg"}.get(
        kind, "application/octet-stream"
    )


def _sniff(content: bytes, fallback: str) -> str:
    """The type the bytes really are (an upload's part says application/octet-stream)."""
    signatures = {b"\x89PNG": "image/png", b"GIF8": "image/gif", b"\xff\xd8\xff": "image/jpeg", b"OggS": "audio/ogg"}
    for head, kind in signatures.items():
        if content.startswith(head):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WAVE":
        return "audio/wav"
    if content[4:8] == b"ftyp":
        return "video/mp4"
    return fallback


def _file_json(file: StoredFile, kind: str) -> Any:
    described = {"file_id": file.file_id, "file_unique_id": f"u{file.file_id}", "file_size": len(file.content)}
    if kind == "photo":
        return [{**described, "width": 512, "height": 512}]
    return {**described, "mime_type": file.content_type, "file_name": file.name}
