"""Upgrading a kiosk never loses its records: a store left at ANY earlier schema version
opens with the current program, reaches SCHEMA_VERSION, and keeps every row.

Written over ``MIGRATIONS`` generically: each appended migration is tested against
stores built by all the earlier ones, with no change here. A migration that reshapes a
table on purpose registers how its rows are expected to come out in ``RESHAPED``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import pytest

from kiosk.store import Store, StoreError, schema
from kiosk.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.deploy import schema_fill
from tests.deploy.schema_fill import ROWS_PER_TABLE, fill, table_rows

# table name -> check(old_rows, new_connection) for tables a migration drops or rewrites.


def _staff_pins(rows: list[dict], conn: sqlite3.Connection, version: int) -> None:
    # Migration 2 drops every PIN hash not keyed by the staff card (kiosk.core.pins).
    kept = {r[0]: r[1] for r in conn.execute("SELECT staff_id, pin_hash FROM staff_pins")}
    assert kept == {
        r["staff_id"]: r["pin_hash"]
        for r in rows
        if version >= 2 or r["pin_hash"].startswith("vk-argon2id$")
    }


RESHAPED: dict[str, Callable[[list[dict], sqlite3.Connection, int], None]] = {
    "staff_pins": _staff_pins
}

JSON_OBJECT_COLUMNS = {"payload", "rule", "names"}
JSON_LIST_COLUMNS = {"signup"}


def build_at_version(path, version: int) -> sqlite3.Connection:
    """A store as a kiosk running the program of schema ``version`` left it."""
    return schema_fill.build_at_version(path, schema.MIGRATIONS, version)


def _value(table: str, column: str, decl: str, i: int, pk: bool):
    decl = decl.upper()
    if column in JSON_OBJECT_COLUMNS:
        return json.dumps({"activity_id": f"A-{i}", "note": "回归测试"}, ensure_ascii=False)
    if column in JSON_LIST_COLUMNS:
        return json.dumps([f"V{i:06d}"])
    if "INT" in decl:
        return i if pk else 10 * i + 1
    if any(t in decl for t in ("REAL", "FLOA", "DOUB")):
        return i + 0.5
    if column.endswith("_at") or column in ("start", "end"):
        return f"2026-11-{10 + i:02d}T09:00:00.000+08:00"
    if column in ("day",):
        return f"2026-11-{10 + i:02d}"
    if column in ("month",):
        return "2026-11"
    if column == "kind":
        return "V"
    if column == "status":
        return "done"
    return f"{column}-{i}-张"


def check_upgrade(path, version: int, target: int) -> None:
    conn = build_at_version(path, version)
    inserted = fill(conn, _value)
    if version > 0:
        assert sum(len(r) for r in inserted.values()) >= ROWS_PER_TABLE * len(inserted) // 2, (
            "most tables took representative rows"
        )
    conn.close()

    store = Store(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == target
        assert store.integrity_ok()
        new_tables = {
            r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        for table, rows in inserted.items():
            if table in RESHAPED:
                RESHAPED[table](rows, store.conn, version)
                continue
            assert table in new_tables, f"a migration dropped {table}: register it in RESHAPED"
            after = table_rows(store.conn, table)
            assert len(after) == len(rows), f"{table}: {len(rows)} rows before, {len(after)} after"
            for row in rows:
                kept = {k: v for k, v in row.items() if k in after[0]}
                assert kept in [{k: a[k] for k in kept} for a in after], f"{table} lost {row}"
        if inserted.get("events"):
            events = store.events_after(0)
            assert [e.seq for e in events] == [r["seq"] for r in inserted["events"]]
            assert events[0].payload == json.loads(inserted["events"][0]["payload"])
    finally:
        store.close()

    # Opening again migrates nothing more.
    Store(path).close()
    reopened = sqlite3.connect(path)
    assert reopened.execute("PRAGMA user_version").fetchone()[0] == target
    reopened.close()


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_upgrade_from_every_earlier_version_keeps_the_data(tmp_path, version):
    check_upgrade(tmp_path / "kiosk.db", version, SCHEMA_VERSION)


def test_the_check_catches_data_through_an_appended_migration(tmp_path, monkeypatch):
    """Today's stores through a next migration of the usual kinds (new column, new table,
    new index): the rows built at today's version must come through it, so the check
    above has teeth the day a migration is appended."""
    future = """
    ALTER TABLE volunteers ADD COLUMN preferred_language TEXT NOT NULL DEFAULT 'zh-Hans';
    CREATE TABLE notices (notice_id TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE INDEX events_by_type ON events (type, seq);
    """
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, future])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    for version in range(SCHEMA_VERSION + 1):
        check_upgrade(tmp_path / f"kiosk-{version}.db", version, SCHEMA_VERSION + 1)


def test_the_check_notices_a_migration_that_loses_rows(tmp_path, monkeypatch):
    losing = "DELETE FROM volunteers WHERE volunteer_id LIKE '%-2-%';"
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, losing])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(AssertionError, match="volunteers"):
        check_upgrade(tmp_path / "kiosk.db", SCHEMA_VERSION, SCHEMA_VERSION + 1)


def test_a_store_from_a_newer_program_is_refused_untouched(tmp_path):
    """A rolled-back upgrade meets a store the newer program already migrated: the older
    program must refuse it, not guess."""
    path = tmp_path / "kiosk.db"
    conn = build_at_version(path, SCHEMA_VERSION)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError) as info:
        Store(path)
    assert info.value.kind == "too_new"
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    check.close()


def test_the_current_schema_accepts_the_same_rows(tmp_path):
    """The row builder itself works on today's schema, so the next migration's test has
    real rows to carry over."""
    conn = build_at_version(tmp_path / "kiosk.db", SCHEMA_VERSION)
    inserted = fill(conn, _value)
    assert inserted["events"] and inserted["volunteers"] and inserted["sessions"]
    conn.close()
