"""The console's statements (``db/console.py``), shared by both backends. Each backend
subclasses ``ConsoleSQL`` with how it runs a statement and the few clauses its SQL spells
its own way (index hints, JSON fields, string functions, a day's sessions).

Statements are written with ``?`` placeholders; PostgreSQL's side turns them into ``%s``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sync.ledger.db.console import AuditEntry, AuditFilter, KioskReport, StoredAccount, mask
from sync.ledger.staff.roles import Account

DAY_MS = 86_400_000
TOP = "\U0010ffff"  # sorts after every text: [q, q + TOP) is "starts with q"

_SESSION = (
    "s.session_id, s.volunteer_id, COALESCE(v.display_name, ''), s.kiosk_id, s.site_id,"
    " s.activity_id, s.signed_in_at, s.signed_out_at, s.minutes, s.credited_minutes, s.points,"
    " s.status"
)
_SESSION_KEYS = (
    "session_id",
    "volunteer_id",
    "name",
    "kiosk_id",
    "site_id",
    "activity_id",
    "signed_in_at",
    "signed_out_at",
    "minutes",
    "credited_minutes",
    "points",
    "status",
)
_PEOPLE_KEYS = (
    "volunteer_id",
    "kind",
    "name",
    "team",
    "status",
    "card_version",
    "izhiyuan_id",
    "phone",
    "balance",
    "minutes_total",
)
_JOURNAL_KEYS = (
    "entry_id",
    "event_id",
    "debit",
    "credit",
    "amount",
    "memo",
    "ref",
    "reverses",
    "posted_at",
)
_EXCEPTION_KEYS = (
    "exception_id",
    "kind",
    "ref",
    "volunteer_id",
    "site_id",
    "kiosk_id",
    "event_id",
    "detail",
    "created_at",
)
CHUNK = 500  # ids per IN (...) list: well inside either backend's limit on parameters


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _sessions(rows) -> list[dict[str, Any]]:
    return [dict(zip(_SESSION_KEYS, r, strict=True)) for r in rows]


def _int(v: Any) -> int:
    return int(v or 0)  # PostgreSQL's SUM of integers is a Decimal


class ConsoleSQL:
    """The console's reads and writes over one transaction of a backend."""

    # -- what a backend supplies --------------------------------------------------------

    def _all(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        raise NotImplementedError

    def _many(self, sql: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    def _agg_sites(self) -> str:
        """The account's sites, comma-separated, from ``staff_account_sites s``."""
        raise NotImplementedError

    def _day_range(self, alias: str, lo_ms: int, hi_ms: int) -> tuple[str, str, list]:
        """(index hint, condition, arguments) for sessions begun in [lo_ms, hi_ms)."""
        raise NotImplementedError

    def _json_text(self, column: str, key: str) -> str:
        raise NotImplementedError

    def _not_general(self) -> str:
        """An activity's condition: not a day's general duty."""
        raise NotImplementedError

    def _phone_tail(self) -> str:
        raise NotImplementedError

    _OPEN_HINT = ""  # how a backend reads the open sessions' partial index

    def _one(self, sql: str, args: tuple | list = ()) -> tuple | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _chunks(self, sql: str, ids: list, extra: tuple = ()) -> list[tuple]:
        """``sql`` has one ``{marks}`` for the ids; run in chunks, rows concatenated."""
        out: list[tuple] = []
        for i in range(0, len(ids), CHUNK):
            chunk = list(ids[i : i + CHUNK])
            out += self._all(sql.format(marks=_marks(len(chunk))), (*chunk, *extra))
        return out

    @staticmethod
    def _sites(column: str, site_ids: list[str] | None) -> tuple[str, list[str]]:
        if site_ids is None:
            return "", []
        if not site_ids:
            return " AND 1 = 0", []
        return f" AND {column} IN ({_marks(len(site_ids))})", list(site_ids)

    # -- accounts and sign-in ----------------------------------------------------------------

    def _account_sql(self) -> str:
        return (
            "SELECT a.account_id, a.name, a.display_name, a.role, a.active, a.staff_id,"
            " a.password_hash, a.created_at, a.password_changed_at,"
            f" (SELECT {self._agg_sites()} FROM staff_account_sites s"
            " WHERE s.account_id = a.account_id) FROM staff_accounts a"
        )

    @staticmethod
    def _account(row: tuple) -> StoredAccount:
        aid, name, display, role, active, staff_id, pw, created, changed, sites = row
        return StoredAccount(
            Account(
                int(aid),
                name,
                display,
                role,
                frozenset(sites.split(",")) if sites else frozenset(),
                bool(active),
                staff_id,
            ),
            pw,
            created,
            changed,
        )

    def account(self, account_id: int) -> StoredAccount | None:
        row = self._one(self._account_sql() + " WHERE a.account_id = ?", (account_id,))
        return self._account(row) if row else None

    def account_by_name(self, name_key: str) -> StoredAccount | None:
        row = self._one(self._account_sql() + " WHERE a.name_key = ?", (name_key,))
        return self._account(row) if row else None

    def accounts(self) -> list[StoredAccount]:
        return [self._account(r) for r in self._all(self._account_sql() + " ORDER BY a.name_key")]

    def session(self, token_hash: str, now: str) -> tuple[StoredAccount, str] | None:
        row = self._one(
            "SELECT account_id, csrf_token FROM console_sessions WHERE token_hash = ?"
            " AND ended_at IS NULL AND expires_at > ?",
            (token_hash, now),
        )
        if row is None:
            return None
        found = self.account(row[0])
        if found is None or not found.account.active:
            return None
        return found, row[1]

    def login_failures(self, name_key: str) -> tuple[int, str | None]:
        row = self._one(
            "SELECT failures, last_at FROM login_failures WHERE name_key = ?", (name_key,)
        )
        return (int(row[0]), row[1]) if row else (0, None)

    # -- audit and kiosk health ------------------------------------------------------------

    def audit_entries(self, where: AuditFilter, limit: int = 100) -> list[AuditEntry]:
        sql, args = [], []
        if where.actor:
            sql.append("actor = ?")
            args.append(where.actor)
        if where.action:
            if where.action.endswith("."):
                sql.append("action >= ? AND action < ?")
                args += [where.action, where.action[:-1] + "/"]  # "/" sorts right after "."
            else:
                sql.append("action = ?")
                args.append(where.action)
        if where.target:
            sql.append("target = ?")
            args.append(where.target)
        if where.site_id:
            sql.append("site_id = ?")
            args.append(where.site_id)
        if where.since:
            sql.append("at >= ?")
            args.append(where.since)
        if where.until:
            sql.append("at < ?")
            args.append(where.until)
        if where.before_id:
            sql.append("audit_id < ?")
            args.append(where.before_id)
        cond = (" WHERE " + " AND ".join(sql)) if sql else ""
        rows = self._all(
            "SELECT audit_id, at, actor, action, target, site_id, before, after FROM audit_log"
            f"{cond} ORDER BY audit_id DESC LIMIT ?",
            (*args, limit),
        )
        return [AuditEntry(int(r[0]), *r[1:6], _loads(r[6]), _loads(r[7])) for r in rows]

    def audit_actions(self) -> list[str]:
        return [r[0] for r in self._all("SELECT DISTINCT action FROM audit_log ORDER BY 1")]

    def kiosk_reports(self) -> dict[str, KioskReport]:
        rows = self._all(
            "SELECT kiosk_id, reported_at, pending, oldest_pending_s, clock_offset_ms, software,"
            " reported_status_at FROM kiosk_reports"
        )
        return {r[0]: KioskReport(*r) for r in rows}

    # -- pages -------------------------------------------------------------------------------

    def sessions_between(
        self, lo_ms: int, hi_ms: int, site_ids: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Sessions begun in [lo_ms, hi_ms) (kiosk time corrected) at these sites."""
        hint, cond, args = self._day_range("s.", lo_ms, hi_ms)
        where, sargs = self._sites("s.site_id", site_ids)
        return _sessions(
            self._all(
                f"SELECT {_SESSION} FROM sessions s{hint}"
                " LEFT JOIN volunteers v ON v.volunteer_id = s.volunteer_id"
                f" WHERE {cond}{where} ORDER BY s.t_in_ms",
                (*args, *sargs),
            )
        )

    def day_counts(self, lo_ms: int, hi_ms: int) -> dict[str, dict[str, int]]:
        """Per site: sessions begun in [lo_ms, hi_ms) still open, and those closed."""
        hint, cond, args = self._day_range("", lo_ms, hi_ms)
        rows = self._all(
            f"SELECT site_id, status = 'open', COUNT(*) FROM sessions{hint}"
            f" WHERE {cond} GROUP BY 1, 2",
            args,
        )
        out: dict[str, dict[str, int]] = {}
        for site, is_open, n in rows:
            out.setdefault(site, {"here": 0, "gone": 0})["here" if is_open else "gone"] += int(n)
        return out

    def open_sessions(self, site_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Every session not yet signed out (the small partial index sessions_long; the
        sites are filtered here, as a condition on them would keep SQLite off that index)."""
        found = _sessions(
            self._all(
                f"SELECT {_SESSION} FROM sessions s{self._OPEN_HINT}"
                " LEFT JOIN volunteers v ON v.volunteer_id = s.volunteer_id"
                " WHERE (s.t_out_ms IS NULL OR s.t_out_ms - s.t_in_ms > 86400000)"
                " AND s.status = 'open' ORDER BY s.t_in_ms"
            )
        )
        if site_ids is None:
            return found
        wanted = set(site_ids)
        return [s for s in found if s["site_id"] in wanted]

    def volunteer_sessions(self, volunteer_id: str, lo_ms: int, hi_ms: int) -> list[dict]:
        raise NotImplementedError

    def session_row(self, session_id: str) -> dict[str, Any] | None:
        rows = _sessions(
            self._all(
                f"SELECT {_SESSION} FROM sessions s LEFT JOIN volunteers v"
                " ON v.volunteer_id = s.volunteer_id WHERE s.session_id = ?",
                (session_id,),
            )
        )
        return rows[0] if rows else None

    def activities_starting(
        self,
        lo: str,
        hi: str,
        site_ids: list[str] | None = None,
        general: bool = True,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]:
        """Activities whose start (ISO text) is in [lo, hi) at these sites, through
        activities_by_start; without each day's general duty if ``general`` is False; at
        most ``limit`` of them after ``offset``, the latest first if ``newest_first``."""
        where, args = self._sites("site_id", site_ids)
        if not general:
            where += f" AND {self._not_general()}"
        start = self._json_text("data", "start")
        page, order = "", " DESC" if newest_first else ""
        if limit is not None:
            page = " LIMIT ? OFFSET ?"
            args += [int(limit), int(offset)]
        return [
            json.loads(d)
            for (d,) in self._all(
                f"SELECT data FROM activities WHERE {start} >= ? AND {start} < ?{where}"
                f" ORDER BY {start}{order}, activity_id{order}{page}",
                (lo, hi, *args),
            )
        ]

    def activity(self, activity_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM activities WHERE activity_id = ?", (activity_id,))
        return json.loads(row[0]) if row else None

    def catalog_data(self, item_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM catalog WHERE item_id = ?", (item_id,))
        return json.loads(row[0]) if row else None

    def latest_certificate(self, volunteer_id: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT number, period_from, period_to, minutes, sessions FROM certificates"
            " WHERE volunteer_id = ? ORDER BY issued_at DESC, number DESC LIMIT 1",
            (volunteer_id,),
        )
        keys = ("number", "from", "to", "minutes", "sessions")
        return dict(zip(keys, row, strict=True)) if row else None

    def activity_titles(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        rows = self._chunks(
            "SELECT activity_id, data FROM activities WHERE activity_id IN ({marks})", ids
        )
        return {aid: json.loads(d) for aid, d in rows}

    def names(self, ids: list[str]) -> dict[str, str]:
        return dict(
            self._chunks(
                "SELECT volunteer_id, display_name FROM volunteers WHERE volunteer_id IN ({marks})",
                ids,
            )
        )

    def search_volunteers(self, q: str, limit: int = 20) -> list[dict[str, Any]]:
        """By number (prefix), phone (whole, prefix or last four digits), pinyin initials
        (prefix) or name (prefix, then anywhere in it); each an index range, first rows only."""
        q = q.strip()
        if not q:
            return []
        found: dict[str, None] = {}

        def take(sql: str, args: tuple) -> None:
            for (vid,) in self._all(sql + " LIMIT ?", (*args, limit)):
                if len(found) >= limit:
                    return
                found.setdefault(vid, None)

        upper = q.upper()
        if q.isdigit() and len(q) == 4:
            take(
                f"SELECT volunteer_id FROM volunteer_private WHERE {self._phone_tail()} = ?"
                " ORDER BY volunteer_id",
                (q,),
            )
        if q.isdigit() and len(q) >= 3:
            take(
                "SELECT volunteer_id FROM volunteer_private WHERE phone >= ? AND phone < ?"
                " ORDER BY phone",
                (q, q + TOP),
            )
        if q.isascii() and q.replace("-", "").isalnum():
            take(
                "SELECT volunteer_id FROM volunteers WHERE volunteer_id >= ? AND volunteer_id < ?"
                " ORDER BY volunteer_id",
                (upper, upper + TOP),
            )
        if q.isascii() and q.isalpha():
            low = q.lower()
            take(
                "SELECT volunteer_id FROM volunteer_search WHERE initials >= ? AND initials < ?"
                " ORDER BY initials, volunteer_id",
                (low, low + TOP),
            )
        take(
            "SELECT volunteer_id FROM volunteer_search WHERE name >= ? AND name < ? ORDER BY name",
            (q, q + TOP),
        )
        # Anywhere in the name (given names: 晓明), through the names' suffixes: an index
        # range too. Chinese text only; Latin queries are initials, numbers or a name's start.
        if len(found) < limit and not q.isascii():
            take(
                "SELECT volunteer_id FROM volunteer_name_parts WHERE part >= ? AND part < ?"
                " ORDER BY part, volunteer_id",
                (q, q + TOP),
            )
        return self.people_rows(list(found))

    def search_is_stale(self) -> bool:
        return self._one("SELECT 1 FROM volunteer_search_dirty LIMIT 1") is not None

    def people_rows(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        rows = self._chunks(
            "SELECT v.volunteer_id, v.kind, v.display_name, v.team, v.status, v.card_version,"
            " v.izhiyuan_id, COALESCE(p.phone, ''), COALESCE(b.balance, 0),"
            " COALESCE(b.minutes_total, 0) FROM volunteers v"
            " LEFT JOIN volunteer_private p ON p.volunteer_id = v.volunteer_id"
            " LEFT JOIN balances b ON b.volunteer_id = v.volunteer_id"
            " WHERE v.volunteer_id IN ({marks})",
            ids,
        )
        by_id = {r[0]: dict(zip(_PEOPLE_KEYS, r, strict=True)) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def card_versions(self, volunteer_id: str) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT cv.version, cv.issued_at, COALESCE(r.reason, '') FROM card_versions cv"
            " LEFT JOIN card_reissues r ON r.volunteer_id = cv.volunteer_id"
            " AND r.version = cv.version WHERE cv.volunteer_id = ? ORDER BY cv.version DESC",
            (volunteer_id,),
        )
        return [{"version": v, "issued_at": at, "reason": why} for v, at, why in rows]

    def volunteer_redemptions(self, volunteer_id: str) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT r.redemption_id, r.site_id, r.item_id, r.cost, r.status, j.posted_at"
            " FROM redemptions r LEFT JOIN journal j ON j.entry_id = r.entry_id"
            " WHERE r.volunteer_id = ? ORDER BY j.posted_at DESC",
            (volunteer_id,),
        )
        keys = ("redemption_id", "site_id", "item_id", "cost", "status", "at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def journal_entries(self, entry_ids: list[int]) -> list[dict[str, Any]]:
        rows = self._chunks(
            "SELECT entry_id, event_id, debit, credit, amount, memo, ref, reverses, posted_at"
            " FROM journal WHERE entry_id IN ({marks})",
            entry_ids,
        )
        rows.sort(key=lambda r: r[0], reverse=True)
        return [dict(zip(_JOURNAL_KEYS, r, strict=True)) for r in rows]

    def _exception_sites(self, site_ids: list[str]) -> tuple[str, list[str]]:
        marks = _marks(len(site_ids))
        return (
            f"(e.site_id IN ({marks}) OR e.kiosk_id IN"
            f" (SELECT kiosk_id FROM kiosks WHERE site_id IN ({marks})))",
            list(site_ids) * 2,
        )

    def exception_list(
        self, kind: str | None, site_ids: list[str] | None, open_only: bool, limit: int = 200
    ) -> list[dict[str, Any]]:
        sql = [
            "SELECT e.exception_id, e.kind, e.ref, e.volunteer_id, e.site_id, e.kiosk_id,"
            " e.event_id, e.detail, e.created_at, r.action, r.reason, r.actor, r.at"
            " FROM exceptions e LEFT JOIN exception_resolutions r"
            " ON r.exception_id = e.exception_id WHERE 1 = 1"
        ]
        args: list[Any] = []
        if kind:
            sql.append("AND e.kind = ?")
            args.append(kind)
        if site_ids is not None:
            if not site_ids:
                return []
            cond, more = self._exception_sites(site_ids)
            sql.append("AND " + cond)
            args += more
        if open_only:
            sql.append("AND r.exception_id IS NULL")
        sql.append("ORDER BY e.exception_id DESC LIMIT ?")
        keys = (
            *_EXCEPTION_KEYS,
            "resolution",
            "resolution_reason",
            "resolved_by",
            "resolved_at",
        )
        out = []
        for r in self._all(" ".join(sql), (*args, limit)):
            d = dict(zip(keys, r, strict=True))
            d["exception_id"] = int(d["exception_id"])
            d["detail"] = json.loads(d["detail"])
            out.append(d)
        return out

    def exception_counts(self, site_ids: list[str] | None) -> dict[str, int]:
        """Open exceptions by kind."""
        sql = (
            "SELECT e.kind, COUNT(*) FROM exceptions e LEFT JOIN exception_resolutions r"
            " ON r.exception_id = e.exception_id WHERE r.exception_id IS NULL"
        )
        args: list[Any] = []
        if site_ids is not None:
            if not site_ids:
                return {}
            cond, args = self._exception_sites(site_ids)
            sql += " AND " + cond
        return {k: int(n) for k, n in self._all(sql + " GROUP BY e.kind", args)}

    def exception_row(self, exception_id: int) -> dict[str, Any] | None:
        row = self._one(
            "SELECT e.exception_id, e.kind, e.ref, e.volunteer_id, e.site_id, e.kiosk_id,"
            " e.event_id, e.detail, e.created_at, r.action, k.site_id FROM exceptions e"
            " LEFT JOIN exception_resolutions r ON r.exception_id = e.exception_id"
            " LEFT JOIN kiosks k ON k.kiosk_id = e.kiosk_id WHERE e.exception_id = ?",
            (exception_id,),
        )
        if row is None:
            return None
        d = dict(zip((*_EXCEPTION_KEYS, "resolution", "kiosk_site_id"), row, strict=True))
        d["exception_id"] = int(d["exception_id"])
        d["detail"] = json.loads(d["detail"])
        return d

    def session_totals(self, lo_ms: int, hi_ms: int, site_ids: list[str] | None) -> dict:
        """Credited minutes, points and sessions begun in [lo_ms, hi_ms) (closed or not)."""
        hint, cond, args = self._day_range("", lo_ms, hi_ms)
        where, sargs = self._sites("site_id", site_ids)
        minutes, points, n = self._one(
            "SELECT COALESCE(SUM(credited_minutes), 0), COALESCE(SUM(points), 0), COUNT(*)"
            f" FROM sessions{hint} WHERE {cond} AND status != 'cancelled'{where}",
            (*args, *sargs),
        )
        return {"minutes": _int(minutes), "points": _int(points), "sessions": _int(n)}

    def session_totals_by(
        self, lo_ms: int, hi_ms: int, site_ids: list[str] | None, by: str
    ) -> list[tuple[str, dict]]:
        """The same totals per team or per activity, largest first."""
        key = "COALESCE(v.team, '')" if by == "team" else "s.activity_id"
        hint, cond, args = self._day_range("s.", lo_ms, hi_ms)
        where, sargs = self._sites("s.site_id", site_ids)
        rows = self._all(
            f"SELECT {key}, SUM(s.credited_minutes), SUM(s.points), COUNT(*)"
            f" FROM sessions s{hint} LEFT JOIN volunteers v ON v.volunteer_id = s.volunteer_id"
            f" WHERE {cond} AND s.status != 'cancelled'{where} GROUP BY 1 ORDER BY 2 DESC",
            (*args, *sargs),
        )
        return [
            (k, {"minutes": _int(m), "points": _int(p), "sessions": _int(n)}) for k, m, p, n in rows
        ]

    def event_payload(self, event_id: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT type, payload, actor, kiosk_id FROM events WHERE id = ?", (event_id,)
        )
        if row is None:
            return None
        return {"type": row[0], "payload": json.loads(row[1]), "actor": row[2], "kiosk_id": row[3]}

    def redemption_row(self, redemption_id: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT redemption_id, volunteer_id, site_id, item_id, cost, status FROM redemptions"
            " WHERE redemption_id = ?",
            (redemption_id,),
        )
        keys = ("redemption_id", "volunteer_id", "site_id", "item_id", "cost", "status")
        return dict(zip(keys, row, strict=True)) if row else None

    def staff_people(self) -> list[dict[str, Any]]:
        """Everyone with a staff card, whether their kiosk PIN is set for the current card."""
        from kiosk.core.pins import parse_hash

        rows = self._all(
            "SELECT v.volunteer_id, v.display_name, v.status, v.card_version, p.pin_hash"
            " FROM volunteers v LEFT JOIN staff_pins p ON p.staff_id = v.volunteer_id"
            " WHERE v.kind = 'S' ORDER BY v.volunteer_id"
        )
        out = []
        for vid, name, status, version, pin_hash in rows:
            parsed = parse_hash(pin_hash) if pin_hash else None
            out.append(
                {
                    "volunteer_id": vid,
                    "name": name,
                    "status": status,
                    "card_version": version,
                    "has_pin": bool(pin_hash),
                    "pin_current": parsed is not None and parsed.card_version == version,
                }
            )
        return out

    def sites(self) -> dict[str, dict[str, Any]]:
        return {k: json.loads(d) for k, d in self._all("SELECT site_id, data FROM sites")}

    def stock_history(self, site_ids: list[str] | None, limit: int = 100) -> list[dict]:
        where, args = self._sites("site_id", site_ids)
        keys = ("site_id", "item_id", "qty_before", "qty_after", "note", "at")
        rows = self._all(
            "SELECT site_id, item_id, qty_before, qty_after, note, set_at FROM stock_settings"
            f" WHERE 1 = 1{where} ORDER BY setting_id DESC LIMIT ?",
            (*args, limit),
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]


# A contact time never goes back: pulls are written late, by each API process's own thread.
_LATEST = (
    "reported_at = CASE WHEN excluded.reported_at > kiosk_reports.reported_at"
    " THEN excluded.reported_at ELSE kiosk_reports.reported_at END"
)


class ConsoleSQLWrite(ConsoleSQL):
    """The write side: the same reads, inside the write transaction, and the changes."""

    def put_kiosk_report(self, kiosk_id: str, at: str, report: dict[str, Any] | None) -> None:
        if report is None:
            self._all(
                "INSERT INTO kiosk_reports (kiosk_id, reported_at) VALUES (?, ?)"
                f" ON CONFLICT (kiosk_id) DO UPDATE SET {_LATEST}",
                (kiosk_id, at),
            )
            return
        self._all(
            "INSERT INTO kiosk_reports (kiosk_id, reported_at, pending, oldest_pending_s,"
            " clock_offset_ms, software, reported_status_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            f" ON CONFLICT (kiosk_id) DO UPDATE SET {_LATEST},"
            " pending = excluded.pending, oldest_pending_s = excluded.oldest_pending_s,"
            " clock_offset_ms = excluded.clock_offset_ms, software = excluded.software,"
            " reported_status_at = excluded.reported_status_at",
            (
                kiosk_id,
                at,
                report["pending"],
                report.get("oldest_pending_s"),
                report.get("clock_offset_ms"),
                report.get("software") or "",
                at,
            ),
        )

    def add_account(
        self,
        name: str,
        name_key: str,
        display_name: str,
        role: str,
        sites: list[str],
        password_hash: str,
        staff_id: str | None,
        at: str,
    ) -> int:
        (account_id,) = self._one(
            "INSERT INTO staff_accounts (name, name_key, display_name, role, password_hash,"
            " staff_id, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING account_id",
            (name, name_key, display_name, role, password_hash, staff_id, at, at),
        )
        self._put_sites(int(account_id), sites)
        return int(account_id)

    def _put_sites(self, account_id: int, sites: list[str]) -> None:
        self._all("DELETE FROM staff_account_sites WHERE account_id = ?", (account_id,))
        rows = [(account_id, s) for s in sorted(set(sites))]
        if rows:
            self._many("INSERT INTO staff_account_sites (account_id, site_id) VALUES (?, ?)", rows)

    def update_account(
        self,
        account_id: int,
        *,
        display_name: str,
        role: str,
        sites: list[str],
        active: bool,
        staff_id: str | None,
    ) -> None:
        self._all(
            "UPDATE staff_accounts SET display_name = ?, role = ?, active = ?, staff_id = ?"
            " WHERE account_id = ?",
            (display_name, role, int(active), staff_id, account_id),
        )
        self._put_sites(account_id, sites)

    def set_password_hash(self, account_id: int, password_hash: str, at: str) -> None:
        self._all(
            "UPDATE staff_accounts SET password_hash = ?, password_changed_at = ?"
            " WHERE account_id = ?",
            (password_hash, at, account_id),
        )

    def add_session(
        self, token_hash: str, account_id: int, csrf: str, at: str, expires_at: str
    ) -> None:
        self._all(
            "INSERT INTO console_sessions (token_hash, account_id, csrf_token, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (token_hash, account_id, csrf, at, expires_at),
        )

    def end_session(self, token_hash: str, at: str) -> None:
        self._all(
            "UPDATE console_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
            (at, token_hash),
        )

    def end_sessions_of(self, account_id: int, at: str, keep: str | None = None) -> int:
        rows = self._all(
            "UPDATE console_sessions SET ended_at = ? WHERE account_id = ? AND ended_at IS NULL"
            " AND token_hash != ? RETURNING token_hash",
            (at, account_id, keep or ""),
        )
        return len(rows)

    def login_failed(self, name_key: str, at: str) -> int:
        (n,) = self._one(
            "INSERT INTO login_failures (name_key, failures, last_at) VALUES (?, 1, ?)"
            " ON CONFLICT (name_key) DO UPDATE SET failures = login_failures.failures + 1,"
            " last_at = excluded.last_at RETURNING failures",
            (name_key, at),
        )
        return int(n)

    def login_succeeded(self, name_key: str) -> None:
        self._all("DELETE FROM login_failures WHERE name_key = ?", (name_key,))

    def audit(
        self,
        at: str,
        actor: str,
        action: str,
        target: str = "",
        site_id: str | None = None,
        before: Any = None,
        after: Any = None,
    ) -> int:
        def dump(v: Any) -> str | None:
            if v is None:
                return None
            return json.dumps(mask(v), ensure_ascii=False, sort_keys=True, default=str)

        (audit_id,) = self._one(
            "INSERT INTO audit_log (at, actor, action, target, site_id, before, after)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING audit_id",
            (at, actor, action, target, site_id, dump(before), dump(after)),
        )
        return int(audit_id)

    def console_kiosk(self, site_id: str, at: str) -> tuple[str, int]:
        from sync.ledger.security import digest

        kiosk_id = f"CONSOLE-{site_id}"[:64]
        row = self._one("SELECT acked_seq FROM kiosks WHERE kiosk_id = ?", (kiosk_id,))
        if row is not None:
            return kiosk_id, int(row[0])
        self._all(
            "INSERT INTO kiosks (kiosk_id, name, site_id, token_hash, enrolled_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (kiosk_id, "管理台 console", site_id, digest(secrets.token_urlsafe(32)), at),
        )
        return kiosk_id, 0

    def resolve_exception(
        self, exception_id: int, action: str, reason: str, actor: str, at: str, detail: dict
    ) -> None:
        self._all(
            "INSERT INTO exception_resolutions (exception_id, action, reason, actor, at, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (exception_id, action, reason, actor, at, json.dumps(detail, ensure_ascii=False)),
        )

    def sync_search(self) -> int:
        from sync.ledger.staff.pinyin import initials

        rows = self._all(
            "SELECT d.volunteer_id, v.display_name FROM volunteer_search_dirty d"
            " LEFT JOIN volunteers v ON v.volunteer_id = d.volunteer_id"
        )
        if not rows:
            return 0
        found = [(vid, name, initials(name)) for vid, name in rows if name is not None]
        self._many(
            "DELETE FROM volunteer_name_parts WHERE volunteer_id = ?", [(r[0],) for r in rows]
        )
        if found:
            self._many(
                "INSERT INTO volunteer_search (volunteer_id, name, initials) VALUES (?, ?, ?)"
                " ON CONFLICT (volunteer_id) DO UPDATE SET name = excluded.name,"
                " initials = excluded.initials",
                found,
            )
            parts = {(name[i:], vid) for vid, name, _ in found for i in range(1, len(name))}
            self._many(
                "INSERT INTO volunteer_name_parts (part, volunteer_id) VALUES (?, ?)",
                sorted(parts),
            )
        gone = [(vid,) for vid, name in rows if name is None]
        if gone:
            self._many("DELETE FROM volunteer_search WHERE volunteer_id = ?", gone)
        self._many(
            "DELETE FROM volunteer_search_dirty WHERE volunteer_id = ?", [(r[0],) for r in rows]
        )
        return len(rows)
