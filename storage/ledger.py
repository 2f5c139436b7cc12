"""Money as integer kopecks: an append-only ledger and a cached balance kept in step with it.

Every change of a balance is one ledger entry with a reason and a reference; (reason, reference) is
unique, so posting the same top-up, refund or bonus twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.database import Database, now


class InsufficientFundsError(Exception):
    """The entry would take the balance below zero; nothing was written."""

    def __init__(self, balance: int, amount: int) -> None:
        super().__init__(f"balance {balance} cannot cover {-amount}")
        self.balance = balance
        self.shortfall = -amount - balance


@dataclass(frozen=True)
class Entry:
    id: int
    user_id: int
    amount: int
    reason: str
    reference: str
    actor: int | None
    created_at: int


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def balance(self, user_id: int) -> int:
        row = await self.db.fetch_one("SELECT balance FROM accounts WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0

    async def sum_of_entries(self, user_id: int) -> int:
        row = await self.db.fetch_one("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0

    async def entries(self, user_id: int, limit: int = 10) -> list[Entry]:
        rows = await self.db.fetch_all(
            "SELECT id, user_id, amount, reason, reference, actor, created_at FROM ledger"
            " WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            (user_id, limit),
        )
        return [Entry(*row) for row in rows]

    async def find(self, reason: str, reference: str) -> Entry | None:
        row = await self.db.fetch_one(
            "SELECT id, user_id, amount, reason, reference, actor, created_at FROM ledger"
            " WHERE reason = ? AND reference = ?",
            (reason, reference),
        )
        return Entry(*row) if row else None

    async def post_once(
        self, user_id: int, amount: int, reason: str, reference: str, actor: int | None = None
    ) -> int | None:
        """`post` in a transaction of its own."""
        async with self.db.transaction() as tx:
            return await self.post(tx, user_id, amount, reason, reference, actor)

    @staticmethod
    async def post(
        tx: aiosqlite.Connection,
        user_id: int,
        amount: int,
        reason: str,
        reference: str,
        actor: int | None = None,
    ) -> int | None:
        """Add an entry and move the balance, inside the caller's transaction.

        Returns the new entry's id, or None when (reason, reference) was already posted.
        Raises InsufficientFundsError (writing nothing) when a debit exceeds the balance.
        """
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            raise ValueError(f"a ledger amount is a non-zero whole number of kopecks, not {amount!r}")
        stamp = now()
        async with tx.execute("SELECT 1 FROM ledger WHERE reason = ? AND reference = ?", (reason, reference)) as cur:
            if await cur.fetchone() is not None:
                return None
        async with tx.execute("SELECT balance FROM accounts WHERE user_id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
        balance = int(row[0]) if row else 0
        if balance + amount < 0:
            raise InsufficientFundsError(balance, amount)
        async with tx.execute(
            "INSERT INTO ledger (user_id, amount, reason, reference, actor, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, amount, reason, reference, actor, stamp),
        ) as cursor:
            entry_id = cursor.lastrowid
        # Not an upsert: SQLite checks `balance >= 0` on the would-be inserted row even when it conflicts.
        await tx.execute(
            "INSERT INTO accounts (user_id, balance, updated_at) VALUES (?, 0, ?) ON CONFLICT (user_id) DO NOTHING",
            (user_id, stamp),
        )
        await tx.execute(
            "UPDATE accounts SET balance = balance + ?, updated_at = ? WHERE user_id = ?", (amount, stamp, user_id)
        )
        return entry_id
