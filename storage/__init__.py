"""Persistence behind small interfaces: SQLite through aiosqlite, no business rules."""

from storage.database import Database
from storage.fsm import SQLiteStorage
from storage.jobs import Job, Jobs
from storage.ledger import Entry, InsufficientFundsError, Ledger
from storage.locks import JobLocks
from storage.payments import ModelSwitches, Payment, Payments
from storage.quota import FreeUses
from storage.updates import ProcessedUpdates
from storage.users import Users

__all__ = [
    "Database",
    "Entry",
    "FreeUses",
    "InsufficientFundsError",
    "Job",
    "JobLocks",
    "Jobs",
    "Ledger",
    "ModelSwitches",
    "Payment",
    "Payments",
    "ProcessedUpdates",
    "SQLiteStorage",
    "Users",
]
