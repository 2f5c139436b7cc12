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
    # 3: money and jobs. Balances are integer kopecks; `accounts.balance` caches the sum of `ledger`
    # and is changed only in the same transaction as the entry that explains it.
    """
    CREATE TABLE accounts (
        user_id    INTEGER PRIMARY KEY,
        balance    INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE ledger (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id    INTEGER NOT NULL,
        amount     INTEGER NOT NULL CHECK (amount != 0),
        reason     TEXT    NOT NULL,
        reference  TEXT    NOT NULL,
        actor      INTEGER,
        created_at INTEGER NOT NULL,
        UNIQUE (reason, reference)
    );
    CREATE INDEX ledger_user ON ledger (user_id, id);
    CREATE TABLE jobs (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id          INTEGER NOT NULL,
        model_id         TEXT    NOT NULL,
        inputs           TEXT    NOT NULL,
        price            INTEGER NOT NULL CHECK (price >= 0),
        free             INTEGER NOT NULL DEFAULT 0,
        refunded         INTEGER NOT NULL DEFAULT 0,
        ledger_entry     INTEGER REFERENCES ledger (id),
        state            TEXT    NOT NULL DEFAULT 'created',
        provider_task_id TEXT,
        attempts         INTEGER NOT NULL DEFAULT 0,
        result_urls      TEXT,
        error_cause      TEXT,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
    );
    CREATE INDEX jobs_user ON jobs (user_id, id);
    CREATE INDEX jobs_state ON jobs (state, model_id);
    CREATE TABLE job_locks (
        user_id     INTEGER PRIMARY KEY,
        job_id      INTEGER,
        acquired_at INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
    );
    CREATE TABLE free_uses (
        user_id INTEGER NOT NULL,
        day     TEXT    NOT NULL,
        used    INTEGER NOT NULL CHECK (used >= 0),
        PRIMARY KEY (user_id, day)
    ) WITHOUT ROWID;
    """,
    # 4: what the job runner needs to resume after a restart and to talk to the user.
    """
    ALTER TABLE jobs ADD COLUMN chat_id INTEGER;
    ALTER TABLE jobs ADD COLUMN status_message_id INTEGER;
    ALTER TABLE jobs ADD COLUMN result_text TEXT;
    ALTER TABLE jobs ADD COLUMN submitted_at INTEGER;
    ALTER TABLE jobs ADD COLUMN finished_at INTEGER;
    CREATE INDEX jobs_task ON jobs (provider_task_id);
    """,
    # 5: Telegram Stars payments (one row per charge: a charge is credited once) and switched-off models.
    """
    CREATE TABLE payments (
        charge_id   TEXT PRIMARY KEY,
        user_id     INTEGER NOT NULL,
        tariff_id   TEXT    NOT NULL,
        stars       INTEGER NOT NULL CHECK (stars > 0),
        kopecks     INTEGER NOT NULL CHECK (kopecks > 0),
        created_at  INTEGER NOT NULL,
        refunded_at INTEGER,
        refunded_by INTEGER
    );
    CREATE INDEX payments_user ON payments (user_id, created_at);
    CREATE TABLE disabled_models (
        model_id    TEXT PRIMARY KEY,
        disabled_by INTEGER,
        disabled_at INTEGER NOT NULL
    );
    """,
)
