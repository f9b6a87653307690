"""The ledger's event validator as it was before the schema in sync.protocol replaced it
(hand-written checks with a fast path), kept only as the reference bench_validate.py
measures the schema against, in the same run. Not used by the product.

Original docstring: checks on one pushed event, without touching storage.

A failed check is a permanent rejection with a reason a person can read: the event
is recorded as rejected and the kiosk's queue moves on.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from kiosk.core.text import bad_char, line_ok
from sync.ledger.wirejson import ENC_DIGEST, event_bytes
from sync.protocol import EVENT_TYPES

_TYPES = frozenset(EVENT_TYPES)
WIRE_FIELDS = (
    "id",
    "kiosk_id",
    "seq",
    "type",
    "occurred_at",
    "clock_offset_ms",
    "actor",
    "payload",
)
_WIRE_SET = frozenset(WIRE_FIELDS)

MAX_SEQ = 2**63 - 1  # SQLite's INTEGER
MAX_AMOUNT = (
    10**9
)  # points, costs, minutes, quantities: far beyond any real event, far below 64 bits
MAX_CLOCK_OFFSET_MS = (
    2**53
)  # a kiosk whose clock restarted at 1970 is ~1.8e12 ms off: still accepted
MAX_DEPTH = (
    32  # nesting kept when a malformed event is stored (deeper parts are replaced by a marker)
)


def _is_int(v: Any, limit: int = MAX_AMOUNT) -> bool:
    return type(v) is int and -limit <= v <= limit


def _is_str(v: Any, limit: int = 64) -> bool:
    return type(v) is str and 0 < len(v) <= limit


def text_ok(v: str) -> bool:
    """Whether a str is real Unicode text (no lone surrogates): SQLite and UTF-8 can hold it."""
    if v.isascii():
        return True
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def brief(v: Any, limit: int = 60) -> str:
    """A value for a reason a person reads: short, one line, never raising (deep or huge values)."""
    if type(v) is str:  # repr escapes what is not printable, lone surrogates included
        return repr(v[:limit]) + ("..." if len(v) > limit else "")
    if v is None or type(v) in (bool, float) or (type(v) is int and -(10**18) < v < 10**18):
        return repr(v)
    return {int: "a very large integer", list: "a list", dict: "an object"}.get(
        type(v), type(v).__name__
    )


def _nonneg(p: dict, *names: str) -> str | None:
    for n in names:
        if not _is_int(p.get(n)) or p[n] < 0:
            return f"payload.{n} must be a non-negative integer (at most {MAX_AMOUNT:,})"
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
    if r := _strs(p, "session_id") or _nonneg(p, "minutes", "credited_minutes", "points"):
        return r
    for n in ("closed_at", "signed_out_at"):  # kept on the session: a time, or absent
        v = p.get(n)
        if v is not None and type(v) is not str:
            return f"payload.{n} must be an ISO 8601 time"
    return None


def _redeem(ev: dict, p: dict) -> str | None:
    return _strs(p, "redemption_id", "item_id", "site_id") or _nonneg(p, "cost")


def _cancel(ev: dict, p: dict) -> str | None:
    return _strs(p, "redemption_id")


def _restock(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "site_id", "item_id"):
        return r
    if not _is_int(p.get("qty")) or p["qty"] <= 0:
        return f"payload.qty must be a positive integer (at most {MAX_AMOUNT:,})"
    return None


def _stock_adjust(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "site_id", "item_id"):
        return r
    return (
        None
        if _is_int(p.get("delta"))
        else f"payload.delta must be an integer (at most {MAX_AMOUNT:,} either way)"
    )


def _points_adjust(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "volunteer_id"):
        return r
    return (
        None
        if _is_int(p.get("delta"))
        else f"payload.delta must be an integer (at most {MAX_AMOUNT:,} either way)"
    )


def _catalog(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "item_id") or _nonneg(p, "cost"):
        return r
    if p.get("kind", "goods") not in ("goods", "privilege", "ticket"):
        return "payload.kind must be goods, privilege or ticket"
    return None


def _staff_open(ev: dict, p: dict) -> str | None:
    return _strs(p, "session_id") or _nonneg(p, "card_version")


def _staff_close(ev: dict, p: dict) -> str | None:
    if r := _strs(p, "session_id"):
        return r
    if p.get("reason") not in ("leave", "idle", "restart", "closed"):
        return "payload.reason must be leave, idle, restart or closed"
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
    "staff.session_open": _staff_open,
    "staff.session_close": _staff_close,
}


def slot(ev: Any) -> tuple[str, int] | None:
    """(id, seq) if the event can be placed in a kiosk's sequence at all."""
    if not isinstance(ev, dict):
        return None
    eid, seq = ev.get("id"), ev.get("seq")
    if not _is_str(eid) or not text_ok(eid) or type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        return None
    return eid, seq


def event_digest(ev: dict) -> str:
    """Content identity of an event as sent: same id + same digest = the same event."""
    return digest_and_fault(ev)[0]


_HEAD = WIRE_FIELDS[:-1]
assert _HEAD == (
    "id",
    "kiosk_id",
    "seq",
    "type",
    "occurred_at",
    "clock_offset_ms",
    "actor",
)  # as spelled out below


def digest_and_fault(ev: dict) -> tuple[str, str | None, str | None]:
    """(digest, fault, payload text). fault is None, or why the event's text cannot be stored as
    sent (a lone surrogate, nesting too deep to encode): such an event is rejected and stored as
    ``sanitized`` gives it, and its digest is taken over that form, so a resend still matches.
    The payload text (None with a fault) is what the events table keeps. Never raises."""
    try:
        # Canonical form: json.dumps([...], sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        # default=str), byte for byte (stored digests must keep matching resent events).
        get = ev.get
        data, payload = event_bytes(
            [
                get("id"),
                get("kiosk_id"),
                get("seq"),
                get("type"),
                get("occurred_at"),
                get("clock_offset_ms"),
                get("actor"),
            ],
            get("payload"),
        )
        return hashlib.sha256(data).hexdigest(), None, payload
    except UnicodeEncodeError:
        fault = "the event holds text that is not valid Unicode (a lone surrogate)"
    except (RecursionError, ValueError):
        fault = "the event is nested too deeply"
    # Events like these were never stored before (they failed the whole batch), so any stable
    # form will do; the prefix keeps it apart from every canonical digest.
    body = b"sanitized:" + ENC_DIGEST.encode(sanitized([ev.get(k) for k in WIRE_FIELDS])).encode(
        "utf-8"
    )
    return hashlib.sha256(body).hexdigest(), fault, None


def sanitized(v: Any, depth: int = 0) -> Any:
    """A copy of a JSON value that can always be encoded and stored: lone surrogates escaped
    (``\\udXXX``), nesting below ``MAX_DEPTH`` replaced by a marker."""
    t = type(v)
    if t is str:
        return v if text_ok(v) else v.encode("utf-8", "backslashreplace").decode("utf-8")
    if t is dict or t is list:
        if depth >= MAX_DEPTH:
            return "<nested too deeply>"
        if t is list:
            return [sanitized(x, depth + 1) for x in v]
        return {sanitized(str(k), depth + 1): sanitized(x, depth + 1) for k, x in v.items()}
    if v is None or t in (int, float, bool):
        return v
    return str(v)


_parsed: list[Any] = [
    None,
    None,
]  # (str, datetime.fromisoformat of it): the last time a check parsed


def occurred_ms(ev: dict) -> int:
    """The ledger's best estimate of when it happened: kiosk time corrected by its offset."""
    occurred = ev["occurred_at"]
    held, dt = _parsed
    if (
        occurred is not held
    ):  # identity: the very str parsed last (parsing is a pure function of it)
        dt = datetime.fromisoformat(occurred)
    return int(dt.timestamp() * 1000) + int(ev.get("clock_offset_ms") or 0)


def stored_offset(ev: dict) -> int:
    """clock_offset_ms as the events table keeps it (0 where it is not a usable integer)."""
    v = ev.get("clock_offset_ms")
    return v if type(v) is int and -MAX_CLOCK_OFFSET_MS <= v <= MAX_CLOCK_OFFSET_MS else 0


def _fast_ok(ev: dict, kiosk_id: str) -> bool:
    """True only where ``check_full`` would return None (the shape, then the texts)."""
    return _fast_shape_ok(ev, kiosk_id) and _texts_fast(ev)


def _fast_shape_ok(ev: dict, kiosk_id: str) -> bool:
    """True only where ``check_full`` would return None, for the shapes kiosks send all day
    (one pass, no helper calls). False means "not sure": ``check_full`` decides."""
    if not ev.keys() <= _WIRE_SET or ev.get("kiosk_id") != kiosk_id:
        return False
    etype, actor, occurred, p = (
        ev.get("type"),
        ev.get("actor"),
        ev.get("occurred_at"),
        ev.get("payload"),
    )
    off = ev.get("clock_offset_ms", 0)
    if (
        type(etype) is not str
        or type(actor) is not str
        or not 0 < len(actor) <= 64
        or type(off) is not int
        or not -MAX_CLOCK_OFFSET_MS <= off <= MAX_CLOCK_OFFSET_MS
        or type(occurred) is not str
        or len(occurred) > 64
        or type(p) is not dict
    ):
        return False
    try:
        when = datetime.fromisoformat(occurred)
    except ValueError:
        return False
    if when.tzinfo is None:
        return False
    _parsed[:] = (occurred, when)  # applying the event reads the same time again (``occurred_ms``)
    if etype == "attendance.sign_in":
        sid, aid, site = p.get("session_id"), p.get("activity_id"), p.get("site_id")
        return (
            type(sid) is str
            and 0 < len(sid) <= 64
            and type(aid) is str
            and 0 < len(aid) <= 64
            and type(site) is str
            and 0 < len(site) <= 64
            and sid == ev["id"]
        )
    if (
        etype == "attendance.sign_out"
        or etype == "attendance.auto_close"
        or etype == "attendance.correct"
    ):
        sid, m, cm, pts = (
            p.get("session_id"),
            p.get("minutes"),
            p.get("credited_minutes"),
            p.get("points"),
        )
        ca, so = p.get("closed_at"), p.get("signed_out_at")
        return (
            type(sid) is str
            and 0 < len(sid) <= 64
            and type(m) is int
            and 0 <= m <= MAX_AMOUNT
            and type(cm) is int
            and 0 <= cm <= MAX_AMOUNT
            and type(pts) is int
            and 0 <= pts <= MAX_AMOUNT
            and (ca is None or type(ca) is str)
            and (so is None or type(so) is str)
        )
    if etype == "redemption.create":
        rid, item, site, cost = (
            p.get("redemption_id"),
            p.get("item_id"),
            p.get("site_id"),
            p.get("cost"),
        )
        return (
            type(rid) is str
            and 0 < len(rid) <= 64
            and type(item) is str
            and 0 < len(item) <= 64
            and type(site) is str
            and 0 < len(site) <= 64
            and type(cost) is int
            and 0 <= cost <= MAX_AMOUNT
        )
    if etype == "stock.restock":
        item, site, qty = p.get("item_id"), p.get("site_id"), p.get("qty")
        return (
            type(item) is str
            and 0 < len(item) <= 64
            and type(site) is str
            and 0 < len(site) <= 64
            and type(qty) is int
            and 0 < qty <= MAX_AMOUNT
        )
    return False


# Payload fields that may hold a note over several lines; every other text is one line.
_MULTILINE = frozenset({"note"})


def _texts_fast(ev: dict) -> bool:
    """True only if the actor and every payload value are clean one-line text or not text
    (flat payloads: a nested one is left to ``_text_fault``)."""
    if not line_ok(ev["actor"]):
        return False
    for v in ev["payload"].values():
        t = type(v)
        if t is str:
            if not line_ok(v):
                return False
        elif t is dict or t is list:
            return False
    return True


def _text_fault(where: str, v: Any, depth: int = 0) -> str | None:
    """The first text in ``v`` that may not be stored (kiosk.core.text), as a reason."""
    t = type(v)
    if t is str:
        bad = bad_char(v, multiline=where.rsplit(".", 1)[-1] in _MULTILINE)
        return f"{where} contains a control character ({bad})" if bad else None
    if depth >= MAX_DEPTH:
        return None
    if t is dict:
        for k, x in v.items():
            if type(k) is str and (bad := bad_char(k)):
                return f"{where} has a key with a control character ({bad})"
            name = k[:20] if type(k) is str else brief(k, 20)
            if r := _text_fault(f"{where}.{name}", x, depth + 1):
                return r
    elif t is list:
        for i, x in enumerate(v[:1000]):
            if r := _text_fault(f"{where}[{i}]", x, depth + 1):
                return r
    return None


def check(ev: dict, kiosk_id: str) -> str | None:
    """None if the event is well formed, else why not."""
    if _fast_ok(ev, kiosk_id):
        return None
    return check_full(ev, kiosk_id)


def check_full(ev: dict, kiosk_id: str) -> str | None:
    """``check`` without its fast path: every rule, in order, with its reason."""
    # Every field may arrive as any JSON value: nothing here may raise, whatever it holds.
    extra = ev.keys() - _WIRE_SET
    if extra:
        shown = sorted(brief(k, 30) for k in extra)
        return f"unknown fields: {', '.join(shown[:5])}" + (
            f" and {len(shown) - 5} more" if len(shown) > 5 else ""
        )
    if ev.get("kiosk_id") != kiosk_id:
        return f"event kiosk_id {brief(ev.get('kiosk_id'))} is not the kiosk of this token ({kiosk_id})"
    etype = ev.get("type")
    if type(etype) is not str:
        return f"type must be a string, not {brief(etype)}"
    if etype not in _TYPES:
        return f"unknown event type {brief(etype)}"
    if not _is_str(ev.get("actor")):
        return "actor must be a non-empty string (at most 64 characters)"
    if not _is_int(ev.get("clock_offset_ms", 0), MAX_CLOCK_OFFSET_MS):
        return "clock_offset_ms must be an integer (milliseconds)"
    occurred = ev.get("occurred_at")
    if type(occurred) is not str or len(occurred) > 64:
        return "occurred_at must be an ISO 8601 time"
    try:
        when = datetime.fromisoformat(occurred)
    except ValueError:
        return f"occurred_at {brief(occurred)} is not an ISO 8601 time"
    if when.tzinfo is None:  # aware (a fixed offset): its timestamp exists for every year 1..9999
        return "occurred_at must carry a time zone offset"
    payload = ev.get("payload")
    if type(payload) is not dict:
        return "payload must be an object"
    if r := _PAYLOAD_CHECKS[etype](ev, payload):
        return r
    # Text a person will read in the 台账 (a name, an item, a reason): no control characters.
    return _text_fault("actor", ev["actor"]) or _text_fault("payload", payload)
