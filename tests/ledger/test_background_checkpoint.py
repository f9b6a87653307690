"""`kiosk-ledger serve` copies the WAL back into the database from its own thread, so
ingest never pays for a checkpoint; what was committed still reaches the main file."""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, datetime

from sync.ledger.db import open_db


def rows_in_main_file(db, tmp_path) -> int:
    """Volunteers readable from the database file alone, as if its WAL were lost."""
    copy = tmp_path / "main-only.db"
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(copy)
    try:
        return conn.execute("SELECT COUNT(*) FROM volunteers").fetchone()[0]
    except sqlite3.DatabaseError:
        return -1  # the schema itself is still only in the WAL
    finally:
        conn.close()


def test_committed_rows_reach_the_main_file_without_an_autocheckpoint(tmp_path, demo_data):
    db = tmp_path / "ledger.db"
    store = open_db(db)
    stop = store.start_maintenance(interval_s=0.05)
    try:
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        store.load_reference(demo_data.snapshot["changes"], datetime(2026, 11, 30, 1, tzinfo=UTC))
        expected = store.conn.execute("SELECT COUNT(*) FROM volunteers").fetchone()[0]
        assert expected == 12
        deadline = time.monotonic() + 30  # a hang guard; the thread runs every 50 ms
        while rows_in_main_file(db, tmp_path) != expected:
            assert time.monotonic() < deadline, "the background checkpoint never copied the WAL"
            time.sleep(0.05)
    finally:
        stop.set()
        store.close()
