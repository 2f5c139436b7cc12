"""A faithful fake Kie.ai server (aiohttp), for offline use and for tests.

What it does like Kie: bearer auth; market (`jobs/*`), Veo and Suno endpoints with their own status
shapes; per-model input validation (422 with a message); tasks walking waiting → queuing → generating →
success | fail on a clock you set; a credit balance (402 when empty); callbacks, optionally signed
(HMAC) and optionally delivered twice; the file-stream upload; a file host serving real PNG / GIF / WAV /
text bytes; an OpenAI-compatible chat-completions endpoint.

What tests steer: `fail_next` (errors for the next API requests, as HTTP statuses or inside HTTP-200
bodies), markers in a prompt (`[fail:moderation]`, `[fail:error]`, `[never]`), timings and credits.

Run it alone:  python -m providers.fake_kie --port 8700
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from providers import media

OUTPUT_TYPES = ("image", "video", "audio", "text")
# Put one of these in a prompt to get that ending.
MARKERS = {"[fail:moderation]": "moderation", "[fail:error]": "error", "[never]": "never"}
DEMO_TEXT = "DEMO output of the offline fake Kie.ai server. Your request was: {prompt}"


@dataclass
class FieldRule:
    type: str  # string | enum | image | images | bool | number
    required: bool = False
    values: tuple[Any, ...] = ()
    max_length: int | None = None


@dataclass
class ModelRule:
    fields: dict[str, FieldRule]
    output: str = "image"  # what the task produces: image | video | audio | text
    results: int = 1


@dataclass
class Task:
    id: str
    model: str
    family: str
    params: dict[str, Any]
    created: float
    callback_url: str | None
    outcome: str = "success"  # success | moderation | error | never
    callbacks_sent: int = 0


@dataclass
class FakeKie:
    api_key: str = "fake-key"
    rules: dict[str, ModelRule] = field(default_factory=dict)  # empty: any model, any input
    timings: tuple[float, float, float] = (0.3, 0.3, 0.9)  # seconds waiting, queuing, generating
    credits: int = 100_000
    hmac_key: str | None = None
    duplicate_callbacks: bool = False
    fail_next: deque[tuple[int, int]] = field(default_factory=deque)  # (http status, body code)
    base_url: str = ""  # set when started; the file host's address
    tasks: dict[str, Task] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # "METHOD path", for tests to read
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    # -- the app ---------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.router.add_post("/api/v1/jobs/createTask", self.create_market)
        app.router.add_get("/api/v1/jobs/recordInfo", self.record_market)
        app.router.add_post("/api/v1/veo/generate", self.create_veo)
        app.router.add_get("/api/v1/veo/record-info", self.record_veo)
        app.router.add_post("/api/v1/generate", self.create_suno)
        app.router.add_get("/api/v1/generate/record-info", self.record_suno)
        app.router.add_get("/api/v1/chat/credit", self.credit)
        app.router.add_post("/api/file-stream-upload", self.upload)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_get("/files/{name}", self.file)
        app.on_cleanup.append(self._cancel_callbacks)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path}")
        if request.path.startswith("/files/"):
            return await handler(request)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"code": 401, "msg": "You do not have access permissions"}, status=401)
        if self.fail_next and request.path != "/api/file-stream-upload":
            status, code = self.fail_next.popleft()
            return web.json_response({"code": code, "msg": f"scripted failure {code}"}, status=status)
        return await handler(request)

    async def _cancel_callbacks(self, app: web.Application) -> None:
        for pending in self._pending:
            pending.cancel()

    # -- creating tasks --------------------------------------------------------------------------------

    def _validate(self, model: str, params: dict[str, Any]) -> str | None:
        if not self.rules:
            return None
        rule = self.rules.get(model)
        if rule is None:
            return f"model '{model}' is not supported"
        for name, f in rule.fields.items():
            value = params.get(name)
            if value is None:
                if f.required:
                    return f"{name} is required"
                continue
            if f.type == "enum" and value not in f.values:
                return f"{name} must be one of {list(f.values)}"
            if f.type == "string" and (not isinstance(value, str) or (f.max_length and len(value) > f.max_length)):
                return f"{name} must be a string of at most {f.max_length} characters"
            if f.type == "images" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                return f"{name} must be a list of URLs"
            if f.type == "image" and not isinstance(value, str):
                return f"{name} must be a URL"
            if f.type == "bool" and not isinstance(value, bool):
                return f"{name} must be true or false"
        unknown = set(params) - set(rule.fields)
        if unknown:
            return f"unknown input {sorted(unknown)[0]}"
        return None

    def _start(self, model: str, family: str, params: dict[str, Any], callback: str | None) -> web.Response:
        problem = self._validate(model, params)
        if problem is not None:
            return web.json_response({"code": 422, "msg": problem})
        if self.credits <= 0:
            return web.json_response({"code": 402, "msg": "Credits insufficient"})
        self.credits -= 1
        prompt = json.dumps(params, ensure_ascii=False)
        outcome = next(
            (o for o in ("moderation", "error", "never") if f"[{'fail:' if o != 'never' else ''}{o}]" in prompt),
            "success",
        )
        task = Task(f"task{next(self._ids)}", model, family, params, time.monotonic(), callback, outcome)
        self.tasks[task.id] = task
        if callback and outcome != "never":
            pending = asyncio.get_running_loop().create_task(self._call_back(task))
            self._pending.add(pending)
            pending.add_done_callback(self._pending.discard)
        return web.json_response({"code": 200, "msg": "success", "data": {"taskId": task.id}})

    async def create_market(self, request: web.Request) -> web.Response:
        body = await request.json()
        return self._start(str(body.get("model")), "kie", dict(body.get("input") or {}), body.get("callBackUrl"))

    async def create_veo(self, request: web.Request) -> web.Response:
        body = await request.json()
        callback = body.pop("callBackUrl", None)
        return self._start("google/veo-3.1", "kie_veo", body, callback)

    async def create_suno(self, request: web.Request) -> web.Response:
        body = await request.json()
        callback = body.pop("callBackUrl", None)
        for key in ("customMode", "model"):
            body.pop(key, None)
        return self._start("suno/v5", "kie_suno", body, callback)

    # -- task state ------------------------------------------------------------------------------------

    def state_of(self, task: Task) -> str:
        elapsed = time.monotonic() - task.created
        waiting, queuing, generating = self.timings
        if elapsed < waiting:
            return "waiting"
        if elapsed < waiting + queuing or task.outcome == "never":
            return "queuing"
        if elapsed < waiting + queuing + generating:
            return "generating"
        return "success" if task.outcome == "success" else "fail"

    def _results(self, task: Task) -> list[str]:
        rule = self.rules.get(task.model) or ModelRule({}, "image")
        urls = []
        for n in range(rule.results):
            if rule.output == "text":
                content, kind, ext = (
                    DEMO_TEXT.format(prompt=task.params.get("prompt", "")).encode(),
                    "text/plain",
                    "txt",
                )
            elif rule.output == "video":
                content, kind, ext = media.gif(), "image/gif", "gif"
            elif rule.output == "audio":
                content, kind, ext = media.wav(pitch=440 + 110 * n), "audio/wav", "wav"
            else:
                content, kind, ext = media.png(seed=n), "image/png", "png"
            name = f"demo-{task.id}-{n}.{ext}"
            self.files[name] = (content, kind)
            urls.append(f"{self.base_url}/files/{name}")
        return urls

    def _record(self, task: Task) -> dict[str, Any]:
        state = self.state_of(task)
        data: dict[str, Any] = {
            "taskId": task.id,
            "model": task.model,
            "state": state,
            "param": json.dumps({"model": task.model, "input": task.params}),
            "resultJson": "",
            "failCode": "",
            "failMsg": "",
            "createTime": int(task.created * 1000),
        }
        if state == "success":
            data["resultJson"] = json.dumps({"resultUrls": self._results(task)})
        elif state == "fail":
            data["failCode"] = "500"
            data["failMsg"] = (
                "Your prompt was flagged as sensitive by content moderation"
                if task.outcome == "moderation"
                else "Internal error, please try again later"
            )
        return data

    def _task(self, request: web.Request) -> Task | None:
        return self.tasks.get(request.query.get("taskId", ""))

    async def record_market(self, request: web.Request) -> web.Response:
        task = self._task(request)
        if task is None:
            return web.json_response({"code": 404, "message": "task not found"})
        return web.json_response({"code": 200, "message": "success", "data": self._record(task)})

    async def record_veo(self, request: web.Request) -> web.Response:
        task = self._task(request)
        if task is None:
            return web.json_response({"code": 404, "msg": "task not found"})
        record = self._record(task)
        flag = {"success": 1, "fail": 3}.get(record["state"], 0)
        data = {"taskId": task.id, "successFlag": flag, "errorMessage": record["failMsg"] or None}
        if flag == 1:
            data["response"] = {"resultUrls": json.loads(record["resultJson"])["resultUrls"]}
        return web.json_response({"code": 200, "msg": "success", "data": data})

    async def record_suno(self, request: web.Request) -> web.Response:
        task = self._task(request)
        if task is None:
            return web.json_response({"code": 404, "msg": "task not found"})
        record = self._record(task)
        status = {"success": "SUCCESS", "fail": "GENERATE_AUDIO_FAILED", "generating": "TEXT_SUCCESS"}
        if record["state"] == "fail" and task.outcome == "moderation":
            status["fail"] = "SENSITIVE_WORD_ERROR"
        data: dict[str, Any] = {"taskId": task.id, "status": status.get(record["state"], "PENDING")}
        if record["state"] == "success":
            urls = json.loads(record["resultJson"])["resultUrls"]
            data["response"] = {"sunoData": [{"id": f"{task.id}-{i}", "audioUrl": u} for i, u in enumerate(urls)]}
        if record["state"] == "fail":
            data["errorMessage"] = record["failMsg"]
        return web.json_response({"code": 200, "msg": "success", "data": data})

    async def _call_back(self, task: Task) -> None:
        await asyncio.sleep(sum(self.timings) + 0.01)
        record = self._record(task)
        ok = record["state"] == "success"
        body = {
            "code": 200 if ok else 501,
            "msg": "Playground task completed successfully." if ok else "failed",
            "data": record,
        }
        headers = {"Content-Type": "application/json"}
        if self.hmac_key:
            stamp = str(int(time.time()))
            digest = hmac.new(self.hmac_key.encode(), f"{task.id}.{stamp}".encode(), hashlib.sha256).digest()
            headers |= {"X-Webhook-Timestamp": stamp, "X-Webhook-Signature": base64.b64encode(digest).decode()}
        async with aiohttp.ClientSession() as session:
            for _ in range(2 if self.duplicate_callbacks else 1):
                try:
                    async with session.post(str(task.callback_url), data=json.dumps(body), headers=headers) as answer:
                        await answer.read()
                    task.callbacks_sent += 1
                except aiohttp.ClientError:
                    return

    # -- the rest --------------------------------------------------------------------------------------

    async def credit(self, request: web.Request) -> web.Response:
        return web.json_response({"code": 200, "msg": "success", "data": self.credits})

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return web.json_response({"code": 400, "msg": "file is required"}, status=400)
        content = upload.file.read()
        name = f"upload-{next(self._ids)}-{upload.filename}"
        self.files[name] = (content, upload.content_type or "application/octet-stream")
        url = f"{self.base_url}/files/{name}"
        data = {"fileName": name, "filePath": f"studio-bot/{name}", "downloadUrl": url, "fileSize": len(content)}
        return web.json_response({"success": True, "code": 200, "msg": "File uploaded successfully", "data": data})

    async def file(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404)
        content, kind = found
        return web.Response(body=content, content_type=kind)

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        prompt = next((m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
        if "[fail:moderation]" in prompt:
            error = {"message": "Your request was rejected by the safety system", "type": "invalid_request_error"}
            return web.json_response({"error": error}, status=400)
        text = DEMO_TEXT.format(prompt=prompt)
        message = {"role": "assistant", "content": text}
        return web.json_response(
            {
                "id": "chatcmpl-demo",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }
        )


async def serve(fake: FakeKie, host: str = "127.0.0.1", port: int = 0) -> web.AppRunner:
    """Start the fake on host:port (0: any free port); `fake.base_url` tells where it is."""
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server is not None else []  # type: ignore[union-attr]
    fake.base_url = f"http://{host}:{sockets[0].getsockname()[1]}"
    return runner


def main() -> None:  # pragma: no cover - a manual tool
    parser = argparse.ArgumentParser(description="A fake Kie.ai server")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--key", default="fake-key")
    parser.add_argument("--timings", default="0.3,0.3,0.9", help="seconds waiting,queuing,generating")
    args = parser.parse_args()
    waiting, queuing, generating = (float(x) for x in args.timings.split(","))

    async def run() -> None:
        fake = FakeKie(api_key=args.key, timings=(waiting, queuing, generating))
        runner = await serve(fake, port=args.port)
        print(f"fake Kie.ai on http://127.0.0.1:{args.port} (key {args.key})", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    main()
