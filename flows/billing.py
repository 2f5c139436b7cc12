"""Money moves of a job, each ONE SQLite transaction: launch (lock, pay, record) and refund (pay back, unlock)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.catalog import Catalog, Model
from flows.journey import today
from storage import Database, FreeUses, InsufficientFundsError, JobLocks, Jobs, Ledger


@dataclass(frozen=True)
class Launch:
    outcome: str  # started | locked | short
    job_id: int | None = None
    price: int = 0
    free: bool = False
    shortfall: int = 0


async def launch(
    db: Database, catalog: Catalog, user_id: int, model: Model, inputs: dict[str, Any], chat_id: int | None = None
) -> Launch:
    """Lock, pay (or take a free use), record the job — all in one SQLite transaction, or nothing."""
    price = model.price(inputs)
    try:
        async with db.transaction() as tx:
            if not await JobLocks.acquire(tx, user_id, catalog.job_lock_seconds):
                return Launch("locked")
            free = catalog.is_free(model.id) and await FreeUses.take(tx, user_id, today(), catalog.free_per_day)
            job_id = await Jobs.create(
                tx, user_id, model.id, inputs, 0 if free else price, free, None, chat_id or user_id
            )
            if not free:
                entry = await Ledger.post(tx, user_id, -price, "job", str(job_id))
                await tx.execute("UPDATE jobs SET ledger_entry = ? WHERE id = ?", (entry, job_id))
            await JobLocks.attach(tx, user_id, job_id)
    except InsufficientFundsError as err:
        return Launch("short", shortfall=err.shortfall)
    JobLocks.announce(user_id)
    return Launch("started", job_id, 0 if free else price, free)


async def refund_job(db: Database, job_id: int) -> bool:
    """Give back exactly what the job took (its debit, or its free use) and release its lock; once.

    Returns False when the job was refunded before (or does not exist).
    """
    job = await Jobs(db).get(job_id)
    if job is None:
        return False
    async with db.transaction() as tx:
        async with tx.execute("UPDATE jobs SET refunded = 1 WHERE id = ? AND refunded = 0", (job_id,)) as cursor:
            refunded = cursor.rowcount == 1
        if refunded and job.free:
            await FreeUses.give_back(tx, job.user_id, today(job.created_at))
        elif refunded and job.ledger_entry is not None:
            async with tx.execute("SELECT amount FROM ledger WHERE id = ?", (job.ledger_entry,)) as cursor:
                row = await cursor.fetchone()
            # Exactly the debit back, keyed on the job: (refund, job id) can be posted once.
            await Ledger.post(tx, job.user_id, -int(row[0]), "refund", str(job_id))
    await JobLocks(db).release(job.user_id, job_id)
    return refunded
