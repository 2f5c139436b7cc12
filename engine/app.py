"""The one composition function: a Dispatcher wired with SQLite storage, event isolation and the engine.

Tests, the benchmark and `studio-bot run` all build the bot here; only the Bot's session differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand

from engine.bundle import Bundle
from engine.graph import START_COMMAND
from engine.middlewares import DedupeUpdates, RememberUsers
from engine.runtime import Engine
from storage import Database, ProcessedUpdates, SQLiteStorage, Users


def build_dispatcher(
    bundle: Bundle,
    db: Database,
    *,
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    services: Mapping[str, Any] | None = None,
) -> Dispatcher:
    """:param storage: the FSM storage (SQLite on `db` by default; aiogram's RedisStorage for many instances)
    :param events_isolation: one user's updates one at a time (in-process by default; Redis for many instances)
    :param services: extra objects guards and actions reach through `turn.services` (`db` and what the
        product's loaders read are always there)
    """
    dispatcher = Dispatcher(
        storage=storage or SQLiteStorage(db),
        events_isolation=events_isolation or SimpleEventIsolation(),
    )
    dispatcher.update.outer_middleware(DedupeUpdates(ProcessedUpdates(db)))
    dispatcher.update.outer_middleware(RememberUsers(Users(db)))
    # One dict for the whole run: start-up hooks may add to it (say, a job runner) and guards see that.
    shared: dict[str, Any] = {"db": db, "texts": bundle.product.texts, **bundle.data, **(services or {})}
    engine = Engine(bundle, shared)
    dispatcher.include_router(engine.router())
    dispatcher["services"] = shared
    dispatcher["engine"] = engine
    for hook in bundle.registry.startup:
        dispatcher.startup.register(_with_services(hook, shared))
    for hook in bundle.registry.shutdown:
        dispatcher.shutdown.register(_with_services(hook, shared))
    return dispatcher


def _with_services(hook: Any, services: dict[str, Any]) -> Any:
    async def run(bot: Bot) -> None:
        await hook(bot, services)

    run.__name__ = getattr(hook, "__name__", "hook")
    return run


def bot_commands(bundle: Bundle) -> list[BotCommand]:
    """The command list Telegram shows in the menu, /start first, descriptions from texts."""
    shown = [c for c in bundle.product.commands.values() if not c.hidden]
    commands = sorted(shown, key=lambda c: (c.name != START_COMMAND, c.where.line))
    return [BotCommand(command=c.name, description=bundle.product.texts.render(c.description)) for c in commands]
