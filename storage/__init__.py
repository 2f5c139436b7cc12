"""Persistence behind small interfaces: SQLite through aiosqlite, no business rules."""

from storage.database import Database
from storage.fsm import SQLiteStorage
from storage.updates import ProcessedUpdates
from storage.users import Users

__all__ = ["Database", "ProcessedUpdates", "SQLiteStorage", "Users"]
