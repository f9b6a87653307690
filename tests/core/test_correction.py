"""Staff corrections of a session's sign-out time: the same points rule as a sign-out,
with the daily cap counted over the volunteer's other sessions, and no impossible times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.correction import (
    MAX_SESSION_MINUTES,
    Corrected,
    CorrectionRefusal,
    SessionFacts,
    correct_session,
)
from kiosk.core.points import PointsRule, session_points

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 30, tzinfo=TZ)

rules = st.builds(
    PointsRule,
    points_per_hour=st.integers(0, 60),
    round_minutes=st.integers(1, 120),
    min_minutes=st.integers(0, 60),
    daily_cap_minutes=st.integers(0, 1440),
)
sign_ins = st.builds(
    lambda m, s, us: DAY + timedelta(minutes=m, seconds=s, microseconds=us),
    st.integers(0, 36 * 60),
    st.integers(0, 59),
    st.integers(0, 999_999),
)
offsets = st.integers(-300, 30 * 60)  # minutes from the sign-in's minute to the corrected sign-out


def start_minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def test_a_forgotten_sign_out_corrected_to_the_real_time():
    # In 09:00:41 (seconds are not counted), auto-closed at 23:59 with nothing; really left at 12:00.
    facts = SessionFacts(DAY.replace(hour=9, second=41), PointsRule(), credited_same_day=0)
    now = DAY + timedelta(days=1, hours=9)
    assert correct_session(facts, DAY.replace(hour=12), now) == Corrected(
        DAY.replace(hour=12), 180, 180, 30
    )
    # the same minute as the sign-in: a sign-in by mistake, nothing earned, but allowed
    assert correct_session(facts, DAY.replace(hour=9), now) == Corrected(
        DAY.replace(hour=9), 0, 0, 0
    )


def test_refusals():
    facts = SessionFacts(DAY.replace(hour=9), PointsRule())
    now = DAY.replace(hour=15)
    assert (
        correct_session(facts, DAY.replace(hour=8, minute=59), now)
        == CorrectionRefusal.OUT_BEFORE_IN
    )
    assert (
        correct_session(facts, DAY.replace(hour=15, minute=1), now)
        == CorrectionRefusal.OUT_IN_FUTURE
    )
    later = DAY + timedelta(days=1, hours=3)
    assert correct_session(facts, DAY + timedelta(hours=9 + 16), later) == Corrected(
        DAY + timedelta(hours=25), 960, 480, 80
    )  # 16 h is the most; the daily cap still holds
    assert (
        correct_session(facts, DAY + timedelta(hours=9 + 16, minutes=1), later)
        == CorrectionRefusal.TOO_LONG
    )
    with pytest.raises(ValueError):
        correct_session(facts, datetime(2026, 11, 30, 12), now)


def test_the_cap_counts_the_other_sessions_of_that_day():
    facts = SessionFacts(DAY.replace(hour=14), PointsRule(), credited_same_day=420)
    out = correct_session(facts, DAY.replace(hour=17), DAY.replace(hour=20))
    assert (out.minutes, out.credited_minutes, out.points) == (180, 60, 10)


@given(rules, sign_ins, offsets, st.integers(0, 2000), st.integers(-60, 3000))
def test_accepted_figures_follow_the_points_rule(rule, signed_in, offset, others, now_after):
    facts = SessionFacts(signed_in, rule, others)
    out_at = start_minute(signed_in) + timedelta(minutes=offset)
    now = out_at + timedelta(minutes=now_after)
    verdict = correct_session(facts, out_at, now)
    if offset < 0:
        assert verdict == CorrectionRefusal.OUT_BEFORE_IN
    elif now_after < 0:
        assert verdict == CorrectionRefusal.OUT_IN_FUTURE
    elif offset > MAX_SESSION_MINUTES:
        assert verdict == CorrectionRefusal.TOO_LONG
    else:
        assert isinstance(verdict, Corrected)
        assert verdict.signed_out_at == out_at and verdict.minutes == offset
        assert (verdict.credited_minutes, verdict.points) == session_points(offset, rule, others)
        assert 0 <= verdict.credited_minutes <= verdict.minutes and verdict.points >= 0
        # the day's cap holds with this session's new figures
        assert verdict.credited_minutes + others <= max(rule.daily_cap_minutes, others)


@given(rules, sign_ins, offsets, offsets, st.integers(0, 2000))
def test_a_later_sign_out_never_earns_less(rule, signed_in, a, b, others):
    facts = SessionFacts(signed_in, rule, others)
    now = signed_in + timedelta(days=3)
    lo, hi = sorted((a, b))
    first = correct_session(facts, start_minute(signed_in) + timedelta(minutes=lo), now)
    second = correct_session(facts, start_minute(signed_in) + timedelta(minutes=hi), now)
    if isinstance(first, Corrected) and isinstance(second, Corrected):
        assert first.points <= second.points and first.credited_minutes <= second.credited_minutes


@given(rules, sign_ins, st.integers(0, MAX_SESSION_MINUTES), st.integers(0, 900))
def test_the_same_moment_in_any_time_zone_gives_the_same_figures(rule, signed_in, offset, others):
    """The kiosk writes local times; a time read back in UTC (the ledger, a log) is the same moment."""
    facts = SessionFacts(signed_in, rule, others)
    out_at = start_minute(signed_in) + timedelta(minutes=offset)
    now = signed_in + timedelta(days=2)
    local = correct_session(facts, out_at, now)
    utc = correct_session(
        SessionFacts(signed_in.astimezone(UTC), rule, others), out_at.astimezone(UTC), now
    )
    assert isinstance(local, Corrected) and isinstance(utc, Corrected)
    assert (local.minutes, local.credited_minutes, local.points) == (
        utc.minutes,
        utc.credited_minutes,
        utc.points,
    )
