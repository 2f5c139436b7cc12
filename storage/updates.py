"""Which Telegram update ids were already handled, so a redelivered update is dropped."""

from __future__ import annotations

from storage.database import Database, now

KEEP_SECONDS = 7 * 24 * 3600  # Telegram redelivers for at most a day; a week is generous.


class ProcessedUpdates:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def mark_new(self, update_id: int) -> bool:
        """Record the id; True when it was not there yet (atomic: one INSERT OR IGNORE)."""
        changed = await self.db.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)",
            (update_id, now()),
        )
        return changed == 1

    async def forget_older_than(self, seconds: int = KEEP_SECONDS) -> int:
        return await self.db.execute("DELETE FROM processed_updates WHERE processed_at < ?", (now() - seconds,))
