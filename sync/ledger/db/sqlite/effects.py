"""What one accepted event does to the ledger's projections, and the change-feed rows
that tell kiosks about it. Called inside the ingest transaction.

Each handler checks first and writes after, so a rejection leaves nothing behind.
Points move only through ``post``: one journal row is one debit and one credit.

Ingest applies a whole batch through one ``Batch``: the rows an event reads are read once
for the batch, changes are kept in memory and written at ``Batch.flush`` (once per touched
balance, stock level, session and redemption; journal entries and exceptions with
``executemany``). The result is the same database, row for row, as one statement per change.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sync.ledger.rules.validate import occurred_ms, text_ok
from sync.ledger.wirejson import dumps_sorted, dumps_sorted_plain, plain

ISSUED = "community:issued"  # points earned by volunteering come from here
REDEEMED = "community:redeemed"  # points spent on rewards go here
ADJUSTMENTS = "community:adjustments"
OPENING = "community:opening"


def _dumps(obj: Any) -> str:
    return dumps_sorted(
        obj
    )  # json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def vol(volunteer_id: str) -> str:
    return f"volunteer:{volunteer_id}"


def _key(v: Any) -> bool:
    """Could be the id of a volunteer, site or item (what a malformed event holds may not be)."""
    return type(v) is str and 0 < len(v) <= 64 and text_ok(v)


@dataclass
class Dirty:
    """Keys whose figures changed in this transaction: their feed rows are rewritten once."""

    volunteers: set[str] = field(default_factory=set)
    stock: set[tuple[str, str]] = field(default_factory=set)

    def touch_event(self, ev: dict) -> None:
        """A rejected event may still have moved figures at its kiosk: re-send the ledger's
        figures with a newer ``as_of`` so the kiosk drops its own version."""
        actor, p = ev.get("actor"), ev.get("payload")
        if _key(actor):
            self.volunteers.add(actor)
        if type(p) is dict:
            if _key(p.get("volunteer_id")):
                self.volunteers.add(p["volunteer_id"])
            if _key(p.get("site_id")) and _key(p.get("item_id")):
                self.stock.add((p["site_id"], p["item_id"]))

    @classmethod
    def everything(cls, c: sqlite3.Connection) -> Dirty:
        return cls(
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


_SESSION_COLS = (
    "session_id",
    "volunteer_id",
    "kiosk_id",
    "site_id",
    "activity_id",
    "signed_in_at",
    "signed_out_at",
    "minutes",
    "credited_minutes",
    "points",
    "status",
    "entry_id",
    "t_in_ms",
    "t_out_ms",
)
_REDEMPTION_COLS = (
    "redemption_id",
    "volunteer_id",
    "kiosk_id",
    "site_id",
    "item_id",
    "cost",
    "stocked",
    "status",
    "entry_id",
)


_session_row = itemgetter(*_SESSION_COLS)  # a row dict -> its values in column order
_redemption_row = itemgetter(*_REDEMPTION_COLS)


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


def _null(v: Any) -> bool:
    """What SQLite stores as NULL (it binds a float NaN as NULL too)."""
    return v is None or (type(v) is float and v != v)


def _in_chunks(c: sqlite3.Connection, sql: str, keys: list, first: tuple = ()) -> Iterator[tuple]:
    """``sql`` with ``IN ({})`` filled for each chunk of ``keys`` (under SQLite's parameter limit);
    ``first`` are the parameters before the list."""
    for i in range(0, len(keys), 900):
        chunk = keys[i : i + 900]
        yield from c.execute(sql.format(",".join("?" * len(chunk))), (*first, *chunk))


class Batch:
    """One ingest transaction's working set. Effects go to the same tables as one statement per
    change would, but balances, stock, sessions and redemptions are read once, changed in
    memory, and written once per touched row at ``flush``; journal entries (with ids assigned
    here, as SQLite would: max + 1) and exceptions are inserted with ``executemany`` in the
    order they were made. The database after ``flush`` is the same, row for row and id for id,
    as applying each event with its own statements.

    Nothing else may write these tables in the transaction until ``flush``.
    """

    def __init__(self, c: sqlite3.Connection, kiosk_id: str, at: str, dirty: Dirty):
        self.c, self.kiosk_id, self.at, self.dirty = c, kiosk_id, at, dirty
        self._balances: dict[
            str, list[int]
        ] = {}  # volunteer -> [balance, minutes_total]; [] if no row yet
        self._balance_writes: dict[
            str, None
        ] = {}  # in first-write order, so new rows get the same rowids
        self._stock: dict[tuple[str, str], int | None] = {}
        self._stock_writes: dict[tuple[str, str], None] = {}
        self._journal: list[tuple] = []
        self._next_entry: int | None = None
        self._exceptions: list[tuple] = []
        self._sessions: dict[str, dict | None] = {}  # None: known not to exist
        self._new_sessions: dict[str, dict] = {}
        self._changed_sessions: dict[str, dict] = {}
        self._pending_session_keys: dict[
            str, set[str]
        ] = {}  # volunteer -> kiosks of unwritten sessions
        self._redemptions: dict[str, dict | None] = {}
        self._new_redemptions: dict[str, dict] = {}
        self._cancelled: dict[str, None] = {}
        # Volunteers with no session at any kiosk but this batch's when the batch began: this
        # transaction only adds sessions at this kiosk, so theirs cannot overlap another kiosk's.
        self._one_kiosk: set[str] = set()
        self._kiosks_of: dict[
            str, set[str]
        ] = {}  # volunteer -> kiosks in volunteer_kiosks (prefetched)
        self._new_pairs: dict[tuple[str, str], None] = {}  # (volunteer, kiosk) for volunteer_kiosks

    # -- reading ahead ---------------------------------------------------------------------

    def prefetch(self, events: list[dict]) -> None:
        """Read what these events will look at, a few statements for the whole batch."""
        vids: set[str] = set()
        sids: set[str] = set()
        rids: set[str] = set()
        for ev in events:
            actor, p = ev.get("actor"), ev.get("payload")
            if type(actor) is str and text_ok(actor):
                vids.add(actor)
            if type(p) is dict:
                v = p.get("volunteer_id")
                if type(v) is str and text_ok(v):
                    vids.add(v)
                v = p.get("session_id")
                if type(v) is str and text_ok(v):
                    sids.add(v)
                v = p.get("redemption_id")
                if type(v) is str and text_ok(v):
                    rids.add(v)
        unread = vids.difference(self._kiosks_of)
        for v in unread:
            self._kiosks_of[v] = set()
        for vid, kiosk in _in_chunks(
            self.c,
            "SELECT volunteer_id, kiosk_id FROM volunteer_kiosks WHERE volunteer_id IN ({})",
            sorted(unread),
        ):
            self._kiosks_of[vid].add(kiosk)
        if not self._sessions and not self._new_sessions:  # nothing of this batch applied yet
            here = {self.kiosk_id}
            self._one_kiosk.update(v for v in unread if self._kiosks_of[v] <= here)
        vids.difference_update(self._balances)
        sids.difference_update(self._sessions)
        rids.difference_update(self._redemptions)
        for v in vids:
            self._balances[v] = []
        for vid, balance, minutes in _in_chunks(
            self.c,
            "SELECT volunteer_id, balance, minutes_total FROM balances WHERE volunteer_id IN ({})",
            sorted(vids),
        ):
            self._balances[vid] = [balance, minutes]
        for s in sids:
            self._sessions[s] = None
        for row in _in_chunks(
            self.c,
            f"SELECT {', '.join(_SESSION_COLS)} FROM sessions WHERE session_id IN ({{}})",
            sorted(sids),
        ):
            self._sessions[row[0]] = dict(zip(_SESSION_COLS, row, strict=True))
        for r in rids:
            self._redemptions[r] = None
        for row in _in_chunks(
            self.c,
            f"SELECT {', '.join(_REDEMPTION_COLS)} FROM redemptions WHERE redemption_id IN ({{}})",
            sorted(rids),
        ):
            self._redemptions[row[0]] = dict(zip(_REDEMPTION_COLS, row, strict=True))

    # -- points, balances, stock ---------------------------------------------------------------

    def _balance(self, volunteer_id: str) -> list[int]:
        held = self._balances.get(volunteer_id)
        if held is None:
            row = self.c.execute(
                "SELECT balance, minutes_total FROM balances WHERE volunteer_id = ?",
                (volunteer_id,),
            ).fetchone()
            held = self._balances[volunteer_id] = list(row) if row else []
        return held

    def add_balance(self, volunteer_id: str, points: int, minutes: int) -> int:
        held = self._balance(volunteer_id)
        if not held:
            held.extend((0, 0))
        held[0] += points
        held[1] += minutes
        self._balance_writes[volunteer_id] = None
        return held[0]

    def post(
        self,
        debit: str,
        credit: str,
        amount: int,
        memo: str,
        *,
        event_id: str | None = None,
        ref: str | None = None,
        reverses: int | None = None,
        minutes: int = 0,
    ) -> tuple[int | None, int | None]:
        """As module-level ``post``, in this batch."""
        entry = None
        if amount < 0:
            debit, credit, amount = credit, debit, -amount
        if amount:
            if self._next_entry is None:
                self._next_entry = self.c.execute(
                    "SELECT COALESCE(MAX(entry_id), 0) + 1 FROM journal"
                ).fetchone()[0]
            entry = self._next_entry
            self._next_entry += 1
            self._journal.append(
                (entry, event_id, debit, credit, amount, memo, ref, reverses, self.at)
            )
        balance = None
        for account, delta in ((credit, amount), (debit, -amount)):
            if account.startswith("volunteer:") and (delta or minutes):
                balance = self.add_balance(account[10:], delta, minutes)
        return entry, balance

    def add_stock(self, site_id: str, item_id: str, delta: int) -> int:
        key = (site_id, item_id)
        if key not in self._stock:
            row = self.c.execute(
                "SELECT qty FROM stock WHERE site_id = ? AND item_id = ?", key
            ).fetchone()
            self._stock[key] = row[0] if row else None
        qty = (self._stock[key] or 0) + delta
        self._stock[key] = qty
        self._stock_writes[key] = None
        return qty

    def exception(
        self,
        kind: str,
        ref: str,
        *,
        volunteer_id: str | None = None,
        site_id: str | None = None,
        kiosk_id: str | None = None,
        event_id: str | None = None,
        detail: dict | None = None,
    ) -> None:
        self._exceptions.append(
            (kind, ref, volunteer_id, site_id, kiosk_id, event_id, _dumps(detail or {}), self.at)
        )

    # -- sessions and redemptions ----------------------------------------------------------------

    def session(self, session_id: str) -> dict | None:
        if session_id not in self._sessions:
            row = self.c.execute(
                f"SELECT {', '.join(_SESSION_COLS)} FROM sessions WHERE session_id = ?",
                (session_id,),
            ).fetchone()
            self._sessions[session_id] = dict(zip(_SESSION_COLS, row, strict=True)) if row else None
        return self._sessions[session_id]

    def new_session(self, row: dict) -> None:
        self._sessions[row["session_id"]] = self._new_sessions[row["session_id"]] = row
        volunteer, kiosk = row["volunteer_id"], row["kiosk_id"]
        self._pending_session_keys.setdefault(volunteer, set()).add(kiosk)
        known = self._kiosks_of.get(volunteer)
        if known is None or kiosk not in known:
            self._new_pairs[(volunteer, kiosk)] = None

    def changed_session(self, row: dict) -> None:
        if row["session_id"] not in self._new_sessions:
            self._changed_sessions[row["session_id"]] = row
        self._pending_session_keys.setdefault(row["volunteer_id"], set()).add(row["kiosk_id"])

    def overlapping(
        self, sid: str, volunteer: str, kiosk: str, t_in: int, t_out: int
    ) -> list[tuple]:
        """Sessions of ``volunteer`` at other kiosks than ``kiosk`` that overlap [t_in, t_out)."""
        if kiosk == self.kiosk_id and volunteer in self._one_kiosk:
            return []
        pending = self._pending_session_keys.get(volunteer)
        if pending and (len(pending) > 1 or kiosk not in pending):
            self._flush_sessions()  # the query must see them
        sql, extra = overlap_query(t_in, t_out)
        return [
            (s, k) for s, k, _ in self.c.execute(sql, (volunteer, kiosk, sid, t_out, t_in, *extra))
        ]

    def redemption(self, redemption_id: str) -> dict | None:
        if redemption_id not in self._redemptions:
            row = self.c.execute(
                f"SELECT {', '.join(_REDEMPTION_COLS)} FROM redemptions WHERE redemption_id = ?",
                (redemption_id,),
            ).fetchone()
            self._redemptions[redemption_id] = (
                dict(zip(_REDEMPTION_COLS, row, strict=True)) if row else None
            )
        return self._redemptions[redemption_id]

    def new_redemption(self, row: dict) -> None:
        self._redemptions[row["redemption_id"]] = self._new_redemptions[row["redemption_id"]] = row

    def cancel_redemption(self, row: dict) -> None:
        row["status"] = "cancelled"
        if row["redemption_id"] not in self._new_redemptions:
            self._cancelled[row["redemption_id"]] = None

    def held_balances(self) -> dict[str, list[int]]:
        """After ``flush``: volunteer -> [balance, minutes_total] as the balances table holds them
        ([] for no row), for the volunteers this batch has read."""
        assert not self._balance_writes, "flush first"
        return self._balances

    # -- writing ---------------------------------------------------------------------------

    def _flush_sessions(self) -> None:
        c = self.c
        if self._new_sessions:
            c.executemany(
                f"INSERT INTO sessions ({', '.join(_SESSION_COLS)}) VALUES ({', '.join('?' * 14)})",
                list(map(_session_row, self._new_sessions.values())),
            )
        if self._changed_sessions:
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
                    for r in self._changed_sessions.values()
                ],
            )
        if self._new_pairs:
            c.executemany(
                "INSERT OR IGNORE INTO volunteer_kiosks (volunteer_id, kiosk_id) VALUES (?, ?)",
                list(self._new_pairs),
            )
            for volunteer, kiosk in self._new_pairs:
                known = self._kiosks_of.get(volunteer)
                if known is not None:
                    known.add(kiosk)
            self._new_pairs.clear()
        self._new_sessions.clear()
        self._changed_sessions.clear()
        self._pending_session_keys.clear()

    def flush(self) -> None:
        c = self.c
        if self._journal:
            c.executemany(
                "INSERT INTO journal (entry_id, event_id, debit, credit, amount, memo, ref, reverses,"
                " posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._journal,
            )
            self._journal.clear()
            self._next_entry = None
        if self._balance_writes:
            c.executemany(
                "INSERT INTO balances (volunteer_id, balance, minutes_total) VALUES (?, ?, ?) ON CONFLICT (volunteer_id)"
                " DO UPDATE SET balance = excluded.balance, minutes_total = excluded.minutes_total",
                [(v, *self._balances[v]) for v in self._balance_writes],
            )
            self._balance_writes.clear()
        if self._stock_writes:
            c.executemany(
                "INSERT INTO stock (site_id, item_id, qty) VALUES (?, ?, ?) ON CONFLICT (site_id, item_id)"
                " DO UPDATE SET qty = excluded.qty",
                [(*k, self._stock[k]) for k in self._stock_writes],
            )
            self._stock_writes.clear()
        self._flush_sessions()
        if self._new_redemptions:
            c.executemany(
                f"INSERT INTO redemptions ({', '.join(_REDEMPTION_COLS)}) VALUES ({', '.join('?' * 9)})",
                list(map(_redemption_row, self._new_redemptions.values())),
            )
            self._new_redemptions.clear()
        if self._cancelled:
            c.executemany(
                "UPDATE redemptions SET status = 'cancelled' WHERE redemption_id = ?",
                [(r,) for r in self._cancelled],
            )
            self._cancelled.clear()
        if self._exceptions:
            c.executemany(
                "INSERT OR IGNORE INTO exceptions (kind, ref, volunteer_id, site_id, kiosk_id, event_id,"
                " detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                self._exceptions,
            )
            self._exceptions.clear()

    # -- events --------------------------------------------------------------------------------

    def apply(self, ev: dict) -> str | None:
        """Apply a well-formed event; None if accepted, else the reason it is rejected."""
        reason = HANDLERS[ev["type"]](Ctx(self, ev))
        if reason is not None:
            self.dirty.touch_event(ev)
        return reason


class Ctx:
    """One event being applied in a batch."""

    __slots__ = ("b", "ev")

    def __init__(self, b: Batch, ev: dict):
        self.b, self.ev = b, ev

    @property
    def c(self) -> sqlite3.Connection:
        return self.b.c

    @property
    def kiosk_id(self) -> str:
        return self.b.kiosk_id

    @property
    def at(self) -> str:
        return self.b.at

    @property
    def p(self) -> dict:
        return self.ev["payload"]

    def stock(self, site_id: str, item_id: str, delta: int, why: str) -> None:
        qty = self.b.add_stock(site_id, item_id, delta)
        self.b.dirty.stock.add((site_id, item_id))
        if qty < 0:
            self.b.exception(
                "stock_below_zero",
                self.ev["id"],
                site_id=site_id,
                kiosk_id=self.kiosk_id,
                event_id=self.ev["id"],
                detail={"item_id": item_id, "qty": qty, "after": why},
            )


# -- attendance ---------------------------------------------------------------------------


def _sign_in(x: Ctx) -> str | None:
    p = x.p
    if x.b.session(p["session_id"]) is not None:
        return "a session with this id already exists"
    x.b.new_session(
        {
            "session_id": p["session_id"],
            "volunteer_id": x.ev["actor"],
            "kiosk_id": x.kiosk_id,
            "site_id": p["site_id"],
            "activity_id": p["activity_id"],
            "signed_in_at": x.ev["occurred_at"],
            "signed_out_at": None,
            "minutes": None,
            "credited_minutes": 0,
            "points": 0,
            "status": "open",
            "entry_id": None,
            "t_in_ms": occurred_ms(x.ev),
            "t_out_ms": None,
        }
    )
    return None


def _close_time_ms(x: Ctx, field: str = "closed_at") -> int:
    closed_at = x.p.get(field)
    if isinstance(closed_at, str):
        return occurred_ms(
            {"occurred_at": closed_at, "clock_offset_ms": x.ev.get("clock_offset_ms", 0)}
        )
    return occurred_ms(x.ev)


def _close(x: Ctx, status: str) -> str | None:
    row = x.b.session(x.p["session_id"])
    if row is None:
        return "unknown session: its sign-in is not in the ledger"
    volunteer, current = row["volunteer_id"], row["status"]
    if current != "open":
        return f"session already {current}"
    if x.p.get("volunteer_id", x.ev["actor"]) != volunteer:
        return "session belongs to another volunteer"
    return _settle(x, row, status)


def _settle(x: Ctx, row: dict, status: str) -> str | None:
    """Give the session its (new) figures. A correction reverses the earlier entry first."""
    volunteer, was, old_points, old_credited, old_entry = (
        row["volunteer_id"],
        row["status"],
        row["points"],
        row["credited_minutes"],
        row["entry_id"],
    )
    p, sid = x.p, x.p["session_id"]
    # A correction that sets the sign-out time moves the session's end, for overlap checks too.
    staff_set = status == "corrected" and type(p.get("signed_out_at")) is str
    try:
        t_out = _close_time_ms(x, "signed_out_at" if staff_set else "closed_at")
    except (ValueError, OverflowError, OSError):  # not a usable time: the event's own time
        staff_set = False
        t_out = occurred_ms(x.ev)
    balance = None
    if old_entry is not None:
        _, balance = x.b.post(
            vol(volunteer),
            ISSUED,
            old_points,
            "correction: reverse",
            event_id=x.ev["id"],
            ref=f"session:{sid}",
            reverses=old_entry,
        )
    entry, after = x.b.post(
        ISSUED,
        vol(volunteer),
        p["points"],
        status,
        event_id=x.ev["id"],
        ref=f"session:{sid}",
        minutes=p["credited_minutes"] - (old_credited or 0),
    )
    if p["points"] < (old_points or 0):  # a correction that takes points back
        _below_zero(
            x,
            volunteer,
            balance if after is None else after,
            {"delta": p["points"] - (old_points or 0), "cause": "attendance.correct"},
        )
    # What one UPDATE would do: a correction keeps a closed status; the first close time stays
    # unless staff set the sign-out time.
    if not (status == "corrected" and was != "open"):
        row["status"] = "closed" if status == "corrected" else status
    out = p.get("signed_out_at") or p.get("closed_at")
    if _null(out):
        out = x.ev["occurred_at"] if _null(row["signed_out_at"]) else row["signed_out_at"]
    row["signed_out_at"] = out
    if _null(row["t_out_ms"]) or staff_set:
        row["t_out_ms"] = t_out
    row["minutes"], row["credited_minutes"], row["points"], row["entry_id"] = (
        p["minutes"],
        p["credited_minutes"],
        p["points"],
        entry,
    )
    x.b.changed_session(row)
    x.b.dirty.volunteers.add(volunteer)
    _check_overlap(x, sid, volunteer, row["t_in_ms"], row["t_out_ms"], row["kiosk_id"])
    return None


def _check_overlap(x: Ctx, sid: str, volunteer: str, t_in: int, t_out: int, kiosk: str) -> None:
    """The same person on duty at two kiosks at once: listed for staff, both sessions kept."""
    for other, o_kiosk in x.b.overlapping(sid, volunteer, kiosk, t_in, t_out):
        a, b = sorted((sid, other))
        x.b.exception(
            "overlapping_sessions",
            f"{a}/{b}",
            volunteer_id=volunteer,
            kiosk_id=x.kiosk_id,
            event_id=x.ev["id"],
            detail={"sessions": [a, b], "kiosks": sorted({kiosk, o_kiosk})},
        )


def _sign_out(x: Ctx) -> str | None:
    return _close(x, "closed")


def _auto_close(x: Ctx) -> str | None:
    return _close(x, "auto_closed")


def _correct(x: Ctx) -> str | None:
    row = x.b.session(x.p["session_id"])
    if row is None:
        return "unknown session: its sign-in is not in the ledger"
    return _settle(x, row, "corrected")


# -- redemption and stock -------------------------------------------------------------------


def _redeem(x: Ctx) -> str | None:
    p, volunteer = x.p, x.ev["actor"]
    if x.b.redemption(p["redemption_id"]) is not None:
        return "a redemption with this id already exists"
    stocked = bool(p.get("stocked", True))
    entry, balance = x.b.post(
        vol(volunteer),
        REDEEMED,
        p["cost"],
        "redeem",
        event_id=x.ev["id"],
        ref=f"redemption:{p['redemption_id']}",
    )
    x.b.new_redemption(
        {
            "redemption_id": p["redemption_id"],
            "volunteer_id": volunteer,
            "kiosk_id": x.kiosk_id,
            "site_id": p["site_id"],
            "item_id": p["item_id"],
            "cost": p["cost"],
            "stocked": int(stocked),
            "status": "done",
            "entry_id": entry or 0,
        }
    )
    x.b.dirty.volunteers.add(volunteer)
    # Two kiosks offline at once can each spend the same points: the goods were handed
    # over, so the ledger records the redemption and lists the overdraft for staff.
    _below_zero(
        x,
        volunteer,
        balance,
        {"cost": p["cost"], "offline": bool(p.get("offline"))},
        site_id=p["site_id"],
    )
    if stocked:
        x.stock(p["site_id"], p["item_id"], -1, "redeem")
    return None


def _cancel(x: Ctx) -> str | None:
    p = x.p
    row = x.b.redemption(p["redemption_id"])
    if row is None:
        return "unknown redemption"
    volunteer, site_id, item_id, cost, status, entry = (
        row["volunteer_id"],
        row["site_id"],
        row["item_id"],
        row["cost"],
        row["status"],
        row["entry_id"],
    )
    if status != "done":
        return f"redemption already {status}"
    x.b.post(
        REDEEMED,
        vol(volunteer),
        cost,
        "cancel",
        event_id=x.ev["id"],
        ref=f"redemption:{p['redemption_id']}",
        reverses=entry or None,
    )
    x.b.cancel_redemption(row)
    x.b.dirty.volunteers.add(volunteer)
    # Same rule as the kiosk's projection, so both count the goods back the same way.
    if p.get("restock", True) and p.get("stocked", True):
        x.stock(site_id, item_id, 1, "cancel")
    return None


def _restock(x: Ctx) -> str | None:
    x.stock(x.p["site_id"], x.p["item_id"], x.p["qty"], "restock")
    return None


def _stock_adjust(x: Ctx) -> str | None:
    x.stock(x.p["site_id"], x.p["item_id"], x.p["delta"], "adjust")
    return None


def _points_adjust(x: Ctx) -> str | None:
    volunteer, delta = x.p["volunteer_id"], x.p["delta"]
    _, balance = x.b.post(
        ADJUSTMENTS,
        vol(volunteer),
        delta,
        "adjust",
        event_id=x.ev["id"],
        ref=f"adjust:{x.ev['id']}",
    )
    x.b.dirty.volunteers.add(volunteer)
    if delta < 0:
        _below_zero(x, volunteer, balance, {"delta": delta, "cause": "points.adjust"})
    return None


def _below_zero(
    x: Ctx, volunteer: str, balance: int | None, detail: dict[str, Any], site_id: str | None = None
) -> None:
    """Any event that leaves a balance below zero is kept and listed for staff as an overdraft:
    two offline redemptions, or staff taking back points spent meanwhile at another kiosk."""
    if balance is not None and balance < 0:
        x.b.exception(
            "overdraft",
            x.ev["id"],
            volunteer_id=volunteer,
            site_id=site_id,
            kiosk_id=x.kiosk_id,
            event_id=x.ev["id"],
            detail={"balance": balance, **detail},
        )


def _catalog_upsert(x: Ctx) -> str | None:
    p = x.p
    row = x.c.execute("SELECT data FROM catalog WHERE item_id = ?", (p["item_id"],)).fetchone()
    data = json.loads(row[0]) if row else {}
    data.update({k: v for k, v in p.items() if k != "reason"})
    x.c.execute(
        "INSERT OR REPLACE INTO catalog (item_id, data) VALUES (?, ?)", (p["item_id"], _dumps(data))
    )
    emit(x.c, "catalog_item", p["item_id"], data)
    return None


def _staff_session(x: Ctx) -> str | None:
    return None  # kept in the events table: the trail of who had staff mode open, when


HANDLERS = {
    "attendance.sign_in": _sign_in,
    "attendance.sign_out": _sign_out,
    "attendance.auto_close": _auto_close,
    "attendance.correct": _correct,
    "redemption.create": _redeem,
    "redemption.cancel": _cancel,
    "stock.restock": _restock,
    "stock.adjust": _stock_adjust,
    "points.adjust": _points_adjust,
    "catalog.upsert": _catalog_upsert,
    "staff.session_open": _staff_session,
    "staff.session_close": _staff_session,
}


# -- the change feed ---------------------------------------------------------------------


def emit(c: sqlite3.Connection, kind: str, key: str, data: dict, deleted: bool = False) -> None:
    # REPLACE deletes the old row and takes a fresh cursor: each key appears once, at its latest.
    c.execute(
        "INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES (?, ?, ?, ?)",
        (kind, key, _dumps(data), int(deleted)),
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
                else _dumps(data),
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
                _dumps(
                    {
                        "site_id": site_id,
                        "item_id": item_id,
                        "qty": levels.get((site_id, item_id), 0),
                        "as_of": as_of,
                    }
                ),
            )
        )
    c.executemany(
        "INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES (?, ?, ?, 0)", rows
    )


# -- reference data ---------------------------------------------------------------------


def load_one(c: sqlite3.Connection, kind: str, key: str, data: dict, at: str) -> None:
    if kind == "site":
        c.execute("INSERT OR REPLACE INTO sites (site_id, data) VALUES (?, ?)", (key, _dumps(data)))
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
            (key, data["site_id"], _dumps(data)),
        )
        emit(c, "activity", key, data)
    elif kind == "catalog_item":
        c.execute(
            "INSERT OR REPLACE INTO catalog (item_id, data) VALUES (?, ?)", (key, _dumps(data))
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
