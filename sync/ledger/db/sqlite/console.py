"""The console's statements on SQLite (``db/console_sql.py``), over one connection inside
the caller's snapshot or write transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from sync.ledger.db.console_sql import _SESSION, DAY_MS, ConsoleSQL, ConsoleSQLWrite, _sessions


class _SQLite:
    c: sqlite3.Connection

    # The planner is told which index to use where its guess is wrong on a district's
    # ledger: a condition on the sites, for one, kept it off the small partial index.
    _OPEN_HINT = " INDEXED BY sessions_long"

    def __init__(self, c: sqlite3.Connection):
        self.c = c

    def _all(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        return self.c.execute(sql, tuple(args)).fetchall()

    def _many(self, sql: str, rows: list[tuple]) -> None:
        self.c.executemany(sql, rows)

    def _agg_sites(self) -> str:
        return "group_concat(s.site_id, ',')"

    def _day_range(self, alias: str, lo_ms: int, hi_ms: int) -> tuple[str, str, list]:
        # sessions_by_day is keyed by the day a session began: a day's sessions are a few
        # index seeks, then the exact bounds.
        days = list(range(lo_ms // DAY_MS, (hi_ms - 1) // DAY_MS + 1))
        marks = ",".join("?" * len(days))
        return (
            " INDEXED BY sessions_by_day",
            f"{alias}t_in_ms / 86400000 IN ({marks}) AND {alias}t_in_ms >= ?"
            f" AND {alias}t_in_ms < ?",
            [*days, lo_ms, hi_ms],
        )

    def _json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def _not_general(self) -> str:
        return "json_extract(data, '$.general') IS NOT 1"

    def _phone_tail(self) -> str:
        return "substr(phone, -4)"

    def volunteer_sessions(self, volunteer_id: str, lo_ms: int, hi_ms: int) -> list[dict]:
        days = list(range(lo_ms // DAY_MS, (hi_ms - 1) // DAY_MS + 1))
        out: list[dict[str, Any]] = []
        for i in range(0, len(days), 500):
            chunk = days[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out += _sessions(
                self._all(
                    f"SELECT {_SESSION} FROM sessions s INDEXED BY sessions_by_day"
                    " LEFT JOIN volunteers v ON v.volunteer_id = s.volunteer_id"
                    f" WHERE s.t_in_ms / 86400000 IN ({marks}) AND s.volunteer_id = ?",
                    (*chunk, volunteer_id),
                )
            )
        return sorted(out, key=lambda s: s["signed_in_at"], reverse=True)


class SQLiteConsoleRead(_SQLite, ConsoleSQL):
    pass


class SQLiteConsoleWrite(_SQLite, ConsoleSQLWrite):
    pass
