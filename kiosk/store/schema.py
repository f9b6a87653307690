"""The kiosk database schema, as forward-only migrations.

``PRAGMA user_version`` holds how many migrations have run. A migration is never
edited once released: a change is a new migration appended to the list.
"""

from __future__ import annotations

import sqlite3

from kiosk.sqlite_migrate import run_migrations

MIGRATIONS: list[str] = [
    # 1: the event outbox, reference data from the ledger, projections of events
    """
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        clock_offset_ms INTEGER NOT NULL DEFAULT 0,
        actor TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);

    CREATE TABLE sites (site_id TEXT PRIMARY KEY, name_zh TEXT, name_en TEXT, name_zh_hant TEXT);
    CREATE TABLE volunteers (
        volunteer_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'V',
        display_name TEXT NOT NULL DEFAULT '',
        team TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'active',
        card_version INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE staff_pins (staff_id TEXT PRIMARY KEY, pin_hash TEXT NOT NULL);
    CREATE TABLE activities (
        activity_id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        title_zh TEXT NOT NULL DEFAULT '',
        title_zh_hant TEXT NOT NULL DEFAULT '',
        title_en TEXT NOT NULL DEFAULT '',
        start TEXT NOT NULL,
        "end" TEXT NOT NULL,
        rule TEXT NOT NULL DEFAULT '{}',
        capacity INTEGER NOT NULL DEFAULT 0,
        signup TEXT NOT NULL DEFAULT '[]',
        general INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE catalog (
        item_id TEXT PRIMARY KEY,
        names TEXT NOT NULL DEFAULT '{}',
        cost INTEGER NOT NULL,
        kind TEXT NOT NULL DEFAULT 'goods',
        monthly_limit INTEGER NOT NULL DEFAULT 0,
        image TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 1
    );
    -- Last synced figures; "as_of" is this kiosk's highest seq they already include.
    CREATE TABLE balance_base (
        volunteer_id TEXT PRIMARY KEY,
        balance INTEGER NOT NULL DEFAULT 0,
        minutes_total INTEGER NOT NULL DEFAULT 0,
        as_of INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE stock_base (
        site_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        qty INTEGER NOT NULL DEFAULT 0,
        as_of INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (site_id, item_id)
    );

    -- Projections of this kiosk's own events (rebuilt by replay).
    CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        volunteer_id TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        day TEXT NOT NULL,
        signed_in_at TEXT NOT NULL,
        signed_out_at TEXT,
        minutes INTEGER,
        credited_minutes INTEGER,
        points INTEGER,
        status TEXT NOT NULL DEFAULT 'open',
        flagged INTEGER NOT NULL DEFAULT 0,
        assisted_by TEXT,
        in_seq INTEGER NOT NULL,
        out_seq INTEGER
    );
    CREATE UNIQUE INDEX sessions_one_open ON sessions (volunteer_id) WHERE status = 'open';
    CREATE INDEX sessions_by_day ON sessions (volunteer_id, day);
    CREATE TABLE point_moves (
        seq INTEGER NOT NULL,
        volunteer_id TEXT NOT NULL,
        delta INTEGER NOT NULL,
        minutes INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL,
        PRIMARY KEY (seq, volunteer_id)
    );
    CREATE INDEX point_moves_by_volunteer ON point_moves (volunteer_id, seq);
    CREATE TABLE stock_moves (
        seq INTEGER NOT NULL,
        site_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        delta INTEGER NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (seq, site_id, item_id)
    );
    CREATE INDEX stock_moves_by_item ON stock_moves (site_id, item_id, seq);
    CREATE TABLE redemptions (
        redemption_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        volunteer_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        cost INTEGER NOT NULL,
        pickup_no TEXT NOT NULL,
        day TEXT NOT NULL,
        month TEXT NOT NULL,
        offline INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'done',
        cancel_seq INTEGER
    );
    CREATE INDEX redemptions_by_volunteer ON redemptions (volunteer_id, month);
    """,
    # 2: staff PIN attempts, kept so a restart does not reset the lockout. A row is written
    # as a failure before the PIN is checked and marked ok after, so pulling the plug
    # mid-check counts against the guesser. Old PBKDF2 PIN hashes go: a stolen kiosk's
    # file must not hold anything a PIN can be searched from (see kiosk.core.pins).
    """
    CREATE TABLE pin_attempts (
        id INTEGER PRIMARY KEY,
        staff_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        ok INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX pin_attempts_by_staff ON pin_attempts (staff_id, id);
    DELETE FROM staff_pins WHERE pin_hash NOT LIKE 'vk-argon2id$%';
    """,
    # 3: sign-up for coming activities. The ledger's places and waiting list come with each
    # activity (``signup_as_of``: this kiosk's highest seq they include); this kiosk's own
    # sign-ups and withdrawals since then are a projection of its events.
    """
    ALTER TABLE activities ADD COLUMN waiting TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE activities ADD COLUMN signup_as_of INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE signups (
        seq INTEGER PRIMARY KEY,
        activity_id TEXT NOT NULL,
        volunteer_id TEXT NOT NULL,
        action TEXT NOT NULL,
        waitlisted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX signups_by_activity ON signups (activity_id, seq);
    CREATE INDEX signups_by_volunteer ON signups (volunteer_id, seq);
    """,
    # 4: which site a reward belongs to ('' for the community's shared ones): staff here edit
    # only their own site's and the shared ones, as the server allows. The cursor goes, so
    # the next pull is a full snapshot and every reward comes again with its site.
    """
    ALTER TABLE catalog ADD COLUMN site_id TEXT NOT NULL DEFAULT '';
    DELETE FROM settings WHERE key = 'cursor';
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# Tables rebuilt from the events by replay; the others are reference data from the ledger.
PROJECTIONS = ("sessions", "point_moves", "stock_moves", "redemptions", "signups")


def migrate(conn: sqlite3.Connection) -> int:
    """Run the migrations this file has not yet run; return the version reached."""
    return run_migrations(conn, MIGRATIONS, "store")
