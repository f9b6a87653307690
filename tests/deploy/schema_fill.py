"""Representative rows for any SQLite schema, for the upgrade tests of the kiosk store
and the ledger: fill every table a schema has so far, then read the rows back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from kiosk.sqlite_migrate import split_statements

ROWS_PER_TABLE = 3

# value(table, column, declared type, row number, is primary key) -> a cell
ValueFor = Callable[[str, str, str, int, bool], Any]


def build_at_version(path, migrations: list[str], version: int) -> sqlite3.Connection:
    """A database as the program of schema ``version`` left it: ``migrations[:version]`` run
    one transaction each, as ``kiosk.sqlite_migrate`` runs them."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    for number in range(version):
        conn.execute("BEGIN")
        for statement in split_statements(migrations[number]):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    return conn


def fill(conn: sqlite3.Connection, value: ValueFor) -> dict[str, list[dict]]:
    """Representative rows in every table the schema has so far, where it accepts them."""
    inserted: dict[str, list[dict]] = {}
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for table in tables:
        columns = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        rows = []
        for i in range(1, ROWS_PER_TABLE + 1):
            row = {c[1]: value(table, c[1], c[2] or "", i, bool(c[5])) for c in columns}
            names = ", ".join(f'"{k}"' for k in row)
            marks = ", ".join("?" for _ in row)
            try:
                conn.execute(
                    f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values())
                )
            except sqlite3.IntegrityError:
                continue  # a CHECK or unique rule refuses this shape: the schema does not allow it
            rows.append(row)
        inserted[table] = rows
    return inserted


def table_rows(conn: sqlite3.Connection, table: str) -> list[dict]:
    cur = conn.execute(f'SELECT * FROM "{table}"')
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
