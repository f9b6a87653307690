"""How each event changes the projections. The live write path and replay both call
``apply_event``, so what replay rebuilds is what the screen was shown."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from kiosk.core import moves
from kiosk.core.days import day_of, month_of

from .schema import PROJECTIONS


def _day(iso: str) -> str:
    return iso[:10]


def apply_event(
    conn: sqlite3.Connection, seq: int, etype: str, actor: str, occurred_at: str, payload: dict
) -> None:
    handler = _HANDLERS.get(etype)
    if handler is not None:
        handler(conn, seq, actor, occurred_at, payload)


def _points(conn: sqlite3.Connection, seq: int, move: moves.PointsMove | None) -> None:
    if move is not None:
        conn.execute(
            "INSERT INTO point_moves (seq, volunteer_id, delta, minutes, reason) VALUES (?, ?, ?, ?, ?)",
            (seq, move.volunteer_id, move.points, move.minutes, move.reason),
        )


def _stock(conn: sqlite3.Connection, seq: int, move: moves.StockMove | None) -> None:
    if move is not None:
        conn.execute(
            "INSERT INTO stock_moves (seq, site_id, item_id, delta, reason) VALUES (?, ?, ?, ?, ?)",
            (seq, move.site_id, move.item_id, move.delta, move.reason),
        )


def _sign_in(conn, seq, actor, occurred_at, p):
    conn.execute(
        "INSERT INTO sessions (session_id, volunteer_id, activity_id, site_id, day, signed_in_at,"
        " status, assisted_by, in_seq) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        (
            p["session_id"],
            actor,
            p["activity_id"],
            p["site_id"],
            day_of(occurred_at),
            occurred_at,
            p.get("assisted_by"),
            seq,
        ),
    )


def _close(conn, seq, actor, occurred_at, p, status, flagged):
    closed_at = p.get("closed_at", occurred_at)
    conn.execute(
        "UPDATE sessions SET signed_out_at = ?, minutes = ?, credited_minutes = ?, points = ?,"
        " status = ?, flagged = ?, out_seq = ? WHERE session_id = ?",
        (
            closed_at,
            p["minutes"],
            p["credited_minutes"],
            p["points"],
            status,
            flagged,
            seq,
            p["session_id"],
        ),
    )
    volunteer = p.get("volunteer_id", actor)
    _points(conn, seq, moves.session_move(volunteer, moves.Figures(), moves.Figures.of(p), status))


def _sign_out(conn, seq, actor, occurred_at, p):
    _close(conn, seq, actor, occurred_at, p, moves.CLOSED, 0)


def _auto_close(conn, seq, actor, occurred_at, p):
    _close(conn, seq, actor, occurred_at, p, moves.AUTO_CLOSED, 1)


def _correct(conn, seq, actor, occurred_at, p):
    """A staff correction of a closed session: new figures, and the difference in points."""
    row = conn.execute(
        "SELECT volunteer_id, points, credited_minutes FROM sessions WHERE session_id = ?",
        (p["session_id"],),
    ).fetchone()
    if row is None:
        return
    volunteer, old_points, old_credited = row
    conn.execute(
        "UPDATE sessions SET minutes = ?, credited_minutes = ?, points = ?, flagged = 0,"
        " status = CASE status WHEN 'open' THEN 'closed' ELSE status END,"
        " signed_out_at = COALESCE(?, signed_out_at), out_seq = COALESCE(out_seq, ?) WHERE session_id = ?",
        (
            p["minutes"],
            p["credited_minutes"],
            p["points"],
            p.get("signed_out_at"),
            seq,
            p["session_id"],
        ),
    )
    before = moves.Figures.held(old_points, old_credited)
    _points(conn, seq, moves.session_move(volunteer, before, moves.Figures.of(p), moves.CORRECT))


def _redeem(conn, seq, actor, occurred_at, p):
    conn.execute(
        "INSERT INTO redemptions (redemption_id, seq, volunteer_id, item_id, site_id, cost, pickup_no,"
        " day, month, offline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            p["redemption_id"],
            seq,
            actor,
            p["item_id"],
            p["site_id"],
            p["cost"],
            p["pickup_no"],
            day_of(occurred_at),
            month_of(occurred_at),
            int(bool(p.get("offline"))),
        ),
    )
    points, stock = moves.redeem_moves(actor, p)
    _points(conn, seq, points)
    _stock(conn, seq, stock)


def _cancel(conn, seq, actor, occurred_at, p):
    row = conn.execute(
        "SELECT volunteer_id, item_id, site_id, cost, status, seq FROM redemptions"
        " WHERE redemption_id = ?",
        (p["redemption_id"],),
    ).fetchone()
    if row is None or row[4] == "cancelled":
        return
    volunteer, item_id, site_id, cost, _, redeemed_seq = row
    conn.execute(
        "UPDATE redemptions SET status = 'cancelled', cancel_seq = ? WHERE redemption_id = ?",
        (seq, p["redemption_id"]),
    )
    # Whether the redemption took one off the shelf: its own stock move, as it was counted.
    took = conn.execute(
        "SELECT 1 FROM stock_moves WHERE site_id = ? AND item_id = ? AND seq = ? AND reason = ?",
        (site_id, item_id, redeemed_seq, moves.REDEEM),
    ).fetchone()
    redeemed = moves.Redeemed(volunteer, site_id, item_id, cost, stocked=took is not None)
    points, stock = moves.cancel_moves(redeemed, p)
    _points(conn, seq, points)
    _stock(conn, seq, stock)


def _restock(conn, seq, actor, occurred_at, p):
    _stock(conn, seq, moves.stock_move("stock.restock", p))


def _adjust(conn, seq, actor, occurred_at, p):
    _stock(conn, seq, moves.stock_move("stock.adjust", p))


def _points_adjust(conn, seq, actor, occurred_at, p):
    _points(conn, seq, moves.points_adjust_move(p))


def _catalog_upsert(conn, seq, actor, occurred_at, p):
    conn.execute(
        "INSERT INTO catalog (item_id, names, cost, kind, monthly_limit, image, active)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET names = excluded.names,"
        " cost = excluded.cost, kind = excluded.kind, monthly_limit = excluded.monthly_limit,"
        " image = excluded.image, active = excluded.active",
        (
            p["item_id"],
            json.dumps(p.get("names", {}), ensure_ascii=False),
            p["cost"],
            p.get("kind", "goods"),
            p.get("monthly_limit", 0),
            p.get("image", ""),
            int(p.get("active", True)),
        ),
    )


def _signup(conn, seq, actor, occurred_at, p, action):
    conn.execute(
        "INSERT INTO signups (seq, activity_id, volunteer_id, action, waitlisted) VALUES (?, ?, ?, ?, ?)",
        (seq, p["activity_id"], actor, action, int(bool(p.get("waitlisted")))),
    )


def _signup_add(conn, seq, actor, occurred_at, p):
    _signup(conn, seq, actor, occurred_at, p, "add")


def _signup_withdraw(conn, seq, actor, occurred_at, p):
    _signup(conn, seq, actor, occurred_at, p, "withdraw")


_HANDLERS = {
    "attendance.sign_in": _sign_in,
    "attendance.sign_out": _sign_out,
    "attendance.auto_close": _auto_close,
    "attendance.correct": _correct,
    "redemption.create": _redeem,
    "redemption.cancel": _cancel,
    "stock.restock": _restock,
    "stock.adjust": _adjust,
    "points.adjust": _points_adjust,
    "catalog.upsert": _catalog_upsert,
    "signup.add": _signup_add,
    "signup.withdraw": _signup_withdraw,
}


def rebuild(conn: sqlite3.Connection) -> None:
    """Replay: empty every projection and apply all events in seq order. Call inside a transaction."""
    for table in PROJECTIONS:
        conn.execute(f"DELETE FROM {table}")
    for seq, etype, actor, occurred_at, payload in conn.execute(
        "SELECT seq, type, actor, occurred_at, payload FROM events ORDER BY seq"
    ).fetchall():
        apply_event(conn, seq, etype, actor, occurred_at, json.loads(payload))


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every projection's rows in a stable order, for comparing live state against a replay."""
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in PROJECTIONS}


def parse_time(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
