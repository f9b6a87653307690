"""What staff tools read and write on PostgreSQL (``db/staff_sql.py``), over one cursor inside
the caller's snapshot or write transaction: the same rows as on SQLite."""

from __future__ import annotations

from typing import Any

from sync.ledger.db.ingest import Dirty
from sync.ledger.db.postgres.ingest import (
    Feed,
    emit_dirty,
    lock_key,
    put_activities,
    put_catalog,
    take_locks,
)
from sync.ledger.db.staff_sql import StaffSQL, StaffSQLWrite


def _pg(sql: str) -> str:
    # The shared statements hold no literal "?" or "%": each "?" is a parameter.
    return sql.replace("?", "%s")


class _Pg:
    def __init__(self, cur):
        self.cur = cur

    def _all(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        self.cur.execute(_pg(sql), tuple(args))
        return self.cur.fetchall() if self.cur.description is not None else []

    def _many(self, sql: str, rows: list[tuple]) -> None:
        self.cur.executemany(_pg(sql), rows)

    def _json_text(self, column: str, key: str) -> str:
        return f"(({column}::jsonb) ->> '{key}')"

    def _ledger_number(self, column: str) -> str:
        return f"{column} ~ '^V[0-9]{{6}}$'"


class PgStaffRead(_Pg, StaffSQL):
    pass


class PgStaffWrite(_Pg, StaffSQLWrite):
    """Staff writes take the advisory locks kiosk batches take for what they touch, so
    several API processes never interleave a staff change with a batch."""

    _FOR_UPDATE = " FOR UPDATE"

    def __init__(self, cur):
        super().__init__(cur)
        self.feed = Feed(cur)
        self._locks: set[int] = set()
        self._stock_set: set[tuple[str, str]] = set()

    def _feed(self, rows: list[tuple[str, str, str, int]]) -> None:
        self.feed.put(rows)

    def _lock(self, kind: str, key: str) -> None:
        take_locks(self.cur, {lock_key(kind, key)}, self._locks)

    def _feed_dirty(self, dirty: Dirty) -> None:
        emit_dirty(self.cur, self.feed, dirty)

    def put_activity(self, activity: dict[str, Any], at: str) -> None:
        put_activities(self.cur, self.feed, [(activity["activity_id"], activity)], at)

    def put_catalog_item(self, item_id: str, data: dict[str, Any]) -> None:
        self._lock("item", item_id)
        put_catalog(self.cur, self.feed, item_id, data)
