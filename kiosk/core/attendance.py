"""Attendance: what a scan at the home screen means.

One volunteer has at most one open session. A scan with no open session signs in;
a scan inside the debounce window is "already signed in" and records nothing; a
later scan signs out. A session left open from an earlier day or from an activity
that has finished is never turned into a sign-out: it is closed as forgotten
(credited up to the scheduled end, flagged for staff) and the scan signs in anew.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .points import PointsRule, session_points


@dataclass(frozen=True)
class Activity:
    activity_id: str
    site_id: str
    start: datetime
    end: datetime
    title_zh: str = ""
    title_en: str = ""
    rule: PointsRule = field(default_factory=PointsRule)
    capacity: int = 0  # 0: no limit
    signup: frozenset[str] = frozenset()  # who holds a place, as the ledger last said
    general: bool = False  # "general duty": always available at its site
    waiting: tuple[str, ...] = ()  # the waiting list, first come first

    def is_running(self, now: datetime) -> bool:
        return self.start <= now <= self.end

    def is_finished(self, now: datetime, grace: timedelta) -> bool:
        return now > self.end + grace


@dataclass(frozen=True)
class OpenSession:
    session_id: str  # the sign-in event id: points are keyed by it, never awarded twice
    volunteer_id: str
    activity_id: str
    signed_in_at: datetime


@dataclass(frozen=True)
class Policy:
    debounce_seconds: int = 120
    grace_minutes: int = 60  # after the scheduled end, before a session counts as forgotten


@dataclass(frozen=True)
class SignIn:
    activity_id: str
    at: datetime


@dataclass(frozen=True)
class AlreadySignedIn:
    session: OpenSession
    seconds_ago: int


@dataclass(frozen=True)
class SignOut:
    session: OpenSession
    at: datetime
    minutes: int
    credited_minutes: int
    points: int
    below_minimum: bool


@dataclass(frozen=True)
class AutoClose:
    """A forgotten session, closed at the scheduled end and flagged for staff review."""

    session: OpenSession
    closed_at: datetime  # what is credited: up to the scheduled end, never past now
    minutes: int
    credited_minutes: int
    points: int
    reason: str  # "earlier_day" | "activity_finished"


@dataclass(frozen=True)
class ScanDecision:
    """What to record, in order: an auto-close of a forgotten session, then one action."""

    auto_close: AutoClose | None
    action: SignIn | SignOut | AlreadySignedIn


def whole_minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def forgotten_reason(
    session: OpenSession, activity: Activity | None, now: datetime, policy: Policy
) -> str | None:
    if session.signed_in_at.astimezone(now.tzinfo).date() < now.date():
        return "earlier_day"
    if activity is not None and activity.is_finished(now, timedelta(minutes=policy.grace_minutes)):
        return "activity_finished"
    return None


def close_forgotten(
    session: OpenSession, activity: Activity | None, now: datetime, credited_today: int, reason: str
) -> AutoClose:
    """Credit a forgotten session up to its scheduled end (or its own day's end, if the
    activity is unknown), never beyond now."""
    if activity is not None:
        end = activity.end
        rule = activity.rule
    else:
        local = session.signed_in_at
        end = local.replace(hour=23, minute=59, second=59, microsecond=0)
        rule = PointsRule()
    end = min(end, now)
    end = max(end, session.signed_in_at)
    minutes = whole_minutes(session.signed_in_at, end)
    credited, points = session_points(minutes, rule, credited_today)
    return AutoClose(session, end, minutes, credited, points, reason)


def decide_scan(
    *,
    now: datetime,
    open_session: OpenSession | None,
    open_activity: Activity | None,
    chosen: Activity,
    credited_on_open_day: int,
    credited_today: int,
    policy: Policy = Policy(),
) -> ScanDecision:
    """Decide what one scan does.

    ``credited_on_open_day``: minutes already credited on the day the open session
    started (for its daily cap); ``credited_today``: minutes already credited today.
    """
    auto = None
    if open_session is not None:
        reason = forgotten_reason(open_session, open_activity, now, policy)
        if reason is not None:
            auto = close_forgotten(open_session, open_activity, now, credited_on_open_day, reason)
        else:
            elapsed = (now - open_session.signed_in_at).total_seconds()
            if elapsed < policy.debounce_seconds:
                return ScanDecision(None, AlreadySignedIn(open_session, max(0, int(elapsed))))
            rule = open_activity.rule if open_activity is not None else PointsRule()
            minutes = whole_minutes(open_session.signed_in_at, now)
            credited, points = session_points(minutes, rule, credited_today)
            below = minutes < rule.min_minutes
            return ScanDecision(None, SignOut(open_session, now, minutes, credited, points, below))
    return ScanDecision(auto, SignIn(chosen.activity_id, now))


def choose_activity(
    activities: list[Activity], site_id: str, volunteer_id: str, now: datetime
) -> tuple[Activity | None, list[Activity]]:
    """(default, candidates) for a sign-in at a site now.

    Candidates are the activities running now at this site plus general duty. The
    default is the one the volunteer signed up for, else the only specific one, else
    general duty. When there is more than one candidate the volunteer may tap another.
    """
    here = [a for a in activities if a.site_id == site_id]
    running = [a for a in here if not a.general and a.is_running(now)]
    general = [a for a in here if a.general and a.start.date() == now.date()] or [
        a for a in here if a.general
    ]
    candidates = sorted(running, key=lambda a: (a.start, a.activity_id)) + general[:1]
    if not candidates:
        return None, []
    signed_up = [a for a in running if volunteer_id in a.signup]
    if signed_up:
        return signed_up[0], candidates
    if len(running) == 1:
        return running[0], candidates
    if general:
        return general[0], candidates
    return candidates[0], candidates
