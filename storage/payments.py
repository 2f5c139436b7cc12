"""Telegram Stars payments: one row per charge id, so a charge is credited once and refunded once."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.database import Database, now


@dataclass(frozen=True)
class Payment:
    charge_id: str
    user_id: int
    tariff_id: str
    stars: int
    kopecks: int
    created_at: int
    refunded_at: int | None


_COLUMNS = "charge_id, user_id, tariff_id, stars, kopecks, created_at, refunded_at"


class Payments:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def record(
        tx: aiosqlite.Connection, charge_id: str, user_id: int, tariff_id: str, stars: int, kopecks: int
    ) -> bool:
        """Inside the caller's transaction; False when this charge was recorded before."""
        async with tx.execute(
            "INSERT OR IGNORE INTO payments (charge_id, user_id, tariff_id, stars, kopecks, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (charge_id, user_id, tariff_id, stars, kopecks, now()),
        ) as cursor:
            return cursor.rowcount == 1

    @staticmethod
    async def mark_refunded(tx: aiosqlite.Connection, charge_id: str, admin_id: int | None) -> bool:
        async with tx.execute(
            "UPDATE payments SET refunded_at = ?, refunded_by = ? WHERE charge_id = ? AND refunded_at IS NULL",
            (now(), admin_id, charge_id),
        ) as cursor:
            return cursor.rowcount == 1

    @staticmethod
    async def unmark_refunded(tx: aiosqlite.Connection, charge_id: str) -> None:
        await tx.execute("UPDATE payments SET refunded_at = NULL, refunded_by = NULL WHERE charge_id = ?", (charge_id,))

    async def get(self, charge_id: str) -> Payment | None:
        row = await self.db.fetch_one(f"SELECT {_COLUMNS} FROM payments WHERE charge_id = ?", (charge_id,))
        return Payment(*row) if row else None

    async def for_user(self, user_id: int, limit: int = 5) -> list[Payment]:
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM payments WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (user_id, limit),
        )
        return [Payment(*row) for row in rows]

    async def revenue(self, since: int = 0) -> tuple[int, int]:
        """(stars, kopecks) paid and not refunded since `since`."""
        row = await self.db.fetch_one(
            "SELECT COALESCE(SUM(stars), 0), COALESCE(SUM(kopecks), 0) FROM payments"
            " WHERE refunded_at IS NULL AND created_at >= ?",
            (since,),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)


class ModelSwitches:
    """Models an admin switched off: kept in SQLite so a restart does not switch them back on."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def disabled(self) -> set[str]:
        return {row[0] for row in await self.db.fetch_all("SELECT model_id FROM disabled_models")}

    async def switch(self, model_id: str, off: bool, admin_id: int) -> None:
        if off:
            await self.db.execute(
                "INSERT OR REPLACE INTO disabled_models (model_id, disabled_by, disabled_at) VALUES (?, ?, ?)",
                (model_id, admin_id, now()),
            )
        else:
            await self.db.execute("DELETE FROM disabled_models WHERE model_id = ?", (model_id,))
