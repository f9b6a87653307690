"""What staff change in the console that a kiosk could also change (attendance corrections,
points adjustments, cancelled redemptions) goes through the ledger's own ingest as events,
so the same rules, the same double-entry journal, the change feed and the exceptions apply
as for a kiosk's event, and nothing is ever edited in place.

Each site has a console "kiosk" of its own (``CONSOLE-<site>``, with no usable token):
its events carry the staff account as the actor and a gap-free seq like any kiosk's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.core.correction import CorrectionRefusal, SessionFacts, correct_session
from kiosk.core.ids import uuid7_at
from kiosk.core.points import PointsRule

TZ = ZoneInfo("Asia/Shanghai")


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
    store: Any,
    db: Any,
    site_id: str,
    etype: str,
    actor: str,
    payload: dict,
    now: datetime,
    also: Callable[[Any, Posted], None] | None = None,
) -> Posted:
    """One event from the console at ``site_id``, applied by the ledger's ingest. The seq
    is taken inside ingest's own transaction (``LedgerDB.ingest_console``): several serve
    processes post for one site without a spurious conflict. ``also(w, posted)`` writes,
    in that same transaction, what goes with the change (its audit entry)."""
    event = {
        "id": uuid7_at(int(now.timestamp() * 1000)),
        "type": etype,
        "occurred_at": now.isoformat(timespec="milliseconds"),
        "clock_offset_ms": 0,
        "actor": actor[:64],
        "payload": payload,
    }

    def then(w: Any, ev: dict, result: dict) -> None:
        if also is not None:
            also(w, _posted(ev, result))

    ev, result = store.ingest_console(site_id, event, now, then)
    return _posted(ev, result)


def _posted(ev: dict, result: dict) -> Posted:
    return Posted(ev["id"], ev["kiosk_id"], ev["seq"], result["status"], result.get("reason"))


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
    audit: Callable[[Any, dict, Any, Posted], None] | None = None,
) -> tuple[dict, Any, Posted]:
    """Correct a session by the kiosk's rule; ``audit(w, row, verdict, posted)`` writes its
    audit entry in the correction's own transaction, if the ledger accepts it."""
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

    def also(w: Any, posted: Posted) -> None:
        if audit is not None and posted.status == "accepted":
            audit(w, row, verdict, posted)

    posted = post_event(store, db, row["site_id"], "attendance.correct", actor, payload, now, also)
    if posted.status != "accepted":
        raise ActionRefused("rejected", posted.reason or "")
    return row, verdict, posted
