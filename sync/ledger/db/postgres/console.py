"""The console's statements on PostgreSQL (``db/console_sql.py``), over one cursor inside
the caller's snapshot or write transaction."""

from __future__ import annotations

from typing import Any

from sync.ledger.db.console_sql import _SESSION, ConsoleSQL, ConsoleSQLWrite, _sessions


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

    def _agg_sites(self) -> str:
        return "string_agg(s.site_id, ',')"

    def _day_range(self, alias: str, lo_ms: int, hi_ms: int) -> tuple[str, str, list]:
        # sessions_by_start: a day's sessions are one index range.
        return "", f"{alias}t_in_ms >= ? AND {alias}t_in_ms < ?", [lo_ms, hi_ms]

    def _json_text(self, column: str, key: str) -> str:
        return f"(({column}::jsonb) ->> '{key}')"

    def _not_general(self) -> str:
        return "((data::jsonb) ->> 'general') IS DISTINCT FROM 'true'"

    def _phone_tail(self) -> str:
        return "right(phone, 4)"

    def volunteer_sessions(self, volunteer_id: str, lo_ms: int, hi_ms: int) -> list[dict]:
        # sessions_by_volunteer_start: the volunteer's sessions in the range, one index range.
        rows: list[dict[str, Any]] = _sessions(
            self._all(
                f"SELECT {_SESSION} FROM sessions s"
                " LEFT JOIN volunteers v ON v.volunteer_id = s.volunteer_id"
                " WHERE s.volunteer_id = ? AND s.t_in_ms >= ? AND s.t_in_ms < ?",
                (volunteer_id, lo_ms, hi_ms),
            )
        )
        return sorted(rows, key=lambda s: s["signed_in_at"], reverse=True)


class PgConsoleRead(_Pg, ConsoleSQL):
    pass


class PgConsoleWrite(_Pg, ConsoleSQLWrite):
    pass
