"""Telegram's flood control: on 429, wait the `retry_after` it asks for and send the same call again."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from engine import loggers


class WaitOnFloodControl(BaseRequestMiddleware):
    def __init__(self, attempts: int = 3, longest_wait: float = 60.0) -> None:
        self.attempts = attempts
        self.longest_wait = longest_wait  # beyond this, give up rather than hold the update for minutes

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Any:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as err:
                if attempt == self.attempts or err.retry_after > self.longest_wait:
                    raise
                loggers.run.warning("429 on %s: waiting %d s as Telegram asks", type(method).__name__, err.retry_after)
                await asyncio.sleep(err.retry_after)
        raise AssertionError("unreachable")  # pragma: no cover
