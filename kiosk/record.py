"""我的记录: a volunteer's hours and points this month, this year and in all, the star level,
the last sessions and the last points movements.

Online the ledger answers (``GET /v1/volunteers/{id}/record``, every kiosk's records);
this kiosk's events the ledger has not yet acknowledged are added on top, so a sign-out a
moment ago is already counted. Offline the kiosk shows what it knows: the all-time hours
and the balance as last synced plus its own changes, and its own sessions and movements,
marked as such (``source == "kiosk"``). Both have the same shape, a plain dict, so the
screen draws either the same way.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from kiosk.core.codes import mask_name
from kiosk.core.stars import progress, thresholds_or_default
from kiosk.store import Store

LAST = 10  # sessions and movements shown


def thresholds(store: Store) -> tuple[int, ...]:
    return thresholds_or_default(store.setting("ledger.star_thresholds"))


def _titles(row: dict, aid: str) -> dict[str, str]:
    zh, hant, en = row.get("title_zh"), row.get("title_zh_hant"), row.get("title_en")
    return {
        "zh-Hans": zh or en or aid,
        "zh-Hant": hant or zh or en or aid,
        "en": en or zh or aid,
    }


def local_sessions(store: Store, volunteer_id: str, *, after_seq: int = 0) -> list[dict]:
    """This kiosk's closed sessions of the volunteer, newest first (``after_seq``: only those
    closed or corrected by an event after that seq)."""
    with store._lock:
        rows = list(
            store.db.query(
                "SELECT s.session_id, s.activity_id, s.site_id, s.day, s.minutes, s.credited_minutes,"
                " s.points, s.status, s.out_seq, a.title_zh, a.title_zh_hant, a.title_en,"
                " (SELECT MAX(seq) FROM events e WHERE e.type = 'attendance.correct'"
                "  AND json_extract(e.payload, '$.session_id') = s.session_id) AS corrected_seq"
                " FROM sessions s LEFT JOIN activities a ON a.activity_id = s.activity_id"
                " WHERE s.volunteer_id = ? AND s.status != 'open'"
                " ORDER BY s.signed_in_at DESC, s.in_seq DESC",
                [volunteer_id],
            )
        )
    out = []
    for r in rows:
        last = max(r["out_seq"] or 0, r["corrected_seq"] or 0)
        if last <= after_seq:
            continue
        out.append(
            {
                "session_id": r["session_id"],
                "activity_id": r["activity_id"],
                "titles": _titles(r, r["activity_id"]),
                "site_id": r["site_id"],
                "day": r["day"],
                "minutes": r["minutes"] or 0,
                "credited_minutes": r["credited_minutes"] or 0,
                "points": r["points"] or 0,
                "status": r["status"],
                "corrected": bool(r["corrected_seq"]),
            }
        )
    return out


_KIND = {
    "closed": "earned",
    "auto_closed": "earned",
    "correct": "corrected",
    "redeem": "redeemed",
    "cancel": "refunded",
    "adjust": "adjusted",
}


def local_moves(store: Store, volunteer_id: str, *, after_seq: int = 0) -> list[dict]:
    """This kiosk's points movements of the volunteer, newest first, with the reason staff
    chose (a preset code or their own words) and the reward's names for a redemption."""
    with store._lock:
        rows = store.conn.execute(
            "SELECT m.seq, m.delta, m.reason, e.occurred_at, e.payload FROM point_moves m"
            " JOIN events e ON e.seq = m.seq WHERE m.volunteer_id = ? AND m.seq > ?"
            " AND m.delta != 0 ORDER BY m.seq DESC LIMIT ?",
            (volunteer_id, after_seq, LAST),
        ).fetchall()
    out = []
    for seq, delta, kind, at, payload in rows:
        p = json.loads(payload)
        move = {"seq": seq, "at": at, "delta": delta, "kind": _KIND.get(kind, kind)}
        if kind in ("adjust", "correct", "cancel") and p.get("reason"):
            move["reason"] = str(p["reason"])
        if kind == "redeem":
            item = store.catalog_item(p.get("item_id", ""))
            move["item_names"] = dict(item.names) if item else {"zh-Hans": p.get("item_id", "")}
        out.append(move)
    return out


def _period_sums(sessions: list[dict], month: str, year: str) -> dict[str, dict[str, int]]:
    sums = {"month": [0, 0], "year": [0, 0]}
    for s in sessions:
        if s["day"].startswith(year):
            sums["year"][0] += s["credited_minutes"]
            sums["year"][1] += s["points"]
        if s["day"].startswith(month):
            sums["month"][0] += s["credited_minutes"]
            sums["month"][1] += s["points"]
    return {k: {"minutes": m, "points": p} for k, (m, p) in sums.items()}


def _stars(record: dict, store: Store) -> dict:
    th = thresholds(store)
    pr = progress(record["periods"]["total"]["minutes"], th)
    record["stars"] = pr.stars
    record["next_stars"] = pr.next_stars
    record["minutes_to_next"] = pr.minutes_to_next
    return record


def local_record(store: Store, volunteer_id: str, now: datetime) -> dict[str, Any]:
    """What this kiosk knows, without the ledger."""
    entry = store.roster_entry(volunteer_id)
    sessions = local_sessions(store, volunteer_id)
    periods = _period_sums(sessions, now.strftime("%Y-%m"), now.strftime("%Y"))
    periods["total"] = {"minutes": store.minutes_total(volunteer_id), "points": None}
    record = {
        "volunteer_id": volunteer_id,
        "name": mask_name(entry.display_name) if entry else volunteer_id,
        "balance": store.balance(volunteer_id),
        "periods": periods,
        "sessions": sessions[:LAST],
        "moves": local_moves(store, volunteer_id),
        "source": "kiosk",
        "as_of": store.setting("last_sync_at"),
    }
    return _stars(record, store)


def merged_record(
    store: Store, volunteer_id: str, ledger: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The ledger's record with this kiosk's events it has not yet acknowledged on top."""
    acked = store.acked_seq()
    known = {s.get("session_id") for s in ledger.get("sessions", [])}
    fresh = [
        s
        for s in local_sessions(store, volunteer_id, after_seq=acked)
        if s["session_id"] not in known
    ]
    periods = {k: dict(v) for k, v in (ledger.get("periods") or {}).items()}
    added = _period_sums(fresh, now.strftime("%Y-%m"), now.strftime("%Y"))
    for key in ("month", "year"):
        if key in periods and ledger.get("period_keys", {}).get(key) in (
            now.strftime("%Y-%m"),
            now.strftime("%Y"),
        ):
            periods[key]["minutes"] += added[key]["minutes"]
            periods[key]["points"] += added[key]["points"]
    if "total" in periods:
        periods["total"]["minutes"] += sum(s["credited_minutes"] for s in fresh)
        if periods["total"].get("points") is not None:
            periods["total"]["points"] += sum(s["points"] for s in fresh)
    entry = store.roster_entry(volunteer_id)
    record = {
        "volunteer_id": volunteer_id,
        "name": mask_name(entry.display_name) if entry else volunteer_id,
        "balance": store.balance(volunteer_id),  # the ledger's plus this kiosk's unsent changes
        "periods": periods,
        "sessions": (fresh + list(ledger.get("sessions", [])))[:LAST],
        "moves": (
            local_moves(store, volunteer_id, after_seq=acked) + list(ledger.get("moves", []))
        )[:LAST],
        "source": "ledger",
        "as_of": ledger.get("as_of"),
    }
    return _stars(record, store)
