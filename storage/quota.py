"""How many free generations each user took on each day."""

from __future__ import annotations

import aiosqlite

from storage.database import Database


class FreeUses:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def used(self, user_id: int, day: str) -> int:
        row = await self.db.fetch_one("SELECT used FROM free_uses WHERE user_id = ? AND day = ?", (user_id, day))
        return int(row[0]) if row else 0

    @staticmethod
    async def take(tx: aiosqlite.Connection, user_id: int, day: str, per_day: int) -> bool:
        """Count one free use inside the caller's transaction; False when the day's quota is spent."""
        await tx.execute(
            "INSERT INTO free_uses (user_id, day, used) VALUES (?, ?, 0) ON CONFLICT (user_id, day) DO NOTHING",
            (user_id, day),
        )
        async with tx.execute(
            "UPDATE free_uses SET used = used + 1 WHERE user_id = ? AND day = ? AND used < ?",
            (user_id, day, per_day),
        ) as cursor:
            return cursor.rowcount == 1

    @staticmethod
    async def give_back(tx: aiosqlite.Connection, user_id: int, day: str) -> None:
        await tx.execute(
            "UPDATE free_uses SET used = used - 1 WHERE user_id = ? AND day = ? AND used > 0", (user_id, day)
        )
