"""Update dedupe: every id recorded atomically, old ids forgotten as new ones arrive."""

from __future__ import annotations

from typing import Any

from aiogram.types import Update

from engine.middlewares import DedupeUpdates
from storage import Database, ProcessedUpdates
from storage.database import now


async def test_old_update_ids_are_pruned_as_new_ones_arrive(db: Database) -> None:
    await db.execute("INSERT INTO processed_updates (update_id, processed_at) VALUES (1, ?)", (now() - 8 * 86400,))
    await db.execute("INSERT INTO processed_updates (update_id, processed_at) VALUES (2, ?)", (now() - 3600,))
    middleware = DedupeUpdates(ProcessedUpdates(db), prune_every=2)
    handled: list[int] = []

    async def handler(event: Any, data: dict[str, Any]) -> None:
        handled.append(event.update_id)

    for update_id in (10, 10, 11):
        await middleware(handler, Update(update_id=update_id), {})
    assert handled == [10, 11]
    rows = await db.fetch_all("SELECT update_id FROM processed_updates ORDER BY update_id")
    assert [r[0] for r in rows] == [2, 10, 11]  # the week-old id is gone, the recent ones stay
