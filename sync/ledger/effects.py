"""What one accepted event does to the ledger's projections, and the change-feed rows
that tell kiosks about it. Called inside the ingest transaction.

Each handler checks first and writes after, so a rejection leaves nothing behind.
Points move only through ``post``: one journal row is one debit and one credit.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from .validate import occurred_ms

ISSUED = "community:issued"  # points earned by volunteering come from here
REDEEMED = "community:redeemed"  # points spent on rewards go here
ADJUSTMENTS = "community:adjustments"
OPENING = "community:opening"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def vol(volunteer_id: str) -> str:
    return f"volunteer:{volunteer_id}"


@dataclass
class Dirty:
    """Keys whose figures changed in this transaction: their feed rows are rewritten once."""

    volunteers: set[str] = field(default_factory=set)
    stock: set[tuple[str, str]] = field(default_factory=set)

    def touch_event(self, ev: dict) -> None:
        """A rejected event may still have moved figures at its kiosk: re-send the ledger's
        figures with a newer ``as_of`` so the kiosk drops its own version."""
        actor, p = ev.get("actor"), ev.get("payload")
        if isinstance(actor, str):
            self.volunteers.add(actor)
        if isinstance(p, dict):
            if isinstance(p.get("volunteer_id"), str):
                self.volunteers.add(p["volunteer_id"])
            if isinstance(p.get("site_id"), str) and isinstance(p.get("item_id"), str):
                self.stock.add((p["site_id"], p["item_id"]))

    @classmethod
    def everything(cls, c: sqlite3.Connection) -> Dirty:
        return cls(set(r[0] for r in c.execute("SELECT volunteer_id FROM balances")),
                   set(c.execute("SELECT site_id, item_id FROM stock")))


def exception(c: sqlite3.Connection, kind: str, ref: str, at: str, *, volunteer_id: str | None = None,
              site_id: str | None = None, kiosk_id: str | None = None, event_id: str | None = None,
              detail: dict | None = None) -> None:
    c.execute(
        "INSERT OR IGNORE INTO exceptions (kind, ref, volunteer_id, site_id, kiosk_id, event_id, detail, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (kind, ref, volunteer_id, site_id, kiosk_id, event_id, _dumps(detail or {}), at))


def post(c: sqlite3.Connection, debit: str, credit: str, amount: int, memo: str, at: str, *,
         event_id: str | None = None, ref: str | None = None, reverses: int | None = None,
         minutes: int = 0) -> tuple[int | None, int | None]:
    """Move ``amount`` points from ``debit`` to ``credit``; keeps the balances projection in step.
    Returns (journal entry id, the volunteer's new balance if one side is a volunteer)."""
    entry = None
    if amount < 0:
        debit, credit, amount = credit, debit, -amount
    if amount:
        entry = c.execute(
            "INSERT INTO journal (event_id, debit, credit, amount, memo, ref, reverses, posted_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (event_id, debit, credit, amount, memo, ref, reverses, at)).lastrowid
    balance = None
    for account, delta in ((credit, amount), (debit, -amount)):
        if account.startswith("volunteer:") and (delta or minutes):
            balance = _add_balance(c, account[10:], delta, minutes)
    return entry, balance


def _add_balance(c: sqlite3.Connection, volunteer_id: str, points: int, minutes: int) -> int:
    return c.execute(
        "INSERT INTO balances (volunteer_id, balance, minutes_total) VALUES (?, ?, ?) ON CONFLICT (volunteer_id)"
        " DO UPDATE SET balance = balance + excluded.balance, minutes_total = minutes_total + excluded.minutes_total"
        " RETURNING balance", (volunteer_id, points, minutes)).fetchone()[0]


def _add_stock(c: sqlite3.Connection, site_id: str, item_id: str, delta: int) -> int:
    return c.execute(
        "INSERT INTO stock (site_id, item_id, qty) VALUES (?, ?, ?) ON CONFLICT (site_id, item_id)"
        " DO UPDATE SET qty = qty + excluded.qty RETURNING qty", (site_id, item_id, delta)).fetchone()[0]


@dataclass(frozen=True)
class Ctx:
    c: sqlite3.Connection
    kiosk_id: str
    ev: dict
    at: str
    dirty: Dirty

    @property
    def p(self) -> dict:
        return self.ev["payload"]

    def stock(self, site_id: str, item_id: str, delta: int, why: str) -> None:
        qty = _add_stock(self.c, site_id, item_id, delta)
        self.dirty.stock.add((site_id, item_id))
        if qty < 0:
            exception(self.c, "stock_below_zero", self.ev["id"], self.at, site_id=site_id, kiosk_id=self.kiosk_id,
                      event_id=self.ev["id"], detail={"item_id": item_id, "qty": qty, "after": why})


# -- attendance ---------------------------------------------------------------------------


def _sign_in(x: Ctx) -> str | None:
    p = x.p
    if x.c.execute("SELECT 1 FROM sessions WHERE session_id = ?", (p["session_id"],)).fetchone():
        return "a session with this id already exists"
    x.c.execute(
        "INSERT INTO sessions (session_id, volunteer_id, kiosk_id, site_id, activity_id, signed_in_at, t_in_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (p["session_id"], x.ev["actor"], x.kiosk_id, p["site_id"], p["activity_id"], x.ev["occurred_at"],
         occurred_ms(x.ev)))
    return None


def _session(x: Ctx) -> tuple | None:
    return x.c.execute(
        "SELECT volunteer_id, status, points, credited_minutes, entry_id, t_in_ms, kiosk_id FROM sessions"
        " WHERE session_id = ?", (x.p["session_id"],)).fetchone()


def _close_time_ms(x: Ctx) -> int:
    closed_at = x.p.get("closed_at")
    if isinstance(closed_at, str):
        return occurred_ms({"occurred_at": closed_at, "clock_offset_ms": x.ev.get("clock_offset_ms", 0)})
    return occurred_ms(x.ev)


def _close(x: Ctx, status: str) -> str | None:
    row = _session(x)
    if row is None:
        return "unknown session: its sign-in is not in the ledger"
    volunteer, current, *_ = row
    if current != "open":
        return f"session already {current}"
    if x.p.get("volunteer_id", x.ev["actor"]) != volunteer:
        return "session belongs to another volunteer"
    return _settle(x, row, status)


def _settle(x: Ctx, row: tuple, status: str) -> str | None:
    """Give the session its (new) figures. A correction reverses the earlier entry first."""
    volunteer, _, old_points, old_credited, old_entry, t_in, _ = row
    p, sid = x.p, x.p["session_id"]
    try:
        t_out = _close_time_ms(x)
    except ValueError:
        t_out = occurred_ms(x.ev)
    if old_entry is not None:
        post(x.c, vol(volunteer), ISSUED, old_points, "correction: reverse", x.at, event_id=x.ev["id"],
             ref=f"session:{sid}", reverses=old_entry)
    entry, _ = post(x.c, ISSUED, vol(volunteer), p["points"], status, x.at, event_id=x.ev["id"],
                    ref=f"session:{sid}", minutes=p["credited_minutes"] - (old_credited or 0))
    x.c.execute(
        "UPDATE sessions SET status = CASE WHEN ? = 'corrected' AND status != 'open' THEN status ELSE ? END,"
        " signed_out_at = COALESCE(?, signed_out_at, ?), t_out_ms = COALESCE(t_out_ms, ?), minutes = ?,"
        " credited_minutes = ?, points = ?, entry_id = ? WHERE session_id = ?",
        (status, "closed" if status == "corrected" else status, p.get("signed_out_at") or p.get("closed_at"),
         x.ev["occurred_at"], t_out, p["minutes"], p["credited_minutes"], p["points"], entry, sid))
    x.dirty.volunteers.add(volunteer)
    _check_overlap(x, sid, volunteer, t_in, t_out if row[1] == "open" else None, row[6])
    return None


def _check_overlap(x: Ctx, sid: str, volunteer: str, t_in: int, t_out: int | None, kiosk: str) -> None:
    """The same person on duty at two kiosks at once: listed for staff, both sessions kept."""
    if t_out is None:
        t_out = x.c.execute("SELECT t_out_ms FROM sessions WHERE session_id = ?", (sid,)).fetchone()[0]
    for other, o_kiosk in x.c.execute(
            "SELECT session_id, kiosk_id FROM sessions WHERE volunteer_id = ? AND kiosk_id != ? AND session_id != ?"
            " AND t_in_ms < ? AND COALESCE(t_out_ms, 9223372036854775807) > ?",
            (volunteer, kiosk, sid, t_out, t_in)).fetchall():
        a, b = sorted((sid, other))
        exception(x.c, "overlapping_sessions", f"{a}/{b}", x.at, volunteer_id=volunteer, kiosk_id=x.kiosk_id,
                  event_id=x.ev["id"], detail={"sessions": [a, b], "kiosks": sorted({kiosk, o_kiosk})})


def _sign_out(x: Ctx) -> str | None:
    return _close(x, "closed")


def _auto_close(x: Ctx) -> str | None:
    return _close(x, "auto_closed")


def _correct(x: Ctx) -> str | None:
    row = _session(x)
    if row is None:
        return "unknown session: its sign-in is not in the ledger"
    return _settle(x, row, "corrected")


# -- redemption and stock -------------------------------------------------------------------


def _redeem(x: Ctx) -> str | None:
    p, volunteer = x.p, x.ev["actor"]
    if x.c.execute("SELECT 1 FROM redemptions WHERE redemption_id = ?", (p["redemption_id"],)).fetchone():
        return "a redemption with this id already exists"
    stocked = bool(p.get("stocked", True))
    entry, balance = post(x.c, vol(volunteer), REDEEMED, p["cost"], "redeem", x.at, event_id=x.ev["id"],
                          ref=f"redemption:{p['redemption_id']}")
    x.c.execute(
        "INSERT INTO redemptions (redemption_id, volunteer_id, kiosk_id, site_id, item_id, cost, stocked, entry_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (p["redemption_id"], volunteer, x.kiosk_id, p["site_id"], p["item_id"], p["cost"], int(stocked), entry or 0))
    x.dirty.volunteers.add(volunteer)
    if balance is not None and balance < 0:
        # Two kiosks offline at once can each spend the same points: the goods were handed
        # over, so the ledger records the redemption and lists the overdraft for staff.
        exception(x.c, "overdraft", x.ev["id"], x.at, volunteer_id=volunteer, site_id=p["site_id"],
                  kiosk_id=x.kiosk_id, event_id=x.ev["id"],
                  detail={"balance": balance, "cost": p["cost"], "offline": bool(p.get("offline"))})
    if stocked:
        x.stock(p["site_id"], p["item_id"], -1, "redeem")
    return None


def _cancel(x: Ctx) -> str | None:
    p = x.p
    row = x.c.execute("SELECT volunteer_id, site_id, item_id, cost, status, entry_id FROM redemptions"
                      " WHERE redemption_id = ?", (p["redemption_id"],)).fetchone()
    if row is None:
        return "unknown redemption"
    volunteer, site_id, item_id, cost, status, entry = row
    if status != "done":
        return f"redemption already {status}"
    post(x.c, REDEEMED, vol(volunteer), cost, "cancel", x.at, event_id=x.ev["id"],
         ref=f"redemption:{p['redemption_id']}", reverses=entry or None)
    x.c.execute("UPDATE redemptions SET status = 'cancelled' WHERE redemption_id = ?", (p["redemption_id"],))
    x.dirty.volunteers.add(volunteer)
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
    volunteer = x.p["volunteer_id"]
    post(x.c, ADJUSTMENTS, vol(volunteer), x.p["delta"], "adjust", x.at, event_id=x.ev["id"],
         ref=f"adjust:{x.ev['id']}")
    x.dirty.volunteers.add(volunteer)
    return None


def _catalog_upsert(x: Ctx) -> str | None:
    p = x.p
    row = x.c.execute("SELECT data FROM catalog WHERE item_id = ?", (p["item_id"],)).fetchone()
    data = json.loads(row[0]) if row else {}
    data.update({k: v for k, v in p.items() if k != "reason"})
    x.c.execute("INSERT OR REPLACE INTO catalog (item_id, data) VALUES (?, ?)", (p["item_id"], _dumps(data)))
    emit(x.c, "catalog_item", p["item_id"], data)
    return None


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
}


def apply(c: sqlite3.Connection, kiosk_id: str, ev: dict, at: str, dirty: Dirty) -> str | None:
    """Apply a well-formed event; None if accepted, else the reason it is rejected."""
    reason = HANDLERS[ev["type"]](Ctx(c, kiosk_id, ev, at, dirty))
    if reason is not None:
        dirty.touch_event(ev)
    return reason


# -- the change feed ---------------------------------------------------------------------


def emit(c: sqlite3.Connection, kind: str, key: str, data: dict, deleted: bool = False) -> None:
    # REPLACE deletes the old row and takes a fresh cursor: each key appears once, at its latest.
    c.execute("INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES (?, ?, ?, ?)",
              (kind, key, _dumps(data), int(deleted)))


def emit_dirty(c: sqlite3.Connection, dirty: Dirty) -> None:
    """Balances and stock with ``as_of``: each kiosk's highest seq the figure already includes."""
    as_of = dict(c.execute("SELECT kiosk_id, acked_seq FROM kiosks"))
    rows = []
    vids = sorted(dirty.volunteers)
    found: dict[str, tuple[int, int]] = {}
    for i in range(0, len(vids), 900):
        chunk = vids[i:i + 900]
        found.update((v, (b, m)) for v, b, m in c.execute(
            f"SELECT volunteer_id, balance, minutes_total FROM balances WHERE volunteer_id IN"
            f" ({','.join('?' * len(chunk))})", chunk))
    for vid in vids:
        balance, minutes = found.get(vid, (0, 0))
        rows.append(("balance", vid, _dumps({"volunteer_id": vid, "balance": balance, "minutes_total": minutes,
                                             "as_of": as_of})))
    levels = {(s, i): q for s, i, q in c.execute("SELECT site_id, item_id, qty FROM stock")} if dirty.stock else {}
    for site_id, item_id in sorted(dirty.stock):
        rows.append(("stock", f"{site_id}/{item_id}", _dumps({"site_id": site_id, "item_id": item_id,
                                                             "qty": levels.get((site_id, item_id), 0),
                                                             "as_of": as_of})))
    c.executemany("INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES (?, ?, ?, 0)", rows)


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
            (key, data.get("kind", "V"), data.get("display_name", ""), data.get("team", ""),
             data.get("status", "active"), version, data.get("izhiyuan_id")))
        c.execute("INSERT OR IGNORE INTO card_versions (volunteer_id, version, issued_at) VALUES (?, ?, ?)",
                  (key, version, at))
        # Only what a kiosk needs: no phone numbers or platform ids leave the ledger.
        emit(c, "volunteer", key, {k: data.get(k, d) for k, d in (
            ("volunteer_id", key), ("kind", "V"), ("display_name", ""), ("team", ""), ("status", "active"),
            ("card_version", version))})
    elif kind == "staff_pin":
        c.execute("INSERT OR REPLACE INTO staff_pins (staff_id, pin_hash) VALUES (?, ?)", (key, data["pin_hash"]))
        emit(c, "staff_pin", key, {"staff_id": key, "pin_hash": data["pin_hash"]})
    elif kind == "activity":
        c.execute("INSERT OR REPLACE INTO activities (activity_id, site_id, data) VALUES (?, ?, ?)",
                  (key, data["site_id"], _dumps(data)))
        emit(c, "activity", key, data)
    elif kind == "catalog_item":
        c.execute("INSERT OR REPLACE INTO catalog (item_id, data) VALUES (?, ?)", (key, _dumps(data)))
        emit(c, "catalog_item", key, data)
    elif kind == "stock":
        c.execute("INSERT OR IGNORE INTO stock (site_id, item_id, qty) VALUES (?, ?, ?)",
                  (data["site_id"], data["item_id"], int(data["qty"])))
    elif kind == "balance":
        if c.execute("SELECT 1 FROM journal WHERE credit = ? OR debit = ? LIMIT 1", (vol(key), vol(key))).fetchone():
            return
        post(c, OPENING, vol(key), int(data["balance"]), "opening balance", at, ref=f"opening:{key}")
        _add_balance(c, key, 0, int(data.get("minutes_total", 0)))  # also creates the row for a zero balance
    elif kind == "setting":
        emit(c, "setting", key, data)
    else:
        raise ValueError(f"unknown reference kind {kind!r}")
