"""The volunteer's side of the ledger, on any backend: 我的记录 (hours and points this
month, this year and in all, the star level, the last sessions and points movements), the
service lines a certificate lists, the sign-up lists of the 台账 and the console, and the
ledger settings they use (the organisation a certificate names, the star thresholds).

Rows come through ``LedgerDB.read()``; the figures are made here, once, for every backend.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from kiosk.core.stars import format_thresholds, parse_thresholds, progress, thresholds_or_default
from sync.ledger.db.base import LedgerDB, StaffRead

# Ledger settings a certificate and the kiosks use, with what they mean.
SETTINGS = {
    "org_name": "出具组织名称 / issuing organisation",
    "org_address": "地址 / address",
    "org_contact": "联系人 / contact person",
    "org_phone": "联系电话 / phone",
    "verify_url": "核验网址 (the ledger's /verify page as people reach it)",
    "star_thresholds": "星级门槛（小时）/ star thresholds in hours, five numbers",
}
LAST = 10  # sessions and movements 我的记录 lists

# Journal memos as 我的记录 names them.
MOVE_KINDS = {
    "closed": "earned",
    "auto_closed": "earned",
    "corrected": "corrected",
    "correction: reverse": "corrected",
    "redeem": "redeemed",
    "cancel": "refunded",
    "adjust": "adjusted",
    "opening balance": "opening",
}


def titles(data: dict, activity_id: str) -> dict[str, str]:
    zh, hant, en = data.get("title_zh"), data.get("title_zh_hant"), data.get("title_en")
    return {
        "zh-Hans": zh or en or activity_id,
        "zh-Hant": hant or zh or en or activity_id,
        "en": en or zh or activity_id,
    }


# -- settings -------------------------------------------------------------------------------


def ledger_settings(db: LedgerDB) -> dict[str, str]:
    out = {k: db.meta(f"setting.{k}") or "" for k in SETTINGS}
    out["star_thresholds"] = format_thresholds(thresholds_or_default(out["star_thresholds"]))
    return out


def set_ledger_settings(db: LedgerDB, values: dict[str, str]) -> dict[str, str]:
    """Change settings (unknown keys and bad thresholds raise ValueError); the star
    thresholds reach every kiosk through the change feed."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    if "star_thresholds" in values:
        values = {
            **values,
            "star_thresholds": format_thresholds(parse_thresholds(values["star_thresholds"])),
        }
    with db.write() as tx:
        for key, value in values.items():
            tx.put_setting(key, str(value).strip(), to_kiosks=key == "star_thresholds")
    return ledger_settings(db)


def star_thresholds(db: LedgerDB) -> tuple[int, ...]:
    return thresholds_or_default(db.meta("setting.star_thresholds") or "")


# -- 我的记录 ----------------------------------------------------------------------------------


def _session(s: dict[str, Any]) -> dict[str, Any]:
    """A session as 我的记录 and a certificate show it. Kiosks stamp their own local time,
    so the sign-in's date is the service day."""
    return {
        "session_id": s["session_id"],
        "activity_id": s["activity_id"],
        "titles": titles(s["activity"], s["activity_id"]),
        "site_id": s["site_id"],
        "day": str(s["signed_in_at"])[:10],
        "minutes": s["minutes"],
        "credited_minutes": s["credited_minutes"],
        "points": s["points"],
        "status": s["status"],
        "corrected": s["corrected"],
    }


def _move(row: dict[str, Any], account: str, items: dict[str, dict]) -> dict[str, Any]:
    p = row["payload"]
    move: dict[str, Any] = {
        "at": row["occurred_at"] or row["posted_at"],
        "delta": row["amount"] if row["credit"] == account else -row["amount"],
        "kind": MOVE_KINDS.get(row["memo"], row["memo"]),
    }
    reason = p.get("reason")
    if isinstance(reason, str) and reason and move["kind"] in ("adjusted", "refunded", "corrected"):
        move["reason"] = reason  # the words (or the preset's code) staff chose
    if move["kind"] == "redeemed":
        item = items.get(str(p.get("item_id", "")), {})
        move["item_names"] = item.get("names") or {"zh-Hans": str(p.get("item_id", ""))}
    return move


def volunteer_record(db: LedgerDB, volunteer_id: str, now: datetime) -> dict[str, Any] | None:
    """我的记录 as the ledger knows it, from every kiosk's records; None for someone who is
    not a volunteer in the roster."""
    found = db.volunteer(volunteer_id)
    if found is None or found.get("kind") != "V":
        return None
    with db.read() as tx:
        sessions = [_session(s) for s in tx.volunteer_sessions(volunteer_id)]
        rows = tx.volunteer_moves(volunteer_id, LAST)
        items = tx.catalog() if any(r["memo"] == "redeem" for r in rows) else {}
    month, year = now.strftime("%Y-%m"), now.strftime("%Y")
    periods = {k: {"minutes": 0, "points": 0} for k in ("month", "year", "total")}
    for s in sessions:
        for key, prefix in (("month", month), ("year", year), ("total", "")):
            if s["day"].startswith(prefix):
                periods[key]["minutes"] += s["credited_minutes"]
                periods[key]["points"] += s["points"]
    # In all: the ledger's own total, opening figures carried over from before included.
    periods["total"]["minutes"] = int(found["minutes_total"])
    th = star_thresholds(db)
    pr = progress(periods["total"]["minutes"], th)
    account = f"volunteer:{volunteer_id}"
    return {
        "volunteer_id": volunteer_id,
        "balance": int(found["balance"]),
        "periods": periods,
        "period_keys": {"month": month, "year": year},
        "stars": pr.stars,
        "next_stars": pr.next_stars,
        "minutes_to_next": pr.minutes_to_next,
        "star_thresholds": list(th),
        "sessions": sessions[:LAST],
        "moves": [_move(r, account, items) for r in rows],
        "as_of": now.isoformat(),
    }


# -- certificates ---------------------------------------------------------------------------


def service_lines(
    db: LedgerDB, volunteer_id: str, period_from: date, period_to: date
) -> list[dict[str, Any]]:
    """Closed sessions with credited time in the period, oldest first, for a certificate."""
    lo, hi = period_from.isoformat(), period_to.isoformat()
    with db.read() as tx:
        sites = tx.sites()
        found = tx.volunteer_sessions(volunteer_id)
    lines = []
    for s in reversed([_session(s) for s in found]):
        if lo <= s["day"] <= hi and s["credited_minutes"] > 0:
            site = sites.get(s["site_id"], {})
            lines.append({**s, "site_name": site.get("name_zh") or s["site_id"]})
    return lines


# -- sign-up lists ----------------------------------------------------------------------------


def came_or_missed(person: dict[str, Any], begun: bool) -> str:
    """A sign-up as the 台账's 报名 sheet and the console count it: ``came`` (a session of
    theirs for the activity), ``missed`` (signed up, not withdrawn, and the activity has
    begun without them), else "" (withdrawn, or nobody has failed to come yet)."""
    if person["status"] == "withdrawn":
        return ""
    if person["came"]:
        return "came"
    return "missed" if begun else ""


def signup_groups(people: list[dict[str, Any]], begun: bool) -> dict[str, list[dict[str, Any]]]:
    """An activity's sign-ups (``StaffRead.signup_people``) in the console's four lists:
    who holds a place, who waits (in the ledger's order), who came, who did not come."""
    return {
        "signed_up": [p for p in people if p["status"] == "confirmed"],
        "waiting": [p for p in people if p["status"] == "waiting"],
        "came": [p for p in people if came_or_missed(p, begun) == "came"],
        "missed": [p for p in people if came_or_missed(p, begun) == "missed"],
    }


def signup_lists(db: LedgerDB, day_from: date, day_to: date) -> list[dict[str, Any]]:
    """Every activity (general duty aside) starting in the days given, by start, with who
    signed up, who waits, who withdrew, and whether each came."""
    with db.read() as tx:
        return signup_lists_in(tx, day_from, day_to)


def signup_lists_in(tx: StaffRead, day_from: date, day_to: date) -> list[dict[str, Any]]:
    """``signup_lists`` inside a snapshot the caller holds (the 台账 reads all in one)."""
    lo, hi = day_from.isoformat(), (day_to + timedelta(days=1)).isoformat()
    acts = [
        a
        for a in tx.activities()
        if not a.get("general") and lo <= str(a.get("start", ""))[:10] < hi
    ]
    acts.sort(key=lambda a: (str(a.get("start", "")), a["activity_id"]))
    people = tx.signup_people([a["activity_id"] for a in acts])
    return [
        {
            "activity_id": a["activity_id"],
            "titles": titles(a, a["activity_id"]),
            "site_id": a.get("site_id", ""),
            "start": str(a.get("start", "")),
            "end": str(a.get("end", "")),
            "capacity": int(a.get("capacity") or 0),
            "people": people[a["activity_id"]],
        }
        for a in acts
    ]
