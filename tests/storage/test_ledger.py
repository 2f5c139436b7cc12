"""The ledger: integer kopecks, idempotent entries, never below zero, balance = sum of entries."""

from __future__ import annotations

import asyncio
import random

import pytest

from flows.billing import launch, refund_job
from flows.catalog import load_catalog
from storage import Database, InsufficientFundsError, JobLocks, Ledger
from tests.conftest import ROOT


async def test_an_entry_is_posted_once_per_reason_and_reference(db: Database) -> None:
    ledger = Ledger(db)
    assert await ledger.post_once(1, 5000, "welcome", "1") is not None
    assert await ledger.post_once(1, 5000, "welcome", "1") is None
    assert await ledger.balance(1) == 5000 == await ledger.sum_of_entries(1)


async def test_a_debit_beyond_the_balance_writes_nothing(db: Database) -> None:
    ledger = Ledger(db)
    await ledger.post_once(1, 300, "welcome", "1")
    with pytest.raises(InsufficientFundsError) as err:
        await ledger.post_once(1, -500, "job", "1")
    assert err.value.shortfall == 200
    assert await ledger.balance(1) == 300 == await ledger.sum_of_entries(1)
    assert len(await ledger.entries(1)) == 1


@pytest.mark.parametrize("amount", [0, 1.5, True])
async def test_amounts_are_whole_non_zero_kopecks(db: Database, amount: object) -> None:
    with pytest.raises(ValueError):
        await Ledger(db).post_once(1, amount, "grant", "x")  # type: ignore[arg-type]


async def test_any_sequence_of_jobs_and_refunds_keeps_balance_equal_to_the_ledger(db: Database) -> None:
    catalog, _ = load_catalog(ROOT)
    paid = [m for m in catalog.models.values() if not catalog.is_free(m.id)]
    rng = random.Random(20261204)
    ledger = Ledger(db)
    users = [1, 2, 3]
    for user in users:
        await ledger.post_once(user, 20_000, "welcome", str(user))
    started: list[int] = []

    async def act(user: int) -> None:
        for _ in range(15):
            if started and rng.random() < 0.4:
                await refund_job(db, rng.choice(started))  # sometimes twice: the second is a no-op
                continue
            model = rng.choice(paid)
            inputs = {f.name: f.values[rng.randrange(len(f.values))][0] for f in model.fields if f.values}
            result = await launch(db, catalog, user, model, inputs)
            if result.outcome == "started":
                assert result.job_id is not None
                started.append(result.job_id)
            else:
                await JobLocks(db).release(user)

    await asyncio.gather(*(act(user) for user in users))
    for user in users:
        assert await ledger.balance(user) == await ledger.sum_of_entries(user) >= 0
    refunds = await db.fetch_all(
        "SELECT r.amount, d.amount FROM ledger r JOIN jobs j ON r.reference = CAST(j.id AS TEXT)"
        " JOIN ledger d ON d.id = j.ledger_entry WHERE r.reason = 'refund'"
    )
    assert refunds and all(refund == -debit for refund, debit in refunds)


async def test_a_refund_gives_back_exactly_the_debit_once_and_unlocks(db: Database) -> None:
    catalog, _ = load_catalog(ROOT)
    await Ledger(db).post_once(1, 10_000, "welcome", "1")
    model = catalog.models["kling-2.6/text-to-video"]
    result = await launch(db, catalog, 1, model, {"prompt": "x", "duration": "5", "sound": True})
    assert result.outcome == "started" and result.price == 8800
    assert await Ledger(db).balance(1) == 1200
    assert await refund_job(db, result.job_id or 0) is True
    assert await refund_job(db, result.job_id or 0) is False
    assert await Ledger(db).balance(1) == 10_000 == await Ledger(db).sum_of_entries(1)
    assert await JobLocks(db).held(1) is None


async def test_a_free_job_refund_returns_the_free_use(db: Database) -> None:
    catalog, _ = load_catalog(ROOT)
    model = catalog.models["z-image"]
    result = await launch(db, catalog, 1, model, {"prompt": "x", "aspect_ratio": "1:1"})
    assert result.outcome == "started" and result.free
    row = await db.fetch_one("SELECT used FROM free_uses WHERE user_id = 1")
    assert row is not None and row[0] == 1
    assert await refund_job(db, result.job_id or 0)
    row = await db.fetch_one("SELECT used FROM free_uses WHERE user_id = 1")
    assert row is not None and row[0] == 0
    assert await Ledger(db).balance(1) == 0
