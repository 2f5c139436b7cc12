"""Generation jobs: who asked which model for what, what it cost, and where it stands.

States: created → submitted → running → succeeded → delivered, or failed | timed_out. Every move is a
compare-and-set (`advance`): of two racing paths (a poll and a callback, two processes), one wins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.database import Database, now

# Jobs in these states produced something; the popular list counts them.
COMPLETED_STATES = ("succeeded", "delivered")
IN_FLIGHT_STATES = ("created", "submitted", "running", "succeeded")
FAILED_STATES = ("failed", "timed_out")


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
    provider_task_id: str | None = None
    attempts: int = 0
    result_urls: tuple[str, ...] = ()
    result_text: str | None = None
    error_cause: str | None = None
    refunded: bool = False
    chat_id: int | None = None
    status_message_id: int | None = None
    submitted_at: int | None = None
    finished_at: int | None = None


_COLUMNS = (
    "id, user_id, model_id, inputs, price, free, ledger_entry, state, created_at, provider_task_id, attempts,"
    " result_urls, result_text, error_cause, refunded, chat_id, status_message_id, submitted_at, finished_at"
)


def _job(row: Any) -> Job:
    return Job(
        id=row[0],
        user_id=row[1],
        model_id=row[2],
        inputs=json.loads(row[3]),
        price=row[4],
        free=bool(row[5]),
        ledger_entry=row[6],
        state=row[7],
        created_at=row[8],
        provider_task_id=row[9],
        attempts=row[10],
        result_urls=tuple(json.loads(row[11])) if row[11] else (),
        result_text=row[12],
        error_cause=row[13],
        refunded=bool(row[14]),
        chat_id=row[15],
        status_message_id=row[16],
        submitted_at=row[17],
        finished_at=row[18],
    )


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
        chat_id: int | None = None,
    ) -> int:
        stamp = now()
        async with tx.execute(
            "INSERT INTO jobs (user_id, model_id, inputs, price, free, ledger_entry, state, chat_id, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?, ?)",
            (
                user_id,
                model_id,
                json.dumps(inputs, ensure_ascii=False),
                price,
                int(free),
                ledger_entry,
                chat_id,
                stamp,
                stamp,
            ),
        ) as cursor:
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def get(self, job_id: int) -> Job | None:
        row = await self.db.fetch_one(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None

    async def by_task(self, task_id: str) -> Job | None:
        row = await self.db.fetch_one(f"SELECT {_COLUMNS} FROM jobs WHERE provider_task_id = ?", (task_id,))
        return _job(row) if row else None

    async def advance(self, job_id: int, sources: tuple[str, ...], state: str, **values: Any) -> bool:
        """Move the job to `state` if it is in one of `sources`, with `values` set; False when it was not."""
        if "result_urls" in values:
            values["result_urls"] = json.dumps(list(values["result_urls"]))
        assignments = "".join(f", {name} = ?" for name in values)
        marks = ", ".join("?" for _ in sources)
        changed = await self.db.execute(
            f"UPDATE jobs SET state = ?, updated_at = ?{assignments} WHERE id = ? AND state IN ({marks})",
            (state, now(), *values.values(), job_id, *sources),
        )
        return changed == 1

    async def note(self, job_id: int, **values: Any) -> None:
        """Set bookkeeping columns (attempts, the status message) without a change of state."""
        assignments = ", ".join(f"{name} = ?" for name in values)
        await self.db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values.values(), job_id))

    async def unfinished(self) -> list[Job]:
        """Jobs a restart must pick up: in flight, or failed without their refund yet."""
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM jobs WHERE state IN ({', '.join('?' for _ in IN_FLIGHT_STATES)})"
            f" OR (state IN ('failed', 'timed_out') AND refunded = 0) ORDER BY id",
            IN_FLIGHT_STATES,
        )
        return [_job(row) for row in rows]

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
