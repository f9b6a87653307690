"""Staff corrections of attendance: a session's sign-out time set again by hand.

A forgotten sign-out is closed at the activity's end (or the day's end) with whatever
that gives; a wrong scan time gives too much or too little. Staff set the time the
volunteer really left, and the session's figures are worked out again by the same
points rule as a sign-out: whole minutes, the minimum, the daily cap (counting the
volunteer's other sessions that day, never this one's old figures), then the rounding.

Times are compared by the clock minute a person reads: the sign-in's seconds are
dropped, so "in 09:00, out 12:00" is 180 minutes, whatever second the card was scanned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .attendance import whole_minutes
from .points import PointsRule, session_points

MAX_SESSION_MINUTES = 16 * 60  # longer than any real shift: a typing slip, not a day's work


class CorrectionRefusal(StrEnum):
    OUT_BEFORE_IN = "out_before_in"
    OUT_IN_FUTURE = "out_in_future"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class SessionFacts:
    """What the rule needs to know about the session being corrected."""

    signed_in_at: datetime
    rule: PointsRule
    credited_same_day: int = 0  # minutes credited that day to the volunteer's *other* sessions


@dataclass(frozen=True)
class Corrected:
    signed_out_at: datetime
    minutes: int
    credited_minutes: int
    points: int


def minute_of(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def correct_session(
    facts: SessionFacts,
    signed_out_at: datetime,
    now: datetime,
    max_minutes: int = MAX_SESSION_MINUTES,
) -> Corrected | CorrectionRefusal:
    """The session's new figures for a sign-out at ``signed_out_at``, or why not.

    Refused: a sign-out before the sign-in's minute, after ``now``, or making the
    session longer than ``max_minutes``. A sign-out in the sign-in's own minute is
    allowed (a sign-in by mistake: nothing earned)."""
    if signed_out_at.tzinfo is None or facts.signed_in_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("correction times must be timezone-aware")
    start = minute_of(facts.signed_in_at)
    if signed_out_at < start:
        return CorrectionRefusal.OUT_BEFORE_IN
    if signed_out_at > now:
        return CorrectionRefusal.OUT_IN_FUTURE
    minutes = whole_minutes(start, signed_out_at)
    if minutes > max_minutes:
        return CorrectionRefusal.TOO_LONG
    credited, points = session_points(minutes, facts.rule, facts.credited_same_day)
    return Corrected(signed_out_at, minutes, credited, points)
