"""aiogram's `BaseStorage` on SQLite: a user's conversation state and data survive a restart.

Rows are keyed on every field of aiogram's `StorageKey` (bot, chat, user, thread, business
connection, destiny). Reads are served from a bounded write-through cache: the Dispatcher's event
isolation already serialises one key's updates, and this process is the file's only writer
(several instances share Redis, not one SQLite file), so the cache is never behind the table.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.database import Database, now

# (state, data as JSON text): callers always get a fresh dict, never one the cache shares.
_Record = tuple[str | None, str]


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


def _row_key(key: StorageKey) -> tuple[int, int, int, int, str, str]:
    # Telegram thread ids are positive and business connection ids non-empty, so 0 and '' mean "none".
    return (key.bot_id, key.chat_id, key.user_id, key.thread_id or 0, key.business_connection_id or "", key.destiny)


class SQLiteStorage(BaseStorage):
    def __init__(self, db: Database, cache_size: int = 10_000) -> None:
        self.db = db
        self._cache: OrderedDict[StorageKey, _Record] = OrderedDict()
        self._cache_size = cache_size

    async def _record(self, key: StorageKey) -> _Record:
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        row = await self.db.fetch_one(
            "SELECT state, data FROM fsm_records WHERE bot_id = ? AND chat_id = ? AND user_id = ?"
            " AND thread_id = ? AND business_connection_id = ? AND destiny = ?",
            _row_key(key),
        )
        record: _Record = (row["state"], row["data"]) if row else (None, "{}")
        self._remember(key, record)
        return record

    def _remember(self, key: StorageKey, record: _Record) -> None:
        self._cache[key] = record
        self._cache.move_to_end(key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _write(self, key: StorageKey, state: str | None, data: str) -> None:
        await self.db.execute(
            """
            INSERT INTO fsm_records
                (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny, state, data, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny)
            DO UPDATE SET state = excluded.state, data = excluded.data, updated_at = excluded.updated_at
            """,
            (*_row_key(key), state, data, now()),
        )
        self._remember(key, (state, data))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        _, data = await self._record(key)
        await self._write(key, _state_name(state), data)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._record(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
            raise DataNotDictLikeError(msg)
        state, _ = await self._record(key)
        await self._write(key, state, json.dumps(data, ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return json.loads((await self._record(key))[1])

    async def close(self) -> None:
        """The Database is owned by whoever opened it; closing the storage only drops the cache."""
        self._cache.clear()
