"""One running generation per user: a persisted lock with a time-to-live.

The lock lives in SQLite, so it survives a restart; an expired lock is taken over, and
`cleanup_expired` removes the ones nobody came back for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosqlite

from storage.database import Database, now

log = logging.getLogger("storage.locks")


@dataclass(frozen=True)
class Lock:
    user_id: int
    job_id: int | None
    acquired_at: int
    expires_at: int


class JobLocks:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def acquire(tx: aiosqlite.Connection, user_id: int, ttl_seconds: int) -> bool:
        """Take the user's lock inside the caller's transaction; False when a live lock is held."""
        stamp = now()
        await tx.execute("DELETE FROM job_locks WHERE user_id = ? AND expires_at <= ?", (user_id, stamp))
        async with tx.execute(
            "INSERT OR IGNORE INTO job_locks (user_id, job_id, acquired_at, expires_at) VALUES (?, NULL, ?, ?)",
            (user_id, stamp, stamp + ttl_seconds),
        ) as cursor:
            return cursor.rowcount == 1

    @staticmethod
    def announce(user_id: int) -> None:
        """Log the seed's line once the transaction that took the lock has committed."""
        log.info("🔒 Lock acquired for user %d", user_id)

    @staticmethod
    async def attach(tx: aiosqlite.Connection, user_id: int, job_id: int) -> None:
        await tx.execute("UPDATE job_locks SET job_id = ? WHERE user_id = ?", (job_id, user_id))

    async def held(self, user_id: int) -> Lock | None:
        row = await self.db.fetch_one(
            "SELECT user_id, job_id, acquired_at, expires_at FROM job_locks WHERE user_id = ? AND expires_at > ?",
            (user_id, now()),
        )
        return Lock(*row) if row else None

    async def release(self, user_id: int, job_id: int | None = None) -> bool:
        """Release the user's lock (only if it belongs to `job_id`, when given)."""
        if job_id is None:
            changed = await self.db.execute("DELETE FROM job_locks WHERE user_id = ?", (user_id,))
        else:
            changed = await self.db.execute("DELETE FROM job_locks WHERE user_id = ? AND job_id = ?", (user_id, job_id))
        if changed:
            log.info("🔓 Lock released for user %d", user_id)
        return changed > 0

    async def cleanup_expired(self) -> int:
        rows = await self.db.fetch_all("SELECT user_id FROM job_locks WHERE expires_at <= ?", (now(),))
        removed = 0
        for row in rows:
            removed += await self.db.execute(
                "DELETE FROM job_locks WHERE user_id = ? AND expires_at <= ?", (row[0], now())
            )
            log.info("🔓 Lock released for user %d (expired)", row[0])
        return removed

    async def count(self) -> int:
        row = await self.db.fetch_one("SELECT COUNT(*) FROM job_locks WHERE expires_at > ?", (now(),))
        return int(row[0]) if row else 0
