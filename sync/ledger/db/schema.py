"""The ledger's schema, as forward-only migrations, one list for every backend.

Migration N has the same meaning on each backend: its ``sqlite`` text for the SQLite file,
its ``postgres`` text for PostgreSQL (None where that backend's text is not written yet: the
runner refuses to run it). A database holds how many migrations have run (SQLite in
``PRAGMA user_version``, as every earlier version of this program kept it).

Events are append-only (each backend refuses UPDATE and DELETE on them). Points live in a
double-entry journal: each row moves ``amount`` from ``debit`` to ``credit``, so the sum over
all accounts is zero by construction; a correction is a new entry with the accounts swapped
(``reverses`` names the entry it undoes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    sqlite: str
    postgres: str | None = None

    def text(self, dialect: str) -> str | None:
        return self.sqlite if dialect == "sqlite" else self.postgres


_SQLITE: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);

    CREATE TABLE sites (site_id TEXT PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE volunteers (
        volunteer_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'V',
        display_name TEXT NOT NULL DEFAULT '',
        team TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'active',
        card_version INTEGER NOT NULL DEFAULT 1,
        izhiyuan_id TEXT
    );
    CREATE TABLE card_versions (
        volunteer_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        issued_at TEXT NOT NULL,
        PRIMARY KEY (volunteer_id, version)
    );
    CREATE TABLE staff_pins (staff_id TEXT PRIMARY KEY, pin_hash TEXT NOT NULL);
    CREATE TABLE activities (activity_id TEXT PRIMARY KEY, site_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE catalog (item_id TEXT PRIMARY KEY, data TEXT NOT NULL);

    CREATE TABLE kiosks (
        kiosk_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        site_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        acked_seq INTEGER NOT NULL DEFAULT 0,
        enrolled_at TEXT NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE enrollment_codes (
        code_hash TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        kiosk_id TEXT
    );

    -- Every seq a kiosk sent that the ledger holds: accepted or rejected events.
    CREATE TABLE events (
        kiosk_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        clock_offset_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
        reason TEXT,
        digest TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, seq)
    ) WITHOUT ROWID;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

    -- A seq slot whose event id was already stored with other content: kept apart,
    -- never overwriting the original, and it still counts as held for acked_seq.
    CREATE TABLE conflicts (
        kiosk_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        body TEXT NOT NULL,
        digest TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, seq)
    );

    CREATE TABLE journal (
        entry_id INTEGER PRIMARY KEY,
        event_id TEXT,
        debit TEXT NOT NULL,
        credit TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount >= 0),
        memo TEXT NOT NULL,
        ref TEXT,
        reverses INTEGER REFERENCES journal (entry_id),
        posted_at TEXT NOT NULL
    );
    CREATE INDEX journal_by_ref ON journal (ref);
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal entries are never changed: post a reversing entry'); END;
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal entries are never deleted: post a reversing entry'); END;

    CREATE TABLE balances (
        volunteer_id TEXT PRIMARY KEY,
        balance INTEGER NOT NULL DEFAULT 0,
        minutes_total INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE stock (
        site_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        qty INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (site_id, item_id)
    );
    CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        volunteer_id TEXT NOT NULL,
        kiosk_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        signed_in_at TEXT NOT NULL,
        signed_out_at TEXT,
        minutes INTEGER,
        credited_minutes INTEGER NOT NULL DEFAULT 0,
        points INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'open',
        entry_id INTEGER,
        t_in_ms INTEGER NOT NULL,  -- kiosk time corrected by its clock offset, for overlap checks
        t_out_ms INTEGER
    );
    CREATE INDEX sessions_by_volunteer ON sessions (volunteer_id, signed_in_at);
    CREATE TABLE redemptions (
        redemption_id TEXT PRIMARY KEY,
        volunteer_id TEXT NOT NULL,
        kiosk_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        cost INTEGER NOT NULL,
        stocked INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'done',
        entry_id INTEGER NOT NULL
    );

    -- The change feed: one row per (kind, key) at its latest cursor, so a pull never
    -- sees stale versions and a full snapshot is simply every row.
    CREATE TABLE changes (
        cursor INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        UNIQUE (kind, key)
    );

    CREATE TABLE exceptions (
        exception_id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        ref TEXT NOT NULL,
        volunteer_id TEXT,
        site_id TEXT,
        kiosk_id TEXT,
        event_id TEXT,
        detail TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (kind, ref)
    );
    """,
    # Staff tools (issue 6). Phone numbers live in their own table that nothing in the
    # change feed reads: personal data stays at the ledger (PIPL data minimisation).
    """
    CREATE TABLE volunteer_private (
        volunteer_id TEXT PRIMARY KEY,
        phone TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    );
    CREATE INDEX volunteer_private_by_phone ON volunteer_private (phone);
    CREATE TABLE catalog_images (
        item_id TEXT PRIMARY KEY,
        png BLOB NOT NULL,
        sha256 TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    -- Stock counts set by staff at the ledger (not through a kiosk event): kept for the 台账.
    CREATE TABLE stock_settings (
        setting_id INTEGER PRIMARY KEY,
        site_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        qty_before INTEGER NOT NULL,
        qty_after INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        set_at TEXT NOT NULL
    );
    CREATE TABLE card_reissues (
        volunteer_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        PRIMARY KEY (volunteer_id, version)
    );
    """,
    # Ingest speed: each sign-out looks for the volunteer's sessions at other kiosks that overlap
    # it. Through (volunteer_id, signed_in_at) that read every session of the volunteer from the
    # table; with kiosk_id and t_in_ms in the index, a volunteer seen at one kiosk only costs no
    # table read at all. The volunteer lookups that used the old index use this one's prefix.
    """
    CREATE INDEX sessions_by_volunteer_kiosk ON sessions (volunteer_id, kiosk_id, t_in_ms);
    DROP INDEX sessions_by_volunteer;
    """,
    # Ingest speed on a ledger with history. Finding the volunteers seen at one kiosk only read
    # every session each of them ever had, and an overlap check read every earlier session of
    # the volunteer at the other kiosks: both grew with the years. And an index led by the
    # volunteer takes each new session into a page of its own: on a ledger with months of
    # sessions that was 40 % of the pages a batch writes. Now the kiosks a volunteer was ever
    # signed in at are a table of their own (a row per volunteer and kiosk); sessions are indexed
    # by the day they began, then the volunteer, so a day's sign-ins share a few pages; and an
    # overlap check reads the volunteer's sessions that began from the day before the new one,
    # plus the few open or longer than a day (a partial index that holds only those).
    # journal_by_ref goes: no statement reads it, and it cost a batch some 30 page writes.
    """
    CREATE TABLE volunteer_kiosks (
        volunteer_id TEXT NOT NULL,
        kiosk_id TEXT NOT NULL,
        PRIMARY KEY (volunteer_id, kiosk_id)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO volunteer_kiosks (volunteer_id, kiosk_id) SELECT volunteer_id, kiosk_id FROM sessions;
    CREATE INDEX sessions_by_day ON sessions (t_in_ms / 86400000, volunteer_id);
    CREATE INDEX sessions_long ON sessions (volunteer_id)
        WHERE t_out_ms IS NULL OR t_out_ms - t_in_ms > 86400000;
    DROP INDEX sessions_by_volunteer_kiosk;
    DROP INDEX journal_by_ref;
    """,
]


# The same migrations for PostgreSQL. Times stay ISO-8601 text and JSON stays text, as on
# SQLite, so both backends hold the same values and compare them the same way; ids that
# SQLite takes from MAX + 1 or AUTOINCREMENT come from sequences (concurrent writers).
# Append-only tables refuse UPDATE and DELETE through a trigger, as SQLite's RAISE does.
# Every text column compares byte by byte (COLLATE "C"), as SQLite's do, whatever the
# server's locale: ISO times and ids sort and range the same on both backends.
_POSTGRES: list[str] = [
    """
    CREATE TABLE meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT COLLATE "C");

    CREATE TABLE sites (site_id TEXT COLLATE "C" PRIMARY KEY, data TEXT COLLATE "C" NOT NULL);
    CREATE TABLE volunteers (
        volunteer_id TEXT COLLATE "C" PRIMARY KEY,
        kind TEXT COLLATE "C" NOT NULL DEFAULT 'V',
        display_name TEXT COLLATE "C" NOT NULL DEFAULT '',
        team TEXT COLLATE "C" NOT NULL DEFAULT '',
        status TEXT COLLATE "C" NOT NULL DEFAULT 'active',
        card_version INTEGER NOT NULL DEFAULT 1,
        izhiyuan_id TEXT COLLATE "C"
    );
    CREATE TABLE card_versions (
        volunteer_id TEXT COLLATE "C" NOT NULL,
        version INTEGER NOT NULL,
        issued_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (volunteer_id, version)
    );
    CREATE TABLE staff_pins (staff_id TEXT COLLATE "C" PRIMARY KEY, pin_hash TEXT COLLATE "C" NOT NULL);
    CREATE TABLE activities (activity_id TEXT COLLATE "C" PRIMARY KEY, site_id TEXT COLLATE "C" NOT NULL, data TEXT COLLATE "C" NOT NULL);
    CREATE TABLE catalog (item_id TEXT COLLATE "C" PRIMARY KEY, data TEXT COLLATE "C" NOT NULL);

    CREATE TABLE kiosks (
        kiosk_id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        site_id TEXT COLLATE "C" NOT NULL,
        token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
        acked_seq BIGINT NOT NULL DEFAULT 0,
        enrolled_at TEXT COLLATE "C" NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE enrollment_codes (
        code_hash TEXT COLLATE "C" PRIMARY KEY,
        site_id TEXT COLLATE "C" NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        expires_at TEXT COLLATE "C" NOT NULL,
        used_at TEXT COLLATE "C",
        kiosk_id TEXT COLLATE "C"
    );

    CREATE TABLE events (
        kiosk_id TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        type TEXT COLLATE "C" NOT NULL,
        occurred_at TEXT COLLATE "C" NOT NULL,
        clock_offset_ms BIGINT NOT NULL,
        actor TEXT COLLATE "C" NOT NULL,
        payload TEXT COLLATE "C" NOT NULL,
        received_at TEXT COLLATE "C" NOT NULL,
        status TEXT COLLATE "C" NOT NULL CHECK (status IN ('accepted', 'rejected')),
        reason TEXT COLLATE "C",
        digest TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (kiosk_id, seq)
    );
    CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
    END;
    $$;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        FOR EACH ROW EXECUTE FUNCTION refuse_change('events are append-only');
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION refuse_change('events are append-only');

    CREATE TABLE conflicts (
        kiosk_id TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        id TEXT COLLATE "C" NOT NULL,
        body TEXT COLLATE "C" NOT NULL,
        digest TEXT COLLATE "C" NOT NULL,
        received_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (kiosk_id, seq)
    );

    CREATE SEQUENCE journal_entry_id_seq;
    CREATE TABLE journal (
        entry_id BIGINT PRIMARY KEY DEFAULT nextval('journal_entry_id_seq'),
        event_id TEXT COLLATE "C",
        debit TEXT COLLATE "C" NOT NULL,
        credit TEXT COLLATE "C" NOT NULL,
        amount BIGINT NOT NULL CHECK (amount >= 0),
        memo TEXT COLLATE "C" NOT NULL,
        ref TEXT COLLATE "C",
        reverses BIGINT REFERENCES journal (entry_id),
        posted_at TEXT COLLATE "C" NOT NULL
    );
    ALTER SEQUENCE journal_entry_id_seq OWNED BY journal.entry_id;
    CREATE INDEX journal_by_ref ON journal (ref);
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        FOR EACH ROW EXECUTE FUNCTION
        refuse_change('journal entries are never changed: post a reversing entry');
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        FOR EACH ROW EXECUTE FUNCTION
        refuse_change('journal entries are never deleted: post a reversing entry');

    CREATE TABLE balances (
        volunteer_id TEXT COLLATE "C" PRIMARY KEY,
        balance BIGINT NOT NULL DEFAULT 0,
        minutes_total BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE stock (
        site_id TEXT COLLATE "C" NOT NULL,
        item_id TEXT COLLATE "C" NOT NULL,
        qty BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (site_id, item_id)
    );
    CREATE TABLE sessions (
        session_id TEXT COLLATE "C" PRIMARY KEY,
        volunteer_id TEXT COLLATE "C" NOT NULL,
        kiosk_id TEXT COLLATE "C" NOT NULL,
        site_id TEXT COLLATE "C" NOT NULL,
        activity_id TEXT COLLATE "C" NOT NULL,
        signed_in_at TEXT COLLATE "C" NOT NULL,
        signed_out_at TEXT COLLATE "C",
        minutes BIGINT,
        credited_minutes BIGINT NOT NULL DEFAULT 0,
        points BIGINT NOT NULL DEFAULT 0,
        status TEXT COLLATE "C" NOT NULL DEFAULT 'open',
        entry_id BIGINT,
        t_in_ms BIGINT NOT NULL,
        t_out_ms BIGINT
    );
    CREATE INDEX sessions_by_volunteer ON sessions (volunteer_id, signed_in_at);
    CREATE TABLE redemptions (
        redemption_id TEXT COLLATE "C" PRIMARY KEY,
        volunteer_id TEXT COLLATE "C" NOT NULL,
        kiosk_id TEXT COLLATE "C" NOT NULL,
        site_id TEXT COLLATE "C" NOT NULL,
        item_id TEXT COLLATE "C" NOT NULL,
        cost BIGINT NOT NULL,
        stocked INTEGER NOT NULL,
        status TEXT COLLATE "C" NOT NULL DEFAULT 'done',
        entry_id BIGINT NOT NULL
    );

    -- One row per (kind, key) at its latest cursor. Cursors come from one sequence, taken
    -- under a transaction-level advisory lock held to commit, so they grow in commit order.
    CREATE SEQUENCE changes_cursor_seq;
    CREATE TABLE changes (
        cursor BIGINT NOT NULL UNIQUE,
        kind TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        data TEXT COLLATE "C" NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, key)
    );

    CREATE TABLE exceptions (
        exception_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind TEXT COLLATE "C" NOT NULL,
        ref TEXT COLLATE "C" NOT NULL,
        volunteer_id TEXT COLLATE "C",
        site_id TEXT COLLATE "C",
        kiosk_id TEXT COLLATE "C",
        event_id TEXT COLLATE "C",
        detail TEXT COLLATE "C" NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        UNIQUE (kind, ref)
    );
    """,
    """
    CREATE TABLE volunteer_private (
        volunteer_id TEXT COLLATE "C" PRIMARY KEY,
        phone TEXT COLLATE "C" NOT NULL DEFAULT '',
        updated_at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX volunteer_private_by_phone ON volunteer_private (phone);
    CREATE TABLE catalog_images (
        item_id TEXT COLLATE "C" PRIMARY KEY,
        png BYTEA NOT NULL,
        sha256 TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE stock_settings (
        setting_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site_id TEXT COLLATE "C" NOT NULL,
        item_id TEXT COLLATE "C" NOT NULL,
        qty_before BIGINT NOT NULL,
        qty_after BIGINT NOT NULL,
        note TEXT COLLATE "C" NOT NULL DEFAULT '',
        set_at TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE card_reissues (
        volunteer_id TEXT COLLATE "C" NOT NULL,
        version INTEGER NOT NULL,
        reason TEXT COLLATE "C" NOT NULL DEFAULT '',
        at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (volunteer_id, version)
    );
    """,
    # A volunteer's sessions by start: the overlap check's range scan (PostgreSQL reads an
    # index range by its second column directly; it needs no per-day seeks).
    """
    CREATE INDEX sessions_by_volunteer_start ON sessions (volunteer_id, t_in_ms);
    DROP INDEX sessions_by_volunteer;
    """,
    """
    CREATE TABLE volunteer_kiosks (
        volunteer_id TEXT COLLATE "C" NOT NULL,
        kiosk_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (volunteer_id, kiosk_id)
    );
    INSERT INTO volunteer_kiosks (volunteer_id, kiosk_id)
        SELECT DISTINCT volunteer_id, kiosk_id FROM sessions ON CONFLICT DO NOTHING;
    CREATE INDEX sessions_long ON sessions (volunteer_id)
        WHERE t_out_ms IS NULL OR t_out_ms - t_in_ms > 86400000;
    -- The month's 台账 reads sessions by sign-in time and events by type and time.
    CREATE INDEX sessions_by_signed_in ON sessions (signed_in_at);
    CREATE INDEX events_by_type_time ON events (type, occurred_at);
    DROP INDEX journal_by_ref;
    """,
]


MIGRATIONS: list[Migration] = [
    Migration(sqlite=s, postgres=_POSTGRES[i] if i < len(_POSTGRES) else None)
    for i, s in enumerate(_SQLITE)
] + [
    # Kiosk tokens can be revoked (who did it, when and why are kept); staff may be limited to
    # some sites (a staff member with no row here may act at every site, as before).
    Migration(
        sqlite="""
        ALTER TABLE kiosks ADD COLUMN revoked_at TEXT;
        ALTER TABLE kiosks ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';
        CREATE TABLE staff_sites (
            staff_id TEXT NOT NULL,
            site_id TEXT NOT NULL,
            PRIMARY KEY (staff_id, site_id)
        ) WITHOUT ROWID;
        """,
        postgres="""
        ALTER TABLE kiosks ADD COLUMN revoked_at TEXT COLLATE "C";
        ALTER TABLE kiosks ADD COLUMN revoked_reason TEXT COLLATE "C" NOT NULL DEFAULT '';
        CREATE TABLE staff_sites (
            staff_id TEXT COLLATE "C" NOT NULL,
            site_id TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (staff_id, site_id)
        );
        """,
    ),
    # The staff console (issue 13): accounts with roles (site staff limited to their sites),
    # sessions kept as token hashes, per-name sign-in failures for the back-off, and the audit
    # journal, append-only like events and the journal. Kiosk health as each push reports it,
    # pinyin initials for the roster search, and how staff resolved each exception. Pinyin
    # cannot be computed in SQL: every writer of a name queues the person in
    # volunteer_search_dirty (a trigger), and the console brings volunteer_search up to date
    # before it searches.
    Migration(
        sqlite="""
        CREATE TABLE staff_accounts (
            account_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            staff_id TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL
        );
        CREATE TABLE staff_account_sites (
            account_id INTEGER NOT NULL,
            site_id TEXT NOT NULL,
            PRIMARY KEY (account_id, site_id)
        ) WITHOUT ROWID;
        CREATE TABLE console_sessions (
            token_hash TEXT PRIMARY KEY,
            account_id INTEGER NOT NULL,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE TABLE login_failures (
            name_key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_at TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            audit_id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            site_id TEXT,
            before TEXT,
            after TEXT
        );
        CREATE INDEX audit_by_actor ON audit_log (actor, audit_id);
        CREATE INDEX audit_by_action ON audit_log (action, audit_id);
        CREATE INDEX audit_by_target ON audit_log (target, audit_id);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
        CREATE TABLE kiosk_reports (
            kiosk_id TEXT PRIMARY KEY,
            reported_at TEXT NOT NULL,
            pending INTEGER,
            oldest_pending_s INTEGER,
            clock_offset_ms INTEGER,
            software TEXT NOT NULL DEFAULT '',
            reported_status_at TEXT
        );
        CREATE TABLE volunteer_search (
            volunteer_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            initials TEXT NOT NULL
        );
        CREATE INDEX volunteer_search_by_initials ON volunteer_search (initials);
        CREATE INDEX volunteer_search_by_name ON volunteer_search (name);
        CREATE INDEX volunteer_private_by_phone_tail ON volunteer_private (substr(phone, -4));
        CREATE TABLE volunteer_search_dirty (volunteer_id TEXT PRIMARY KEY) WITHOUT ROWID;
        INSERT INTO volunteer_search_dirty SELECT volunteer_id FROM volunteers;
        -- (NOT EXISTS, not OR IGNORE: an outer upsert's conflict rule would override the trigger's.)
        CREATE TRIGGER volunteer_search_on_insert AFTER INSERT ON volunteers
            BEGIN INSERT INTO volunteer_search_dirty SELECT new.volunteer_id WHERE NOT EXISTS
                (SELECT 1 FROM volunteer_search_dirty WHERE volunteer_id = new.volunteer_id); END;
        CREATE TRIGGER volunteer_search_on_rename AFTER UPDATE OF display_name ON volunteers
            WHEN new.display_name IS NOT old.display_name
            BEGIN INSERT INTO volunteer_search_dirty SELECT new.volunteer_id WHERE NOT EXISTS
                (SELECT 1 FROM volunteer_search_dirty WHERE volunteer_id = new.volunteer_id); END;
        CREATE INDEX activities_by_start ON activities (json_extract(data, '$.start'));
        CREATE INDEX redemptions_by_volunteer ON redemptions (volunteer_id);
        CREATE TABLE exception_resolutions (
            exception_id INTEGER PRIMARY KEY,
            action TEXT NOT NULL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TRIGGER exception_resolutions_no_update BEFORE UPDATE ON exception_resolutions
            BEGIN SELECT RAISE(ABORT, 'a resolution is never changed'); END;
        CREATE TRIGGER exception_resolutions_no_delete BEFORE DELETE ON exception_resolutions
            BEGIN SELECT RAISE(ABORT, 'a resolution is never deleted'); END;
        """,
        # The same, plus sessions by start time alone: the console's day pages read a day's
        # sessions as one index range (SQLite has sessions_by_day for that).
        postgres="""
        CREATE TABLE staff_accounts (
            account_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name TEXT COLLATE "C" NOT NULL,
            name_key TEXT COLLATE "C" NOT NULL UNIQUE,
            display_name TEXT COLLATE "C" NOT NULL DEFAULT '',
            role TEXT COLLATE "C" NOT NULL,
            password_hash TEXT COLLATE "C" NOT NULL,
            staff_id TEXT COLLATE "C",
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT COLLATE "C" NOT NULL,
            password_changed_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE staff_account_sites (
            account_id BIGINT NOT NULL,
            site_id TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (account_id, site_id)
        );
        CREATE TABLE console_sessions (
            token_hash TEXT COLLATE "C" PRIMARY KEY,
            account_id BIGINT NOT NULL,
            csrf_token TEXT COLLATE "C" NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL,
            expires_at TEXT COLLATE "C" NOT NULL,
            ended_at TEXT COLLATE "C"
        );
        CREATE TABLE login_failures (
            name_key TEXT COLLATE "C" PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE audit_log (
            audit_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at TEXT COLLATE "C" NOT NULL,
            actor TEXT COLLATE "C" NOT NULL,
            action TEXT COLLATE "C" NOT NULL,
            target TEXT COLLATE "C" NOT NULL DEFAULT '',
            site_id TEXT COLLATE "C",
            before TEXT COLLATE "C",
            after TEXT COLLATE "C"
        );
        CREATE INDEX audit_by_actor ON audit_log (actor, audit_id);
        CREATE INDEX audit_by_action ON audit_log (action, audit_id);
        CREATE INDEX audit_by_target ON audit_log (target, audit_id);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION refuse_change('the audit journal is append-only');
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION refuse_change('the audit journal is append-only');
        CREATE TABLE kiosk_reports (
            kiosk_id TEXT COLLATE "C" PRIMARY KEY,
            reported_at TEXT COLLATE "C" NOT NULL,
            pending BIGINT,
            oldest_pending_s BIGINT,
            clock_offset_ms BIGINT,
            software TEXT COLLATE "C" NOT NULL DEFAULT '',
            reported_status_at TEXT COLLATE "C"
        );
        CREATE TABLE volunteer_search (
            volunteer_id TEXT COLLATE "C" PRIMARY KEY,
            name TEXT COLLATE "C" NOT NULL,
            initials TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX volunteer_search_by_initials ON volunteer_search (initials);
        CREATE INDEX volunteer_search_by_name ON volunteer_search (name);
        CREATE INDEX volunteer_private_by_phone_tail ON volunteer_private (right(phone, 4));
        CREATE TABLE volunteer_search_dirty (volunteer_id TEXT COLLATE "C" PRIMARY KEY);
        INSERT INTO volunteer_search_dirty SELECT volunteer_id FROM volunteers;
        CREATE FUNCTION volunteer_search_queue() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO volunteer_search_dirty VALUES (NEW.volunteer_id) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END;
        $$;
        CREATE TRIGGER volunteer_search_on_insert AFTER INSERT ON volunteers
            FOR EACH ROW EXECUTE FUNCTION volunteer_search_queue();
        CREATE TRIGGER volunteer_search_on_rename AFTER UPDATE OF display_name ON volunteers
            FOR EACH ROW WHEN (NEW.display_name IS DISTINCT FROM OLD.display_name)
            EXECUTE FUNCTION volunteer_search_queue();
        CREATE INDEX activities_by_start ON activities (((data::jsonb) ->> 'start'));
        CREATE INDEX redemptions_by_volunteer ON redemptions (volunteer_id);
        CREATE INDEX sessions_by_start ON sessions (t_in_ms);
        CREATE TABLE exception_resolutions (
            exception_id BIGINT PRIMARY KEY,
            action TEXT COLLATE "C" NOT NULL,
            reason TEXT COLLATE "C" NOT NULL,
            actor TEXT COLLATE "C" NOT NULL,
            at TEXT COLLATE "C" NOT NULL,
            detail TEXT COLLATE "C" NOT NULL DEFAULT '{}'
        );
        CREATE TRIGGER exception_resolutions_no_update BEFORE UPDATE ON exception_resolutions
            FOR EACH ROW EXECUTE FUNCTION refuse_change('a resolution is never changed');
        CREATE TRIGGER exception_resolutions_no_delete BEFORE DELETE ON exception_resolutions
            FOR EACH ROW EXECUTE FUNCTION refuse_change('a resolution is never deleted');
        """,
    ),
    # Issue 15: sign-ups with a waiting list (``ord``: the order they reached the ledger, which
    # decides the waiting list), the sessions staff corrected (我的记录 flags them; filled from
    # the corrections already held), and every service certificate issued (number, who,
    # period, figures, who issued it, the signed QR text), never changed or deleted.
    Migration(
        sqlite="""
        CREATE TABLE signups (
            activity_id TEXT NOT NULL,
            volunteer_id TEXT NOT NULL,
            status TEXT NOT NULL,
            ord INTEGER NOT NULL,
            kiosk_id TEXT,
            event_id TEXT,
            over_capacity INTEGER NOT NULL DEFAULT 0,
            signed_up_at TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            PRIMARY KEY (activity_id, volunteer_id)
        );
        CREATE INDEX signups_by_volunteer ON signups (volunteer_id);
        CREATE TABLE corrected_sessions (session_id TEXT PRIMARY KEY) WITHOUT ROWID;
        INSERT OR IGNORE INTO corrected_sessions (session_id)
            SELECT json_extract(payload, '$.session_id') FROM events
             WHERE type = 'attendance.correct' AND status = 'accepted'
               AND json_valid(payload) AND json_type(payload, '$.session_id') = 'text';
        CREATE TABLE certificates (
            number TEXT PRIMARY KEY,
            volunteer_id TEXT NOT NULL,
            name TEXT NOT NULL,
            period_from TEXT NOT NULL,
            period_to TEXT NOT NULL,
            minutes INTEGER NOT NULL,
            sessions INTEGER NOT NULL,
            issued_on TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            issued_by TEXT NOT NULL,
            qr_text TEXT NOT NULL
        );
        CREATE INDEX certificates_by_volunteer ON certificates (volunteer_id);
        CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates
            BEGIN SELECT RAISE(ABORT, 'certificates are never changed'); END;
        CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates
            BEGIN SELECT RAISE(ABORT, 'certificates are never deleted'); END;
        """,
        postgres="""
        CREATE SEQUENCE signups_ord_seq;
        CREATE TABLE signups (
            activity_id TEXT COLLATE "C" NOT NULL,
            volunteer_id TEXT COLLATE "C" NOT NULL,
            status TEXT COLLATE "C" NOT NULL,
            ord BIGINT NOT NULL,
            kiosk_id TEXT COLLATE "C",
            event_id TEXT COLLATE "C",
            over_capacity INTEGER NOT NULL DEFAULT 0,
            signed_up_at TEXT COLLATE "C" NOT NULL,
            changed_at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (activity_id, volunteer_id)
        );
        CREATE INDEX signups_by_volunteer ON signups (volunteer_id);
        CREATE TABLE corrected_sessions (session_id TEXT COLLATE "C" PRIMARY KEY);
        INSERT INTO corrected_sessions (session_id)
            SELECT DISTINCT payload::jsonb ->> 'session_id' FROM events
             WHERE type = 'attendance.correct' AND status = 'accepted'
               AND jsonb_typeof(payload::jsonb -> 'session_id') = 'string'
            ON CONFLICT DO NOTHING;
        CREATE TABLE certificates (
            number TEXT COLLATE "C" PRIMARY KEY,
            volunteer_id TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            period_from TEXT COLLATE "C" NOT NULL,
            period_to TEXT COLLATE "C" NOT NULL,
            minutes INTEGER NOT NULL,
            sessions INTEGER NOT NULL,
            issued_on TEXT COLLATE "C" NOT NULL,
            issued_at TEXT COLLATE "C" NOT NULL,
            issued_by TEXT COLLATE "C" NOT NULL,
            qr_text TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX certificates_by_volunteer ON certificates (volunteer_id);
        CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates
            FOR EACH ROW EXECUTE FUNCTION refuse_change('certificates are never changed');
        CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates
            FOR EACH ROW EXECUTE FUNCTION refuse_change('certificates are never deleted');
        """,
    ),
    # The console's search by a part of a name (晓明 in 张晓明) through an index: every
    # suffix of each name after its first character, so "anywhere in the name" is an
    # index range, not a scan of 200,000 names. Kept with volunteer_search (sync_search).
    Migration(
        sqlite="""
        CREATE TABLE volunteer_name_parts (
            part TEXT NOT NULL,
            volunteer_id TEXT NOT NULL,
            PRIMARY KEY (part, volunteer_id)
        ) WITHOUT ROWID;
        CREATE INDEX volunteer_name_parts_by_volunteer ON volunteer_name_parts (volunteer_id);
        WITH RECURSIVE s(vid, rest) AS (
            SELECT volunteer_id, substr(name, 2) FROM volunteer_search WHERE length(name) > 1
            UNION ALL SELECT vid, substr(rest, 2) FROM s WHERE length(rest) > 1
        ) INSERT OR IGNORE INTO volunteer_name_parts (part, volunteer_id) SELECT rest, vid FROM s;
        """,
        postgres="""
        CREATE TABLE volunteer_name_parts (
            part TEXT COLLATE "C" NOT NULL,
            volunteer_id TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (part, volunteer_id)
        );
        CREATE INDEX volunteer_name_parts_by_volunteer ON volunteer_name_parts (volunteer_id);
        WITH RECURSIVE s(vid, rest) AS (
            SELECT volunteer_id, substr(name, 2) FROM volunteer_search WHERE length(name) > 1
            UNION ALL SELECT vid, substr(rest, 2) FROM s WHERE length(rest) > 1
        ) INSERT INTO volunteer_name_parts (part, volunteer_id) SELECT rest, vid FROM s
          ON CONFLICT DO NOTHING;
        """,
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)
