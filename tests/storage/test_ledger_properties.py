"""Property: any interleaving of debits, refunds, top-ups and grants, run concurrently against SQLite,
keeps balance = sum of the ledger ≥ 0, and no refund exceeds its debit."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.billing import launch, refund_job
from flows.catalog import load_catalog
from storage import Database, InsufficientFundsError, JobLocks, Ledger, Payments
from tests.conftest import ROOT

CATALOG, _ = load_catalog(ROOT)
PAID = [m for m in CATALOG.models.values() if not CATALOG.is_free(m.id) and not m.price_by][:6]

operation = st.one_of(
    st.tuples(st.just("debit"), st.integers(0, len(PAID) - 1)),
    st.tuples(st.just("refund"), st.integers(0, 20)),
    st.tuples(st.just("topup"), st.integers(1, 30_000)),
    st.tuples(st.just("grant"), st.integers(-20_000, 20_000).filter(bool)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(operation, max_size=12), min_size=2, max_size=4))
def test_money_invariants_hold_under_concurrency(plans: list[list[tuple[str, int]]]) -> None:
    asyncio.run(_run(plans))


async def _run(plans: list[list[tuple[str, int]]]) -> None:
    db = await Database.open(Path(tempfile.mkdtemp()) / "ledger.sqlite3")
    ledger = Ledger(db)
    started: list[int] = []
    counter = iter(range(1_000_000))

    async def user(user_id: int, plan: list[tuple[str, int]]) -> None:
        for kind, value in plan:
            if kind == "debit":
                result = await launch(db, CATALOG, user_id, PAID[value], {"prompt": "x"})
                if result.job_id is not None:
                    started.append(result.job_id)
                await JobLocks(db).release(user_id)
            elif kind == "refund" and started:
                await refund_job(db, started[value % len(started)])
            elif kind == "topup":
                async with db.transaction() as tx:
                    charge = f"c{next(counter)}"
                    if await Payments.record(tx, charge, user_id, "start", 1, value):
                        await Ledger.post(tx, user_id, value, "topup", charge)
            elif kind == "grant":
                with contextlib.suppress(InsufficientFundsError):
                    await ledger.post_once(user_id, value, "grant", f"g{next(counter)}", actor=1)
            await asyncio.sleep(0)  # let the other users interleave

    try:
        await asyncio.gather(*(user(index + 1, plan) for index, plan in enumerate(plans)))
        for user_id in range(1, len(plans) + 1):
            assert await ledger.balance(user_id) == await ledger.sum_of_entries(user_id) >= 0
        rows = await db.fetch_all(
            "SELECT r.amount, d.amount FROM ledger r JOIN jobs j ON r.reference = CAST(j.id AS TEXT)"
            " JOIN ledger d ON d.id = j.ledger_entry WHERE r.reason = 'refund'"
        )
        assert all(0 < refund <= -debit for refund, debit in rows)
        counts = await db.fetch_all("SELECT reference, COUNT(*) FROM ledger WHERE reason = 'refund' GROUP BY 1")
        assert all(count == 1 for _, count in counts)
    finally:
        await db.close()
