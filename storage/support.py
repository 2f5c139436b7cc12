"""Messages users wrote to support."""

from __future__ import annotations

from storage.database import Database, now


class SupportRequests:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, user_id: int, text: str) -> int:
        """Store the message; returns its number, which the user is told."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute(
                "INSERT INTO support_requests (user_id, text, created_at) VALUES (?, ?, ?)", (user_id, text, now())
            )
            return int(cursor.lastrowid or 0)

    async def for_user(self, user_id: int) -> list[str]:
        rows = await self.db.fetch_all("SELECT text FROM support_requests WHERE user_id = ? ORDER BY id", (user_id,))
        return [row["text"] for row in rows]
