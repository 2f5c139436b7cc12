"""Connects the Dispatcher to Telegram: long polling, or aiogram's aiohttp webhook handler with a secret."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from engine import loggers
from engine.app import bot_commands, build_dispatcher
from engine.bundle import Bundle
from engine.config import Settings
from engine.registry import Registry
from engine.reload import Reloader, Report
from engine.retry import WaitOnFloodControl
from storage import Database, ProcessedUpdates


def make_bot(settings: Settings) -> Bot:
    assert settings.bot_token is not None
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else AiohttpSession()
    )
    session.middleware(WaitOnFloodControl())
    return Bot(settings.bot_token, session=session)


def webhook_app(dispatcher: Dispatcher, bot: Bot, settings: Settings, registry: Registry) -> web.Application:
    """aiogram's own handler: it refuses requests without the secret token header.

    Updates are handled before Telegram gets its 200 (not in the background): if the process dies
    mid-update, Telegram delivers it again and the dedupe table makes that harmless; an update
    acknowledged first and handled later would be lost. The product's own routes (say, a provider's
    callbacks) are served beside it.
    """
    app = web.Application()
    handler = SimpleRequestHandler(dispatcher, bot, secret_token=settings.webhook_secret, handle_in_background=False)
    handler.register(app, path=settings.webhook_path)
    setup_application(app, dispatcher, bot=bot)
    services = dispatcher["services"]
    for method, path, route in registry.routes:
        app.router.add_route(method, path, _bound(route, services))
    return app


def _bound(route: Any, services: dict[str, Any]) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await route(request, services)
        return response

    return handle


async def serve(settings: Settings, bundle: Bundle, *, reload: bool = False, report: Report | None = None) -> None:
    """Run until stopped. `reload`: pick up YAML edits (a broken edit is reported; the old version stays)."""
    db = await Database.open(settings.database_path)
    forgotten = await ProcessedUpdates(db).forget_older_than()
    loggers.run.info("database %s ready (%d old update ids forgotten)", settings.database_path, forgotten)
    dispatcher = build_dispatcher(bundle, db)
    bot = make_bot(settings)
    watching = (
        asyncio.get_running_loop().create_task(Reloader(bundle.root, bundle.registry, dispatcher, report).watch())
        if reload
        else None
    )
    try:
        await bot.set_my_commands(bot_commands(bundle))
        if settings.webhook_url:
            await bot.set_webhook(
                settings.webhook_url, secret_token=settings.webhook_secret, drop_pending_updates=False
            )
            runner = web.AppRunner(webhook_app(dispatcher, bot, settings, bundle.registry))
            await runner.setup()
            await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
            loggers.run.info(
                "webhook at %s, listening on %s:%d", settings.webhook_url, settings.webhook_host, settings.webhook_port
            )
            try:
                await asyncio.Event().wait()  # until the process is stopped
            finally:
                await runner.cleanup()
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            loggers.run.info("long polling")
            await dispatcher.start_polling(bot, handle_signals=True)
    finally:
        if watching is not None:
            watching.cancel()
        await bot.session.close()
        await db.close()
