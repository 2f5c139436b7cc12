"""SQLiteStorage: aiogram's BaseStorage contract, keyed on every StorageKey field, durable across reopen."""

from pathlib import Path

import pytest
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey

from storage import Database, SQLiteStorage
from storage.migrations import MIGRATIONS

KEY = StorageKey(bot_id=1, chat_id=2, user_id=3)


async def test_state_and_data_round_trip(db: Database) -> None:
    storage = SQLiteStorage(db)
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    await storage.set_state(KEY, State("menu", group_name="g"))
    await storage.set_data(KEY, {"prompt": "кот", "n": [1, 2]})
    assert await storage.get_state(KEY) == "g:menu"
    assert await storage.update_data(KEY, {"n": 3}) == {"prompt": "кот", "n": 3}
    assert await storage.get_value(KEY, "prompt") == "кот"
    assert await storage.get_value(KEY, "missing", "default") == "default"


async def test_every_key_field_separates_records(db: Database) -> None:
    storage = SQLiteStorage(db)
    variants = [
        KEY,
        StorageKey(bot_id=9, chat_id=2, user_id=3),
        StorageKey(bot_id=1, chat_id=9, user_id=3),
        StorageKey(bot_id=1, chat_id=2, user_id=9),
        StorageKey(bot_id=1, chat_id=2, user_id=3, thread_id=5),
        StorageKey(bot_id=1, chat_id=2, user_id=3, business_connection_id="bc"),
        StorageKey(bot_id=1, chat_id=2, user_id=3, destiny="dialog"),
    ]
    for index, key in enumerate(variants):
        await storage.set_state(key, f"s{index}")
    reopened = SQLiteStorage(db)  # no cache: read back from the table
    assert [await reopened.get_state(key) for key in variants] == [f"s{i}" for i in range(len(variants))]
    row = await db.fetch_one("SELECT COUNT(*) FROM fsm_records")
    assert row is not None and row[0] == len(variants)


async def test_returned_data_is_a_copy(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_data(KEY, {"items": [1]})
    data = await storage.get_data(KEY)
    data["items"].append(2)
    assert await storage.get_data(KEY) == {"items": [1]}


async def test_data_must_be_a_dict(db: Database) -> None:
    with pytest.raises(DataNotDictLikeError):
        await SQLiteStorage(db).set_data(KEY, [("a", 1)])  # type: ignore[arg-type]


async def test_records_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "bot.sqlite3"
    db = await Database.open(path)
    await SQLiteStorage(db).set_state(KEY, "support.ask")
    await SQLiteStorage(db).set_data(KEY, {"draft": "текст"})
    await db.close()
    db = await Database.open(path)
    try:
        storage = SQLiteStorage(db)
        assert (await storage.get_state(KEY), await storage.get_data(KEY)) == ("support.ask", {"draft": "текст"})
        row = await db.fetch_one("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
        assert await db.schema_version() == len(MIGRATIONS)
    finally:
        await db.close()


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO processed_updates (update_id, processed_at) VALUES (1, 0)")
            raise RuntimeError("boom")
    row = await db.fetch_one("SELECT COUNT(*) FROM processed_updates")
    assert row is not None and row[0] == 0
