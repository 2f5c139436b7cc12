"""Telegram users as we saw them last: id, name, username, language, first and last seen."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, now

# last_seen is refreshed at most this often per user, so a busy user costs no write per update.
LAST_SEEN_GRANULARITY_S = 60


@dataclass(frozen=True)
class UserRecord:
    telegram_id: int
    first_name: str
    username: str | None
    language_code: str | None
    first_seen: int
    last_seen: int


class Users:
    def __init__(self, db: Database, cache_size: int = 50_000) -> None:
        self.db = db
        self._written: dict[int, tuple[str, str | None, str | None, int]] = {}
        self._cache_size = cache_size

    async def seen(self, telegram_id: int, first_name: str, username: str | None, language_code: str | None) -> None:
        """Insert the user or refresh their profile and last_seen."""
        stamp = now()
        previous = self._written.get(telegram_id)
        if (
            previous
            and previous[:3] == (first_name, username, language_code)
            and stamp - previous[3] < LAST_SEEN_GRANULARITY_S
        ):
            return
        await self.db.execute(
            """
            INSERT INTO users (telegram_id, first_name, username, language_code, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (telegram_id) DO UPDATE SET
                first_name = excluded.first_name, username = excluded.username,
                language_code = excluded.language_code, last_seen = excluded.last_seen
            """,
            (telegram_id, first_name, username, language_code, stamp, stamp),
        )
        if len(self._written) >= self._cache_size:
            self._written.clear()
        self._written[telegram_id] = (first_name, username, language_code, stamp)

    async def get(self, telegram_id: int) -> UserRecord | None:
        row = await self.db.fetch_one("SELECT * FROM users WHERE telegram_id = ?", (telegram_id,))
        return UserRecord(**dict(row)) if row else None
