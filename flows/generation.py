"""Wiring the generation back end at start-up: the Kie.ai client (or the bundled fake), the chat client,
the job runner; and the route where Kie posts its callbacks.

Configuration (environment): KIE_API_KEY (none: the offline fake Kie server is started on 127.0.0.1),
KIE_API_URL, KIE_UPLOAD_URL, KIE_CALLBACK_URL (our public URL + /kie/callback; none: poll only),
KIE_WEBHOOK_HMAC_KEY (verify callbacks), CHAT_API_URL + CHAT_API_KEY (text models), JOB_TIMEOUT_MINUTES.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiogram import Bot
from aiohttp import web

from flows import registry
from flows.catalog import Catalog
from flows.runner import FAILURE_TEXTS, RESULT_TEXTS, STATUS_TEXTS, JobRunner, RunnerSettings
from providers.chat import ChatClient
from providers.fake_kie import FakeKie, FieldRule, ModelRule, serve
from providers.kie import DEFAULT_API, DEFAULT_UPLOAD, KieClient

log = logging.getLogger("flows.generation")

CALLBACK_PATH = "/kie/callback"
registry.needs_texts(*STATUS_TEXTS, *FAILURE_TEXTS, *RESULT_TEXTS)
OUTPUTS = {"video": "video", "image": "image", "tools": "image", "audio": "audio", "music": "audio", "text": "text"}


def fake_rules(catalog: Catalog) -> dict[str, ModelRule]:
    """What the fake Kie accepts: exactly the inputs our catalog sends (photos arrive as URLs)."""
    rules = {}
    for model in catalog.models.values():
        fields = {
            f.name: FieldRule(f.type, f.required, tuple(v for v, _ in f.values), f.max_length) for f in model.fields
        }
        if model.provider == "kie_veo":
            fields["aspectRatio"] = fields.get("aspectRatio", FieldRule("enum"))
        rules[model.id] = ModelRule(
            fields, OUTPUTS.get(model.category, "image"), 2 if model.provider == "kie_suno" else 1
        )
    return rules


def runner_settings(env: Mapping[str, str]) -> RunnerSettings:
    settings = RunnerSettings(callback_url=env.get("KIE_CALLBACK_URL") or None)
    if env.get("JOB_TIMEOUT_MINUTES"):
        settings.timeout = 60 * float(env["JOB_TIMEOUT_MINUTES"])
    return settings


@registry.on_startup
async def start_generation(bot: Bot, services: dict[str, Any], env: Mapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    catalog: Catalog = services["catalog"]
    session = aiohttp.ClientSession()
    services["http"] = session
    key = env.get("KIE_API_KEY")
    if key:
        kie = KieClient(session, key, env.get("KIE_API_URL", DEFAULT_API), env.get("KIE_UPLOAD_URL", DEFAULT_UPLOAD))
        chat_url, chat_key = env.get("CHAT_API_URL"), env.get("CHAT_API_KEY", "")
    else:
        fake = FakeKie(rules=fake_rules(catalog))
        services["fake_kie"], services["fake_kie_runner"] = fake, await serve(fake)
        kie = KieClient(session, fake.api_key, fake.base_url, fake.base_url)
        chat_url, chat_key = env.get("CHAT_API_URL") or f"{fake.base_url}/v1", env.get("CHAT_API_KEY", fake.api_key)
        log.info("no KIE_API_KEY: generating with the offline fake Kie.ai at %s (demo results)", fake.base_url)
    chat = ChatClient(session, chat_url, chat_key) if chat_url else None
    runner = JobRunner(services["db"], catalog, services["texts"], runner_settings(env))
    services["generator"] = runner
    services["hmac_key"] = env.get("KIE_WEBHOOK_HMAC_KEY") or None
    await runner.start(bot, kie, chat)


@registry.on_shutdown
async def stop_generation(bot: Bot, services: dict[str, Any]) -> None:
    runner = services.pop("generator", None)
    if runner is not None:
        await runner.stop()
    fake_runner = services.pop("fake_kie_runner", None)
    if fake_runner is not None:
        await fake_runner.cleanup()
    session = services.pop("http", None)
    if session is not None:
        await session.close()


def signature_ok(key: str, task_id: str, stamp: str, signature: str) -> bool:
    expected = base64.b64encode(hmac.new(key.encode(), f"{task_id}.{stamp}".encode(), hashlib.sha256).digest())
    return hmac.compare_digest(expected.decode(), signature)


@registry.route("POST", CALLBACK_PATH)
async def kie_callback(request: web.Request, services: dict[str, Any]) -> web.Response:
    """Kie's callback: checked (HMAC when a key is set), then the job is looked at; a duplicate is a no-op."""
    try:
        body = await request.json()
        task_id = str(body["data"]["taskId"])
    except (ValueError, KeyError, TypeError):
        return web.json_response({"ok": False, "error": "not a Kie callback"}, status=400)
    key = services.get("hmac_key")
    if key and not signature_ok(
        key, task_id, request.headers.get("X-Webhook-Timestamp", ""), request.headers.get("X-Webhook-Signature", "")
    ):
        return web.json_response({"ok": False, "error": "bad signature"}, status=401)
    runner: JobRunner | None = services.get("generator")
    known = runner is not None and await runner.on_callback(task_id)
    return web.json_response({"ok": True, "known": known})
