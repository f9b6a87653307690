"""Ingest on SQLite: the rows ``db/ingest.py`` reads and writes, the change-feed rows, and
reference data loading. Called inside the writer's transaction."""

from __future__ import annotations

import json
import sqlite3
from operator import itemgetter

from sync.ledger.db.ingest import (
    OPENING,
    REDEMPTION_COLS,
    SESSION_COLS,
    Batch,
    Dirty,
    activity_feed,
    stored_activity,
    vol,
)
from sync.ledger.rules.trust import PersonFacts
from sync.ledger.wirejson import dumps_sorted, dumps_sorted_plain, plain

_session_row = itemgetter(*SESSION_COLS)  # a row dict -> its values in column order
_redemption_row = itemgetter(*REDEMPTION_COLS)
_SESSIONS = f"SELECT {', '.join(SESSION_COLS)} FROM sessions WHERE session_id IN ({{}})"
_REDEMPTIONS = f"SELECT {', '.join(REDEMPTION_COLS)} FROM redemptions WHERE redemption_id IN ({{}})"


LONG_SESSION_MS = 86_400_000  # as in the partial index sessions_long (schema migration 4)
DAY_MS = 86_400_000  # as in the index sessions_by_day
MAX_DAYS_SEEKED = 14  # a longer span reads the index range between its days instead
_NO_END = 9223372036854775807
# Sessions of ?1 at kiosks other than ?2, except ?3, overlapping [?5, ?4). A closed session no
# longer than a day that ends after ?5 began after ?5 minus a day: the first part finds those
# through sessions_by_day, one seek per day; the second, through sessions_long, the open and
# longer ones. Neither reads the volunteer's older history, however long it is.
_OVERLAP_TAIL = f"""
       AND t_in_ms > ?5 - {LONG_SESSION_MS} AND t_in_ms < ?4
       AND kiosk_id != ?2 AND session_id != ?3 AND COALESCE(t_out_ms, {_NO_END}) > ?5
    UNION
    SELECT session_id, kiosk_id, t_in_ms FROM sessions INDEXED BY sessions_long
     WHERE volunteer_id = ?1 AND (t_out_ms IS NULL OR t_out_ms - t_in_ms > {LONG_SESSION_MS})
       AND t_in_ms < ?4 AND kiosk_id != ?2 AND session_id != ?3 AND COALESCE(t_out_ms, {_NO_END}) > ?5
    ORDER BY kiosk_id, t_in_ms, session_id"""
_OVERLAP_BY_DAYS = (
    """
    SELECT session_id, kiosk_id, t_in_ms FROM sessions INDEXED BY sessions_by_day
     WHERE t_in_ms / 86400000 IN ({}) AND volunteer_id = ?1"""
    + _OVERLAP_TAIL
)
_OVERLAP_DAY_RANGE = (
    """
    SELECT session_id, kiosk_id, t_in_ms FROM sessions INDEXED BY sessions_by_day
     WHERE t_in_ms / 86400000 BETWEEN ?6 AND ?7 AND volunteer_id = ?1"""
    + _OVERLAP_TAIL
)


def _day(t_ms: int) -> int:
    """``t_ms / 86400000`` as SQLite computes it for an integer: truncated toward zero."""
    q = abs(t_ms) // DAY_MS
    return q if t_ms >= 0 else -q


def overlap_query(t_in: int, t_out: int) -> tuple[str, tuple]:
    """The statement and its extra parameters for sessions overlapping [t_in, t_out) (see
    ``_OVERLAP_TAIL`` for the first five)."""
    first, last = _day(t_in - LONG_SESSION_MS + 1), _day(max(t_out - 1, t_in - LONG_SESSION_MS + 1))
    if last - first < MAX_DAYS_SEEKED:
        return _OVERLAP_BY_DAYS.format(",".join(str(d) for d in range(first, last + 1))), ()
    return _OVERLAP_DAY_RANGE, (first, last)


def _in_chunks(
    c: sqlite3.Connection, sql: str, keys: list, first: tuple = (), last: tuple = ()
) -> list[tuple]:
    """``sql`` with ``IN ({})`` filled for each chunk of ``keys`` (under SQLite's parameter limit);
    ``first`` and ``last`` are the parameters before and after the list. The rows as one list:
    fetched whole, not yielded one by one (a batch reads a few hundred rows a statement)."""
    if len(keys) <= 900:
        return c.execute(sql.format(",".join("?" * len(keys))), (*first, *keys, *last)).fetchall()
    rows: list[tuple] = []
    for i in range(0, len(keys), 900):
        chunk = keys[i : i + 900]
        rows += c.execute(sql.format(",".join("?" * len(chunk))), (*first, *chunk, *last))
    return rows


class SQLiteBatch(Batch):
    """``Batch`` over the writer's connection, inside its ingest transaction."""

    def __init__(self, c: sqlite3.Connection, kiosk_id: str, site_id: str, at: str, dirty: Dirty):
        super().__init__(kiosk_id, site_id, at, dirty)
        self.c = c

    def _read_balances(self, volunteer_ids: list[str]) -> list[tuple[str, int, int]]:
        return _in_chunks(
            self.c,
            "SELECT volunteer_id, balance, minutes_total FROM balances WHERE volunteer_id IN ({})",
            volunteer_ids,
        )

    def _read_kiosks_of(self, volunteer_ids: list[str]) -> list[tuple[str, str]]:
        return _in_chunks(
            self.c,
            "SELECT volunteer_id, kiosk_id FROM volunteer_kiosks WHERE volunteer_id IN ({})",
            volunteer_ids,
        )

    def _read_sessions(self, session_ids: list[str]) -> list[dict]:
        return [
            dict(zip(SESSION_COLS, r, strict=True))
            for r in _in_chunks(self.c, _SESSIONS, session_ids)
        ]

    def _read_sessions_window(
        self, volunteer_ids: list[str], lo: int, hi: int, days: list[str]
    ) -> list[dict]:
        # Through sessions_by_day, a seek per day and volunteer: without the days spelled out
        # SQLite scans every session the ledger holds.
        first, last = _day(lo), _day(hi)
        if last - first < MAX_DAYS_SEEKED:
            seek = f"IN ({','.join(str(d) for d in range(first, last + 1))})"
        else:  # a batch over weeks (or a clock far off): the index's range between them
            seek = f"BETWEEN {first} AND {last}"
        return [
            dict(zip(SESSION_COLS, r, strict=True))
            for r in _in_chunks(
                self.c,
                f"SELECT {', '.join(SESSION_COLS)} FROM sessions INDEXED BY sessions_by_day"
                f" WHERE t_in_ms / 86400000 {seek} AND volunteer_id IN ({{}})"
                " AND t_in_ms BETWEEN ? AND ? AND kiosk_id = ?"
                f" AND substr(signed_in_at, 1, 10) IN ({','.join('?' * len(days))})",
                volunteer_ids,
                last=(lo, hi, self.kiosk_id, *days),
            )
        ]

    def _read_redemptions(self, redemption_ids: list[str]) -> list[dict]:
        return [
            dict(zip(REDEMPTION_COLS, r, strict=True))
            for r in _in_chunks(self.c, _REDEMPTIONS, redemption_ids)
        ]

    def _read_stock(self, key: tuple[str, str]) -> int | None:
        row = self.c.execute(
            "SELECT qty FROM stock WHERE site_id = ? AND item_id = ?", key
        ).fetchone()
        return row[0] if row else None

    def _read_overlapping(
        self, sid: str, volunteer: str, kiosk: str, t_in: int, t_out: int
    ) -> list[tuple[str, str]]:
        sql, extra = overlap_query(t_in, t_out)
        return [
            (s, k) for s, k, _ in self.c.execute(sql, (volunteer, kiosk, sid, t_out, t_in, *extra))
        ]

    def _first_entry_id(self) -> int:
        # The single writer makes max + 1 safe; it is the id SQLite itself would give.
        return self.c.execute("SELECT COALESCE(MAX(entry_id), 0) + 1 FROM journal").fetchone()[0]

    def _write(self, journal: list[tuple], balances: list[tuple], stock: list[tuple]) -> None:
        c = self.c
        if journal:
            c.executemany(
                "INSERT INTO journal (entry_id, event_id, debit, credit, amount, memo, ref, reverses,"
                " posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                journal,
            )
        if balances:
            c.executemany(
                "INSERT INTO balances (volunteer_id, balance, minutes_total) VALUES (?, ?, ?) ON CONFLICT (volunteer_id)"
                " DO UPDATE SET balance = excluded.balance, minutes_total = excluded.minutes_total",
                balances,
            )
        if stock:
            c.executemany(
                "INSERT INTO stock (site_id, item_id, qty) VALUES (?, ?, ?) ON CONFLICT (site_id, item_id)"
                " DO UPDATE SET qty = excluded.qty",
                stock,
            )

    def _write_sessions(
        self, new: list[dict], changed: list[dict], pairs: list[tuple[str, str]]
    ) -> None:
        c = self.c
        if new:
            c.executemany(
                f"INSERT INTO sessions ({', '.join(SESSION_COLS)}) VALUES ({', '.join('?' * 14)})",
                list(map(_session_row, new)),
            )
        if changed:
            c.executemany(
                "UPDATE sessions SET signed_out_at = ?, minutes = ?, credited_minutes = ?, points = ?, status = ?,"
                " entry_id = ?, t_out_ms = ? WHERE session_id = ?",
                [
                    (
                        r["signed_out_at"],
                        r["minutes"],
                        r["credited_minutes"],
                        r["points"],
                        r["status"],
                        r["entry_id"],
                        r["t_out_ms"],
                        r["session_id"],
                    )
                    for r in changed
                ],
            )
        if pairs:
            c.executemany(
                "INSERT OR IGNORE INTO volunteer_kiosks (volunteer_id, kiosk_id) VALUES (?, ?)",
                pairs,
            )

    def _write_redemptions(self, new: list[dict], cancelled: list[str]) -> None:
        if new:
            self.c.executemany(
                f"INSERT INTO redemptions ({', '.join(REDEMPTION_COLS)}) VALUES ({', '.join('?' * 9)})",
                list(map(_redemption_row, new)),
            )
        if cancelled:
            self.c.executemany(
                "UPDATE redemptions SET status = 'cancelled' WHERE redemption_id = ?",
                [(r,) for r in cancelled],
            )

    def _write_exceptions(self, rows: list[tuple]) -> None:
        self.c.executemany(
            "INSERT OR IGNORE INTO exceptions (kind, ref, volunteer_id, site_id, kiosk_id, event_id,"
            " detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def _read_people(self, ids: list[str]) -> dict[str, PersonFacts]:
        sites: dict[str, set[str]] = {}
        for staff, site in _in_chunks(
            self.c, "SELECT staff_id, site_id FROM staff_sites WHERE staff_id IN ({})", ids
        ):
            sites.setdefault(staff, set()).add(site)
        return {
            vid: PersonFacts(kind, status, frozenset(sites.get(vid, ())))
            for vid, kind, status in _in_chunks(
                self.c,
                "SELECT volunteer_id, kind, status FROM volunteers WHERE volunteer_id IN ({})",
                ids,
            )
        }

    def _read_activities(self, ids: list[str]) -> dict[str, dict]:
        return {
            a: json.loads(d)
            for a, d in _in_chunks(
                self.c, "SELECT activity_id, data FROM activities WHERE activity_id IN ({})", ids
            )
        }

    def _read_items(self, ids: list[str]) -> dict[str, dict]:
        return {
            i: json.loads(d)
            for i, d in _in_chunks(
                self.c, "SELECT item_id, data FROM catalog WHERE item_id IN ({})", ids
            )
        }

    def _write_catalog_item(self, item_id: str, data: dict) -> None:
        self.c.execute(
            "INSERT OR REPLACE INTO catalog (item_id, data) VALUES (?, ?)",
            (item_id, dumps_sorted(data)),
        )
        emit(self.c, "catalog_item", item_id, data)

    def person_kind(self, volunteer_id: str) -> str | None:
        row = self.c.execute(
            "SELECT kind FROM volunteers WHERE volunteer_id = ?", (volunteer_id,)
        ).fetchone()
        return row[0] if row else None

    def signups(self, activity_id: str) -> list[tuple[str, str]]:
        return signup_rows(self.c, activity_id)

    def put_signup(
        self, activity_id: str, volunteer_id: str, status: str, over_capacity: bool, event_id: str
    ) -> None:
        self.c.execute(
            "INSERT INTO signups (activity_id, volunteer_id, status, ord, kiosk_id, event_id,"
            " over_capacity, signed_up_at, changed_at) VALUES (?, ?, ?,"
            " (SELECT COALESCE(MAX(ord), 0) + 1 FROM signups), ?, ?, ?, ?, ?)"
            " ON CONFLICT (activity_id, volunteer_id) DO UPDATE SET status = excluded.status,"
            " ord = excluded.ord, kiosk_id = excluded.kiosk_id, event_id = excluded.event_id,"
            " over_capacity = excluded.over_capacity, signed_up_at = excluded.signed_up_at,"
            " changed_at = excluded.changed_at",
            (activity_id, volunteer_id, status, self.kiosk_id, event_id, int(over_capacity),
             self.at, self.at),
        )  # fmt: skip

    def set_signup_status(self, activity_id: str, volunteer_ids: list[str], status: str) -> None:
        self.c.executemany(
            "UPDATE signups SET status = ?, changed_at = ? WHERE activity_id = ? AND volunteer_id = ?",
            [(status, self.at, activity_id, v) for v in volunteer_ids],
        )

    def mark_corrected(self, session_id: str) -> None:
        self.c.execute(
            "INSERT OR IGNORE INTO corrected_sessions (session_id) VALUES (?)", (session_id,)
        )


def signup_rows(c: sqlite3.Connection, activity_id: str) -> list[tuple[str, str]]:
    return c.execute(
        "SELECT volunteer_id, status FROM signups WHERE activity_id = ? AND status != 'withdrawn'"
        " ORDER BY ord",
        (activity_id,),
    ).fetchall()


def emit_activities(
    c: sqlite3.Connection, activity_ids: set[str], as_of: dict | None = None
) -> None:
    """The activities' feed rows with their sign-up lists as the ledger holds them."""
    if as_of is None:
        as_of = dict(c.execute("SELECT kiosk_id, acked_seq FROM kiosks"))
    for activity_id in sorted(activity_ids):
        row = c.execute(
            "SELECT data FROM activities WHERE activity_id = ?", (activity_id,)
        ).fetchone()
        if row is not None:
            data = activity_feed(json.loads(row[0]), signup_rows(c, activity_id), as_of)
            emit(c, "activity", activity_id, data)


class SQLiteIngestTx:
    """``IngestTx`` over the writer's connection (one ``BEGIN IMMEDIATE`` transaction)."""

    def __init__(self, c: sqlite3.Connection):
        self.c = c

    def kiosk(self, kiosk_id: str) -> tuple[int, str]:
        # The writer's transaction (BEGIN IMMEDIATE) already excludes every other batch.
        acked, site = self.c.execute(
            "SELECT acked_seq, site_id FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)
        ).fetchone()
        return acked, site

    def held(self, kiosk_id: str, lo: int, hi: int) -> dict[int, tuple[str, str, str]]:
        held = {
            s: (i, d, st)
            for s, i, d, st in self.c.execute(
                "SELECT seq, id, digest, status FROM events WHERE kiosk_id = ? AND seq BETWEEN ? AND ?",
                (kiosk_id, lo, hi),
            )
        }
        for s, i, d in self.c.execute(
            "SELECT seq, id, digest FROM conflicts WHERE kiosk_id = ? AND seq BETWEEN ? AND ?",
            (kiosk_id, lo, hi),
        ):
            held[s] = (i, d, "conflict")
        return held

    def known_ids(self, ids: list[str]) -> set[str]:
        return {r[0] for r in _in_chunks(self.c, "SELECT id FROM events WHERE id IN ({})", ids)}

    def batch(self, kiosk_id: str, site_id: str, at: str, dirty: Dirty) -> Batch:
        return SQLiteBatch(self.c, kiosk_id, site_id, at, dirty)

    def add_events(self, rows: list[tuple]) -> None:
        self.c.executemany(
            "INSERT INTO events (kiosk_id, seq, id, type, occurred_at, clock_offset_ms, actor, payload,"
            " received_at, status, reason, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def add_conflict(
        self, kiosk_id: str, seq: int, event_id: str, body: str, digest: str, at: str
    ) -> None:
        self.c.execute(
            "INSERT INTO conflicts (kiosk_id, seq, id, body, digest, received_at) VALUES (?, ?, ?, ?, ?, ?)",
            (kiosk_id, seq, event_id, body, digest, at),
        )

    def set_acked(self, kiosk_id: str, acked: int) -> None:
        self.c.execute("UPDATE kiosks SET acked_seq = ? WHERE kiosk_id = ?", (acked, kiosk_id))

    def emit_dirty(self, dirty: Dirty, batch: Batch) -> None:
        emit_dirty(self.c, dirty, batch)


def everything(c: sqlite3.Connection) -> Dirty:
    """Every balance and stock level, as dirty (after loading reference data)."""
    return Dirty(
        set(r[0] for r in c.execute("SELECT volunteer_id FROM balances")),
        set(c.execute("SELECT site_id, item_id FROM stock")),
    )


def post(
    c: sqlite3.Connection,
    debit: str,
    credit: str,
    amount: int,
    memo: str,
    at: str,
    *,
    event_id: str | None = None,
    ref: str | None = None,
    reverses: int | None = None,
    minutes: int = 0,
) -> tuple[int | None, int | None]:
    """Move ``amount`` points from ``debit`` to ``credit``; keeps the balances projection in step.
    Returns (journal entry id, the volunteer's new balance if one side is a volunteer)."""
    entry = None
    if amount < 0:
        debit, credit, amount = credit, debit, -amount
    if amount:
        entry = c.execute(
            "INSERT INTO journal (event_id, debit, credit, amount, memo, ref, reverses, posted_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (event_id, debit, credit, amount, memo, ref, reverses, at),
        ).lastrowid
    balance = None
    for account, delta in ((credit, amount), (debit, -amount)):
        if account.startswith("volunteer:") and (delta or minutes):
            balance = _add_balance(c, account[10:], delta, minutes)
    return entry, balance


def _add_balance(c: sqlite3.Connection, volunteer_id: str, points: int, minutes: int) -> int:
    return c.execute(
        "INSERT INTO balances (volunteer_id, balance, minutes_total) VALUES (?, ?, ?) ON CONFLICT (volunteer_id)"
        " DO UPDATE SET balance = balance + excluded.balance, minutes_total = minutes_total + excluded.minutes_total"
        " RETURNING balance",
        (volunteer_id, points, minutes),
    ).fetchone()[0]


def emit(c: sqlite3.Connection, kind: str, key: str, data: dict, deleted: bool = False) -> None:
    # REPLACE deletes the old row and takes a fresh cursor: each key appears once, at its latest.
    c.execute(
        "INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES (?, ?, ?, ?)",
        (kind, key, dumps_sorted(data), int(deleted)),
    )


def emit_dirty(c: sqlite3.Connection, dirty: Dirty, batch: Batch | None = None) -> None:
    """Balances and stock with ``as_of``: each kiosk's highest seq the figure already includes.
    With the (flushed) ``batch`` of this transaction, the balances it holds are not read again."""
    as_of = dict(c.execute("SELECT kiosk_id, acked_seq FROM kiosks"))
    rows = []
    vids = sorted(dirty.volunteers)
    found: dict[str, tuple[int, int]] = {}
    unread = vids
    if batch is not None:
        held = batch.held_balances()
        unread = []
        for vid in vids:
            figures = held.get(vid)
            if figures is None:
                unread.append(vid)
            elif figures:
                found[vid] = (figures[0], figures[1])
    for i in range(0, len(unread), 900):
        chunk = unread[i : i + 900]
        found.update(
            (v, (b, m))
            for v, b, m in c.execute(
                f"SELECT volunteer_id, balance, minutes_total FROM balances WHERE volunteer_id IN"
                f" ({','.join('?' * len(chunk))})",
                chunk,
            )
        )
    as_of_plain = plain(as_of)  # the same for every row: checked once
    for vid in vids:
        balance, minutes = found.get(vid, (0, 0))
        data = {"volunteer_id": vid, "balance": balance, "minutes_total": minutes, "as_of": as_of}
        rows.append(
            (
                "balance",
                vid,
                dumps_sorted_plain(data)
                if as_of_plain
                and type(vid) is str
                and type(balance) is int
                and type(minutes) is int
                else dumps_sorted(data),
            )
        )
    levels = (
        {(s, i): q for s, i, q in c.execute("SELECT site_id, item_id, qty FROM stock")}
        if dirty.stock
        else {}
    )
    for site_id, item_id in sorted(dirty.stock):
        rows.append(
            (
                "stock",
                f"{site_id}/{item_id}",
                dumps_sorted(
                    {
                        "site_id": site_id,
                        "item_id": item_id,
                        "qty": levels.get((site_id, item_id), 0),
                        "as_of": as_of,
                    }
                ),
            )
        )
    for item_id, data in _in_chunks(
        c, "SELECT item_id, data FROM catalog WHERE item_id IN ({})", sorted(dirty.catalog)
    ):
        rows.append(("catalog_item", item_id, data))
    c.executemany(
        "INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES (?, ?, ?, 0)", rows
    )
    if dirty.activities:
        emit_activities(c, dirty.activities, as_of)


# -- reference data ---------------------------------------------------------------------


def load_one(c: sqlite3.Connection, kind: str, key: str, data: dict, at: str) -> None:
    if kind == "site":
        c.execute(
            "INSERT OR REPLACE INTO sites (site_id, data) VALUES (?, ?)", (key, dumps_sorted(data))
        )
        emit(c, "site", key, data)
    elif kind == "volunteer":
        version = int(data.get("card_version", 1))
        c.execute(
            "INSERT OR REPLACE INTO volunteers (volunteer_id, kind, display_name, team, status, card_version,"
            " izhiyuan_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                data.get("kind", "V"),
                data.get("display_name", ""),
                data.get("team", ""),
                data.get("status", "active"),
                version,
                data.get("izhiyuan_id"),
            ),
        )
        c.execute(
            "INSERT OR IGNORE INTO card_versions (volunteer_id, version, issued_at) VALUES (?, ?, ?)",
            (key, version, at),
        )
        if data.get("kind") == "S" and isinstance(data.get("sites"), list):
            # Where this staff member may act from a kiosk (none listed: every site).
            c.execute("DELETE FROM staff_sites WHERE staff_id = ?", (key,))
            c.executemany(
                "INSERT INTO staff_sites (staff_id, site_id) VALUES (?, ?)",
                [(key, str(s)) for s in data["sites"]],
            )
        # Only what a kiosk needs: no phone numbers or platform ids leave the ledger.
        emit(
            c,
            "volunteer",
            key,
            {
                k: data.get(k, d)
                for k, d in (
                    ("volunteer_id", key),
                    ("kind", "V"),
                    ("display_name", ""),
                    ("team", ""),
                    ("status", "active"),
                    ("card_version", version),
                )
            },
        )
    elif kind == "staff_pin":
        c.execute(
            "INSERT OR REPLACE INTO staff_pins (staff_id, pin_hash) VALUES (?, ?)",
            (key, data["pin_hash"]),
        )
        emit(c, "staff_pin", key, {"staff_id": key, "pin_hash": data["pin_hash"]})
    elif kind == "activity":
        c.execute(
            "INSERT OR REPLACE INTO activities (activity_id, site_id, data) VALUES (?, ?, ?)",
            (key, data["site_id"], dumps_sorted(stored_activity(data))),
        )
        # Staff's own list (an import, the console) holds places like a kiosk's sign-up; it
        # adds people the ledger has no sign-up of, and never undoes a withdrawal made since.
        c.executemany(
            "INSERT INTO signups (activity_id, volunteer_id, status, ord, signed_up_at, changed_at)"
            " VALUES (?, ?, 'confirmed', (SELECT COALESCE(MAX(ord), 0) + 1 FROM signups), ?, ?)"
            " ON CONFLICT (activity_id, volunteer_id) DO NOTHING",
            [(key, str(vid), at, at) for vid in data.get("signup") or []],
        )
        emit_activities(c, {key})
    elif kind == "catalog_item":
        c.execute(
            "INSERT OR REPLACE INTO catalog (item_id, data) VALUES (?, ?)",
            (key, dumps_sorted(data)),
        )
        emit(c, "catalog_item", key, data)
    elif kind == "stock":
        c.execute(
            "INSERT OR IGNORE INTO stock (site_id, item_id, qty) VALUES (?, ?, ?)",
            (data["site_id"], data["item_id"], int(data["qty"])),
        )
    elif kind == "balance":
        # Every points movement of a volunteer keeps a balances row, so no row: nothing happened yet.
        if c.execute("SELECT 1 FROM balances WHERE volunteer_id = ?", (key,)).fetchone():
            return
        post(
            c, OPENING, vol(key), int(data["balance"]), "opening balance", at, ref=f"opening:{key}"
        )
        _add_balance(
            c, key, 0, int(data.get("minutes_total", 0))
        )  # also creates the row for a zero balance
    elif kind == "setting":
        emit(c, "setting", key, data)
    else:
        raise ValueError(f"unknown reference kind {kind!r}")
