"""Outer middlewares on the update: drop redelivered updates, remember who wrote."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from engine import loggers
from storage import ProcessedUpdates, Users

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DedupeUpdates(BaseMiddleware):
    """Telegram may deliver an update twice (webhook retries, a restart mid-poll): handle it once."""

    def __init__(self, processed: ProcessedUpdates, prune_every: int = 1000) -> None:
        self.processed = processed
        # Old ids are forgotten every `prune_every` new updates: no timer task, and the table stays small.
        self.prune_every = prune_every
        self._since_prune = 0

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if not await self.processed.mark_new(event.update_id):
            loggers.dedupe.info("⏭️ Update %d already exists (duplicate)", event.update_id)
            return None
        loggers.dedupe.info("✅ Update %d marked as NEW (first time)", event.update_id)
        self._since_prune += 1
        if self._since_prune >= self.prune_every:
            self._since_prune = 0
            pruned = await self.processed.forget_older_than()
            loggers.dedupe.info("forgot %d update ids older than a week", pruned)
        return await handler(event, data)


class RememberUsers(BaseMiddleware):
    def __init__(self, users: Users) -> None:
        self.users = users

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if isinstance(user, User) and not user.is_bot:
            await self.users.seen(user.id, user.first_name, user.username, user.language_code)
        return await handler(event, data)
