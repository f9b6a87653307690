"""Checks on one pushed event, without touching storage.

A failed check is a permanent rejection with a reason a person can read: the event
is recorded as rejected and the kiosk's queue moves on.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from kiosk.core.text import bad_char, line_ok
from sync.ledger.wirejson import ENC_DIGEST, event_bytes
from sync.protocol import (
    FAST_SHAPES,
    MAX_CLOCK_OFFSET_MS,
    MAX_SEQ,
    VALIDATORS,
    checks_fault,
    event_fault,
    known_fields,
    parsed_time,
    shape_fault,
)

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

MAX_DEPTH = (
    32  # nesting kept when a malformed event is stored (deeper parts are replaced by a marker)
)


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


# The last occurred_at turned into milliseconds, and those (one tuple, replaced whole): the
# ledger asks twice for most events it applies (the check's parse is ``parsed_time``'s).
_last_ms: tuple[str | None, int] = (None, 0)


def occurred_ms(ev: dict) -> int:
    """The ledger's best estimate of when it happened: kiosk time corrected by its offset
    (the time is parsed once for the check and for this)."""
    global _last_ms
    occurred = ev["occurred_at"]
    held = _last_ms
    if held[0] is occurred:  # identity, as parsed_time: the very str turned last
        ms = held[1]
    else:
        ms = int(parsed_time(occurred).timestamp() * 1000)
        _last_ms = (occurred, ms)
    return ms + int(ev.get("clock_offset_ms") or 0)


def stored_offset(ev: dict) -> int:
    """clock_offset_ms as the events table keeps it (0 where it is not a usable integer)."""
    v = ev.get("clock_offset_ms")
    return v if type(v) is int and -MAX_CLOCK_OFFSET_MS <= v <= MAX_CLOCK_OFFSET_MS else 0


# Payload fields that may hold a note over several lines; every other text is one line.
_MULTILINE = frozenset({"note"})


def _texts_fast(ev: dict) -> bool:
    """True only if the actor and every payload value are clean one-line text or not text
    (flat payloads: a nested one is left to ``_text_fault``). Printable text is clean: every
    character ``line_ok`` refuses (controls, surrogates, noncharacters, bidirectional
    controls, line and paragraph separators) is one ``str.isprintable`` refuses too, and that
    one call in C costs a fraction of the regular expression (Chinese text included); other
    text goes to ``line_ok``, which still lets through what is merely unprintable (a space
    other than U+0020, a private-use character)."""
    a = ev["actor"]
    if not a.isprintable() and not line_ok(a):
        return False
    for v in ev["payload"].values():
        t = type(v)
        if t is str:
            if not v.isprintable() and not line_ok(v):
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
    """None if the event is well formed (its type's schema in ``sync.protocol``, then clean
    text), else why not, in words a person reads."""
    # Every field may arrive as any JSON value: nothing here may raise, whatever it holds.
    # The checks' order decides which reason an event with several faults gets (``_reason``);
    # an event of this kiosk with a known type goes straight to its schema, which refuses
    # unknown fields too, so the one-by-one checks run only for a reason. What every good
    # event goes through is written out here, not called (``event_fault``'s fast path, then
    # the text): on a 500-event batch the calls cost a tenth of the check.
    etype = ev.get("type")
    shape = FAST_SHAPES.get(etype) if type(etype) is str else None
    if shape is None or ev.get("kiosk_id") != kiosk_id:
        return _reason(ev, kiosk_id)
    try:
        shape(ev)
    except ValidationError as exc:
        fault = shape_fault(ev, etype, exc)
    else:
        try:
            aware = parsed_time(ev["occurred_at"]).tzinfo is not None
        except ValueError:
            aware = False
        if (
            aware
            and known_fields(ev)
            and (etype != "attendance.sign_in" or ev["payload"]["session_id"] == ev["id"])
        ):
            if _texts_fast(ev):
                return None
            fault = None
        else:
            fault = checks_fault(ev, etype)
    return _unknown_fields(ev) or fault or _texts_fault(ev)


def _unknown_fields(ev: dict) -> str | None:
    if len(ev) > 8 or not _WIRE_SET.issuperset(ev):
        extra = ev.keys() - _WIRE_SET
        shown = sorted(brief(k, 30) for k in extra)
        return f"unknown fields: {', '.join(shown[:5])}" + (
            f" and {len(shown) - 5} more" if len(shown) > 5 else ""
        )
    return None


def _texts_fault(ev: dict) -> str | None:
    """Text a person will read in the 台账 (a name, an item, a reason): no control characters."""
    if _texts_fast(ev):
        return None
    return _text_fault("actor", ev["actor"]) or _text_fault("payload", ev["payload"])


def _reason(ev: dict, kiosk_id: str) -> str | None:
    """The first thing wrong, the checks in their order (None: nothing is)."""
    if refused := _unknown_fields(ev):
        return refused
    if ev.get("kiosk_id") != kiosk_id:
        return f"event kiosk_id {brief(ev.get('kiosk_id'))} is not the kiosk of this token ({kiosk_id})"
    etype = ev.get("type")
    if type(etype) is not str:
        return f"type must be a string, not {brief(etype)}"
    if etype not in VALIDATORS:
        return f"unknown event type {brief(etype)}"
    return event_fault(ev, etype) or _texts_fault(ev)
