"""Versioned schema: each entry is applied once, in order; `PRAGMA user_version` remembers how far."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: users, the aiogram FSM records and the update dedupe table.
    """
    CREATE TABLE users (
        telegram_id   INTEGER PRIMARY KEY,
        first_name    TEXT NOT NULL DEFAULT '',
        username      TEXT,
        language_code TEXT,
        first_seen    INTEGER NOT NULL,
        last_seen     INTEGER NOT NULL
    );
    CREATE TABLE fsm_records (
        bot_id                 INTEGER NOT NULL,
        chat_id                INTEGER NOT NULL,
        user_id                INTEGER NOT NULL,
        thread_id              INTEGER NOT NULL DEFAULT 0,
        business_connection_id TEXT    NOT NULL DEFAULT '',
        destiny                TEXT    NOT NULL,
        state                  TEXT,
        data                   TEXT    NOT NULL DEFAULT '{}',
        updated_at             INTEGER NOT NULL,
        PRIMARY KEY (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny)
    ) WITHOUT ROWID;
    CREATE TABLE processed_updates (
        update_id    INTEGER PRIMARY KEY,
        processed_at INTEGER NOT NULL
    );
    CREATE INDEX processed_updates_age ON processed_updates (processed_at);
    """,
    # 2: what users write to support, kept until someone answers.
    """
    CREATE TABLE support_requests (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id    INTEGER NOT NULL REFERENCES users (telegram_id),
        text       TEXT    NOT NULL,
        created_at INTEGER NOT NULL
    );
    """,
)
