"""Upgrading the ledger never loses its records: a database left at ANY earlier schema
version opens with the current SQLite backend, reaches ``SCHEMA_VERSION`` with every row
kept, and then takes events from kiosks as before.

Written over ``sync.ledger.db.schema.MIGRATIONS`` (their SQLite text) generically, like the kiosk store's
upgrade test: each appended migration is tested against databases built by all the
earlier ones, with no change here. A migration that reshapes a table on purpose
registers how its rows are expected to come out in ``RESHAPED``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from kiosk.core.codes import generate_keypair
from sync.ledger.db import LedgerDB, open_db, schema
from sync.ledger.db.schema import MIGRATIONS, SCHEMA_VERSION, Migration
from sync.ledger.ops import demo
from tests.deploy import schema_fill
from tests.deploy.schema_fill import ROWS_PER_TABLE, fill, table_rows

# table name -> check(old_rows, new_connection) for tables a migration drops or rewrites.
RESHAPED: dict[str, Callable[[list[dict], sqlite3.Connection], None]] = {}

JSON_COLUMNS = {"data", "detail", "payload", "body"}
# Columns whose CHECK or meaning allows only some values.
ALLOWED = {
    ("events", "status"): "accepted",
    ("sessions", "status"): "closed",
    ("redemptions", "status"): "done",
    ("volunteers", "status"): "active",
    ("volunteers", "kind"): "V",
}
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def build_at_version(path, version: int) -> sqlite3.Connection:
    """A ledger database as the program of schema ``version`` left it."""
    return schema_fill.build_at_version(path, [m.sqlite for m in schema.MIGRATIONS], version)


def _value(table: str, column: str, decl: str, i: int, pk: bool):
    decl = decl.upper()
    if (table, column) in ALLOWED:
        return ALLOWED[(table, column)]
    if column in JSON_COLUMNS:
        return json.dumps(
            {"id": f"{table}-{i}", "note": "回归测试", "n": i}, ensure_ascii=False, sort_keys=True
        )
    if "BLOB" in decl:
        return bytes([i]) * 16
    if "INT" in decl:
        return i if pk else 10 * i + 1
    if any(t in decl for t in ("REAL", "FLOA", "DOUB")):
        return i + 0.5
    if column.endswith("_at"):
        return f"2026-11-{10 + i:02d}T09:00:00.000+08:00"
    return f"{column}-{i}-张"


def ingest_after_upgrade(store: LedgerDB) -> None:
    """The upgraded ledger does its job: demo reference data loads, a kiosk enrolls, its
    events are applied to balances, stock and the journal, and a resend is a duplicate."""
    keys = generate_keypair()
    data = demo.build(date(2026, 11, 29), keys)
    store.set_keys(keys.public_key, "")
    store.load_reference(data.snapshot["changes"], NOW)
    code = store.create_enrollment_code("service-center", NOW, timedelta(hours=1))
    kiosk = store.enroll(code, "after-upgrade", NOW)
    balance, stock = (
        store.balances().get("V000101", 0),
        store.stock_levels().get(("service-center", "towel"), 0),
    )
    at = "2026-11-29T10:00:00.000+08:00"
    events = [
        {
            "id": "0193a000-0000-7000-8000-000000000001",
            "kiosk_id": kiosk.kiosk_id,
            "seq": 1,
            "type": "stock.restock",
            "occurred_at": at,
            "clock_offset_ms": 0,
            "actor": "S0001",
            "payload": {
                "site_id": "service-center",
                "item_id": "towel",
                "qty": 4,
                "reason": "upgrade test",
            },
        },
        {
            "id": "0193a000-0000-7000-8000-000000000002",
            "kiosk_id": kiosk.kiosk_id,
            "seq": 2,
            "type": "points.adjust",
            "occurred_at": at,
            "clock_offset_ms": 0,
            "actor": "S0001",
            "payload": {"volunteer_id": "V000101", "delta": 7, "reason": "upgrade test"},
        },
    ]
    results, acked = store.ingest(kiosk.kiosk_id, events, NOW)
    assert acked == 2 and [r["status"] for r in results] == ["accepted", "accepted"], results
    assert store.stock_levels()[("service-center", "towel")] == stock + 4
    assert store.balances()["V000101"] == balance + 7
    assert store.journal_balances()["V000101"] == balance + 7
    results, acked = store.ingest(kiosk.kiosk_id, events, NOW)
    assert acked == 2 and [r["status"] for r in results] == ["duplicate", "duplicate"]
    page = store.changes_since(None, 100_000)
    assert page.reset and any(
        c["kind"] == "balance" and c["key"] == "V000101" for c in page.changes
    )


def check_upgrade(path, version: int, target: int) -> None:
    conn = build_at_version(path, version)
    inserted = fill(conn, _value)
    if version > 0:
        assert sum(len(r) for r in inserted.values()) >= ROWS_PER_TABLE * len(inserted) // 2, (
            "most tables took representative rows"
        )
        assert inserted["events"] and inserted["journal"] and inserted["kiosks"], (
            "the tables that matter took rows"
        )
    conn.close()

    store = open_db(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == target
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        new_tables = {
            r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        for table, rows in inserted.items():
            if table in RESHAPED:
                RESHAPED[table](rows, store.conn)
                continue
            assert table in new_tables, f"a migration dropped {table}: register it in RESHAPED"
            after = table_rows(store.conn, table)
            if table == "meta":  # opening adds the feed epoch; the old keys stay as they were
                after = [r for r in after if r["key"] != "feed_epoch"]
            assert len(after) == len(rows), f"{table}: {len(rows)} rows before, {len(after)} after"
            for row in rows:
                kept = {k: v for k, v in row.items() if k in after[0]}
                assert kept in [{k: a[k] for k in kept} for a in after], f"{table} lost {row}"
        if inserted.get("events"):  # read back through the store: payloads still parse
            held = store.events()
            assert [(e["kiosk_id"], e["seq"]) for e in held] == sorted(
                (r["kiosk_id"], r["seq"]) for r in inserted["events"]
            )
            assert held[0]["payload"] == json.loads(inserted["events"][0]["payload"])
        if inserted.get("kiosks"):
            old = inserted["kiosks"][0]
            assert {k.kiosk_id: k.acked_seq for k in store.kiosks()}[old["kiosk_id"]] == old[
                "acked_seq"
            ]
        ingest_after_upgrade(store)
    finally:
        store.close()

    # Opening again migrates nothing more.
    open_db(path).close()
    reopened = sqlite3.connect(path)
    assert reopened.execute("PRAGMA user_version").fetchone()[0] == target
    reopened.close()


def test_there_are_earlier_versions_to_upgrade_from():
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_upgrade_from_every_earlier_version_keeps_the_data_and_ingests(tmp_path, version):
    check_upgrade(tmp_path / "ledger.db", version, SCHEMA_VERSION)


def test_the_check_catches_data_through_an_appended_migration(tmp_path, monkeypatch):
    """Databases through a next migration of the usual kinds (new column, new table, new
    index): the rows built at a version must come through it, so the check above has
    teeth the day a migration is appended."""
    future = """
    ALTER TABLE kiosks ADD COLUMN software_version TEXT NOT NULL DEFAULT '';
    CREATE TABLE kiosk_notes (kiosk_id TEXT PRIMARY KEY, note TEXT NOT NULL);
    CREATE INDEX events_by_type ON events (type, kiosk_id, seq);
    """
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, Migration(sqlite=future)])
    # The oldest database, one from the middle and today's: every version between is held
    # through today's migrations above, so this one need not walk them all again.
    for version in sorted({0, SCHEMA_VERSION // 2, SCHEMA_VERSION}):
        check_upgrade(tmp_path / f"ledger-{version}.db", version, SCHEMA_VERSION + 1)


def test_the_check_notices_a_migration_that_loses_rows(tmp_path, monkeypatch):
    losing = "DELETE FROM volunteers WHERE volunteer_id LIKE '%-2-%';"
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, Migration(sqlite=losing)])
    with pytest.raises(AssertionError, match="volunteers"):
        check_upgrade(tmp_path / "ledger.db", SCHEMA_VERSION, SCHEMA_VERSION + 1)


def test_a_database_from_a_newer_program_is_refused_untouched(tmp_path):
    """A rolled-back upgrade meets a database the newer program already migrated: the
    older program must refuse it, not guess."""
    path = tmp_path / "ledger.db"
    conn = build_at_version(path, SCHEMA_VERSION)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        open_db(path)
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    check.close()


def test_the_current_schema_accepts_the_same_rows(tmp_path):
    conn = build_at_version(tmp_path / "ledger.db", SCHEMA_VERSION)
    inserted = fill(conn, _value)
    assert (
        inserted["events"] and inserted["journal"] and inserted["balances"] and inserted["kiosks"]
    )
    conn.close()
