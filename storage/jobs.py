"""Generation jobs: who asked which model for what, what it cost, and where it stands."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.database import Database, now

# Jobs in these states produced something; the popular list counts them.
COMPLETED_STATES = ("succeeded", "delivered")


@dataclass(frozen=True)
class Job:
    id: int
    user_id: int
    model_id: str
    inputs: dict[str, Any]
    price: int
    free: bool
    ledger_entry: int | None
    state: str
    created_at: int


_COLUMNS = "id, user_id, model_id, inputs, price, free, ledger_entry, state, created_at"


def _job(row: Any) -> Job:
    return Job(row[0], row[1], row[2], json.loads(row[3]), row[4], bool(row[5]), row[6], row[7], row[8])


class Jobs:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def create(
        tx: aiosqlite.Connection,
        user_id: int,
        model_id: str,
        inputs: dict[str, Any],
        price: int,
        free: bool,
        ledger_entry: int | None,
    ) -> int:
        stamp = now()
        async with tx.execute(
            "INSERT INTO jobs (user_id, model_id, inputs, price, free, ledger_entry, state, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?)",
            (user_id, model_id, json.dumps(inputs, ensure_ascii=False), price, int(free), ledger_entry, stamp, stamp),
        ) as cursor:
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def get(self, job_id: int) -> Job | None:
        row = await self.db.fetch_one(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None

    async def for_user(self, user_id: int, limit: int = 10, offset: int = 0) -> list[Job]:
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM jobs WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [_job(row) for row in rows]

    async def count_for_user(self, user_id: int) -> int:
        row = await self.db.fetch_one("SELECT COUNT(*) FROM jobs WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0

    async def completed_by_model(self) -> dict[str, int]:
        placeholders = ", ".join("?" for _ in COMPLETED_STATES)
        rows = await self.db.fetch_all(
            f"SELECT model_id, COUNT(*) FROM jobs WHERE state IN ({placeholders}) GROUP BY model_id",
            COMPLETED_STATES,
        )
        return {row[0]: int(row[1]) for row in rows}
