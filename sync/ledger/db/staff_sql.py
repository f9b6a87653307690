"""Statements the month's 台账 (``staff/exports.py``) runs, shared by both backends: each
passes its placeholder and its way of reading a field of a JSON payload."""

from __future__ import annotations

JOURNAL_KEYS = (
    "entry_id",
    "debit",
    "credit",
    "amount",
    "memo",
    "ref",
    "reverses",
    "posted_at",
    "occurred_at",
    "kiosk_id",
    "actor",
    "reason",
)


def journal_in_window(mark: str, reason: str) -> str:
    """Journal entries whose time (the kiosk event's, else the posting's) sorts in [lo, hi),
    by entry id. ``reason``: the SQL for ``e.payload``'s reason field. The window is filtered
    here so a month's export neither carries nor parses the other months' payloads."""
    when = "COALESCE(e.occurred_at, j.posted_at)"
    return (
        "SELECT j.entry_id, j.debit, j.credit, j.amount, j.memo, j.ref, j.reverses, j.posted_at,"
        f" e.occurred_at, e.kiosk_id, e.actor, {reason}"
        " FROM journal j LEFT JOIN events e ON e.id = j.event_id"
        f" WHERE {when} >= {mark} AND {when} < {mark} ORDER BY j.entry_id"
    )
