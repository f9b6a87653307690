"""What staff change in the console that a kiosk could also change (attendance corrections,
points adjustments, cancelled redemptions) goes through the ledger's own ingest as events,
so the same rules, the same double-entry journal, the change feed and the exceptions apply
as for a kiosk's event, and nothing is ever edited in place.

Each site has a console "kiosk" of its own (``CONSOLE-<site>``, with no usable token):
its events carry the staff account as the actor and a gap-free seq like any kiosk's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.core.correction import CorrectionRefusal, SessionFacts, correct_session
from kiosk.core.ids import uuid7_at
from kiosk.core.points import PointsRule

TZ = ZoneInfo("Asia/Shanghai")
_LOCK = threading.Lock()  # one console event at a time per process: seqs stay gap-free


class ActionRefused(ValueError):
    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class Posted:
    event_id: str
    kiosk_id: str
    seq: int
    status: str
    reason: str | None


def post_event(
    store: Any, db: Any, site_id: str, etype: str, actor: str, payload: dict, now: datetime
) -> Posted:
    """One event from the console at ``site_id``, applied by the ledger's ingest."""
    with _LOCK:
        with db.write() as w:
            kiosk_id, acked = w.console_kiosk(site_id, now.isoformat(timespec="milliseconds"))
        ev = {
            "id": uuid7_at(int(now.timestamp() * 1000)),
            "kiosk_id": kiosk_id,
            "seq": acked + 1,
            "type": etype,
            "occurred_at": now.isoformat(timespec="milliseconds"),
            "clock_offset_ms": 0,
            "actor": actor[:64],
            "payload": payload,
        }
        (result,), _ = store.ingest(kiosk_id, [ev], now)
    return Posted(ev["id"], kiosk_id, ev["seq"], result["status"], result.get("reason"))


def correction_preview(db: Any, session_id: str, signed_out_at: datetime, now: datetime):
    """(session, Corrected) for a sign-out at ``signed_out_at``, by the kiosk's own rule."""
    with db.read() as r:
        row = r.session_row(session_id)
        if row is None:
            raise ActionRefused("unknown_session")
        activity = r.activity(row["activity_id"]) or {}
        start = datetime.fromisoformat(row["signed_in_at"])
        day = start.astimezone(TZ).date()
        lo = datetime.combine(day, datetime.min.time(), TZ)
        others = sum(
            s["credited_minutes"] or 0
            for s in r.volunteer_sessions(
                row["volunteer_id"],
                int(lo.timestamp() * 1000),
                int((lo + timedelta(days=1)).timestamp() * 1000),
            )
            if s["session_id"] != session_id
            and datetime.fromisoformat(s["signed_in_at"]).astimezone(TZ).date() == day
        )
    facts = SessionFacts(start, PointsRule.from_dict(activity.get("rule")), others)
    verdict = correct_session(facts, signed_out_at.astimezone(TZ), now)
    if isinstance(verdict, CorrectionRefusal):
        raise ActionRefused(verdict.value)
    return row, verdict


def correct_attendance(
    store: Any,
    db: Any,
    session_id: str,
    signed_out_at: datetime,
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[dict, Any, Posted]:
    if not reason.strip():
        raise ActionRefused("reason_required")
    row, verdict = correction_preview(db, session_id, signed_out_at, now)
    out = verdict.signed_out_at.isoformat(timespec="milliseconds")
    payload = {
        "session_id": session_id,
        "volunteer_id": row["volunteer_id"],
        "activity_id": row["activity_id"],
        "signed_out_at": out,
        "minutes": verdict.minutes,
        "credited_minutes": verdict.credited_minutes,
        "points": verdict.points,
        "reason": reason.strip()[:200],
    }
    if row["status"] == "open":
        payload["closed_at"] = out
    posted = post_event(store, db, row["site_id"], "attendance.correct", actor, payload, now)
    if posted.status != "accepted":
        raise ActionRefused("rejected", posted.reason or "")
    return row, verdict, posted
