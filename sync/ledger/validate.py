"""Checks on one pushed event, without touching storage.

A failed check is a permanent rejection with a reason a person can read: the event
is recorded as rejected and the kiosk's queue moves on.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sync.protocol import EVENT_TYPES

from .wirejson import digest_bytes

_TYPES = frozenset(EVENT_TYPES)
WIRE_FIELDS = ("id", "kiosk_id", "seq", "type", "occurred_at", "clock_offset_ms", "actor", "payload")
_WIRE_SET = frozenset(WIRE_FIELDS)


def _is_int(v: Any) -> bool:
    return type(v) is int


def _is_str(v: Any, limit: int = 64) -> bool:
    return type(v) is str and 0 < len(v) <= limit


def _nonneg(p: dict, *names: str) -> str | None:
    for n in names:
        if not _is_int(p.get(n)) or p[n] < 0:
            return f"payload.{n} must be a non-negative integer"
    return None


def _strs(p: dict, *names: str) -> str | None:
    for n in names:
        if not _is_str(p.get(n)):
            return f"payload.{n} must be a non-empty string"
    return None


def _sign_in(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "session_id", "activity_id", "site_id"):
        return r
    if p["session_id"] != ev["id"]:
        return "payload.session_id must be the sign-in event id"
    return None


def _close(ev: dict, p: dict) -> str | None:
    return _strs(p, "session_id") or _nonneg(p, "minutes", "credited_minutes", "points")


def _redeem(ev: dict, p: dict) -> str | None:
    return _strs(p, "redemption_id", "item_id", "site_id") or _nonneg(p, "cost")


def _cancel(ev: dict, p: dict) -> str | None:
    return _strs(p, "redemption_id")


def _restock(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "site_id", "item_id"):
        return r
    if not _is_int(p.get("qty")) or p["qty"] <= 0:
        return "payload.qty must be a positive integer"
    return None


def _stock_adjust(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "site_id", "item_id"):
        return r
    return None if _is_int(p.get("delta")) else "payload.delta must be an integer"


def _points_adjust(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "volunteer_id"):
        return r
    return None if _is_int(p.get("delta")) else "payload.delta must be an integer"


def _catalog(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "item_id") or _nonneg(p, "cost"):
        return r
    if p.get("kind", "goods") not in ("goods", "privilege", "ticket"):
        return "payload.kind must be goods, privilege or ticket"
    return None


_PAYLOAD_CHECKS = {
    "attendance.sign_in": _sign_in,
    "attendance.sign_out": _close,
    "attendance.auto_close": _close,
    "attendance.correct": _close,
    "redemption.create": _redeem,
    "redemption.cancel": _cancel,
    "stock.restock": _restock,
    "stock.adjust": _stock_adjust,
    "points.adjust": _points_adjust,
    "catalog.upsert": _catalog,
}


def slot(ev: Any) -> tuple[str, int] | None:
    """(id, seq) if the event can be placed in a kiosk's sequence at all."""
    if not isinstance(ev, dict):
        return None
    eid, seq = ev.get("id"), ev.get("seq")
    if not _is_str(eid) or not _is_int(seq) or seq < 1:
        return None
    return eid, seq


def event_digest(ev: dict) -> str:
    """Content identity of an event as sent: same id + same digest = the same event."""
    # Canonical form: json.dumps([...], sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    # default=str), byte for byte (stored digests must keep matching resent events).
    return hashlib.sha256(digest_bytes([ev.get(k) for k in WIRE_FIELDS])).hexdigest()


def occurred_ms(ev: dict) -> int:
    """The ledger's best estimate of when it happened: kiosk time corrected by its offset."""
    dt = datetime.fromisoformat(ev["occurred_at"])
    return int(dt.timestamp() * 1000) + int(ev.get("clock_offset_ms") or 0)


def check(ev: dict, kiosk_id: str) -> str | None:
    """None if the event is well formed, else why not."""
    extra = ev.keys() - _WIRE_SET
    if extra:
        return f"unknown fields: {', '.join(sorted(extra))}"
    if ev.get("kiosk_id") != kiosk_id:
        return f"event kiosk_id {ev.get('kiosk_id')!r} is not the kiosk of this token ({kiosk_id})"
    etype = ev.get("type")
    if etype not in _TYPES:
        return f"unknown event type {etype!r}"
    if not _is_str(ev.get("actor")):
        return "actor must be a non-empty string"
    if not _is_int(ev.get("clock_offset_ms", 0)):
        return "clock_offset_ms must be an integer"
    occurred = ev.get("occurred_at")
    if type(occurred) is not str:
        return "occurred_at must be an ISO 8601 time"
    try:
        when = datetime.fromisoformat(occurred)
    except ValueError:
        return f"occurred_at {occurred!r} is not an ISO 8601 time"
    if when.tzinfo is None:
        return "occurred_at must carry a time zone offset"
    payload = ev.get("payload")
    if not isinstance(payload, dict):
        return "payload must be an object"
    return _PAYLOAD_CHECKS[etype](ev, payload)
