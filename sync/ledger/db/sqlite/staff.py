"""What staff tools read and write on SQLite (``db/staff_sql.py``), over one connection inside
the caller's snapshot or write transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from sync.ledger.db.ingest import Dirty
from sync.ledger.db.sqlite.ingest import emit_dirty, load_one
from sync.ledger.db.staff_sql import StaffSQL, StaffSQLWrite


class _SQLite:
    def __init__(self, c: sqlite3.Connection):
        self.c = c

    def _all(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        return self.c.execute(sql, tuple(args)).fetchall()

    def _many(self, sql: str, rows: list[tuple]) -> None:
        self.c.executemany(sql, rows)

    def _json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def _ledger_number(self, column: str) -> str:
        return f"length({column}) = 7 AND {column} GLOB 'V[0-9][0-9][0-9][0-9][0-9][0-9]'"


class SQLiteStaffRead(_SQLite, StaffSQL):
    pass


class SQLiteStaffWrite(_SQLite, StaffSQLWrite):
    """The single writer's transaction: nothing else writes meanwhile, so no locks."""

    def __init__(self, c: sqlite3.Connection):
        super().__init__(c)
        self._stock_set: set[tuple[str, str]] = set()

    def _feed(self, rows: list[tuple[str, str, str, int]]) -> None:
        # REPLACE deletes the old row and takes a fresh cursor: each key appears once, at its
        # latest (as ingest's emit).
        self.c.executemany(
            "INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES (?, ?, ?, ?)", rows
        )

    def _feed_dirty(self, dirty: Dirty) -> None:
        emit_dirty(self.c, dirty)

    def put_activity(self, activity: dict[str, Any], at: str) -> None:
        load_one(self.c, "activity", activity["activity_id"], activity, at)

    def put_catalog_item(self, item_id: str, data: dict[str, Any]) -> None:
        load_one(self.c, "catalog_item", item_id, data, "")
