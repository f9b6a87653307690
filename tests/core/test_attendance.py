from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import attendance as att
from kiosk.core.points import PointsRule

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 30, tzinfo=TZ)


def t(hh, mm=0, days=0):
    return DAY + timedelta(days=days, hours=hh, minutes=mm)


GENERAL = att.Activity("GEN", "sc", t(0), t(23, 59), general=True)
CANTEEN = att.Activity(
    "CANTEEN", "sc", t(10), t(13), rule=PointsRule(points_per_hour=15), signup=frozenset({"V1"})
)
CLEANUP = att.Activity("CLEAN", "sc", t(12), t(18))
OTHER_SITE = att.Activity("XS", "xs", t(10), t(13))
POLICY = att.Policy(debounce_seconds=120, grace_minutes=60)


def decide(now, session=None, activity=None, chosen=GENERAL, today=0, open_day=0):
    return att.decide_scan(
        now=now,
        open_session=session,
        open_activity=activity,
        chosen=chosen,
        credited_on_open_day=open_day,
        credited_today=today,
        policy=POLICY,
    )


def test_first_scan_signs_in():
    d = decide(t(9))
    assert (
        d.auto_close is None and isinstance(d.action, att.SignIn) and d.action.activity_id == "GEN"
    )


def test_second_scan_inside_debounce_records_nothing():
    s = att.OpenSession("s1", "V1", "GEN", t(9))
    d = decide(t(9, 1), s, GENERAL)
    assert isinstance(d.action, att.AlreadySignedIn) and d.action.seconds_ago == 60


def test_scan_after_debounce_signs_out_with_points():
    s = att.OpenSession("s1", "V1", "CANTEEN", t(10))
    d = decide(t(12, 5), s, CANTEEN)
    out = d.action
    assert isinstance(out, att.SignOut)
    assert (out.minutes, out.credited_minutes, out.points, out.below_minimum) == (
        125,
        125,
        30,
        False,
    )


def test_short_session_signs_out_without_points():
    s = att.OpenSession("s1", "V1", "GEN", t(9))
    out = decide(t(9, 10), s, GENERAL).action
    assert isinstance(out, att.SignOut) and out.points == 0 and out.below_minimum


def test_session_from_an_earlier_day_is_never_a_sign_out():
    s = att.OpenSession("s1", "V1", "CANTEEN", t(10, days=-1))
    yesterday_canteen = att.Activity("CANTEEN", "sc", t(10, days=-1), t(13, days=-1))
    d = decide(t(9), s, yesterday_canteen)
    assert isinstance(d.action, att.SignIn)
    ac = d.auto_close
    assert ac is not None and ac.reason == "earlier_day"
    assert ac.closed_at == t(13, days=-1) and ac.minutes == 180 and ac.points == 30


def test_session_of_a_finished_activity_is_closed_at_its_scheduled_end():
    s = att.OpenSession("s1", "V1", "CANTEEN", t(10, 30))
    d = decide(t(16), s, CANTEEN)
    assert isinstance(d.action, att.SignIn)
    assert d.auto_close.reason == "activity_finished"
    assert d.auto_close.closed_at == t(13) and d.auto_close.minutes == 150
    # within the grace period, the same scan is an ordinary sign-out
    assert isinstance(decide(t(13, 30), s, CANTEEN).action, att.SignOut)


def test_forgotten_session_never_credited_past_now_or_before_sign_in():
    s = att.OpenSession("s1", "V1", "CANTEEN", t(14))  # signed in after the end (paper sheet)
    ac = att.close_forgotten(s, CANTEEN, t(16), 0, "activity_finished")
    assert ac.minutes == 0 and ac.points == 0 and ac.closed_at == t(14)


@given(st.integers(0, 36 * 60), st.integers(0, 36 * 60))
def test_open_session_is_either_signed_out_or_closed_as_forgotten(start_min, later_min):
    start = t(0) + timedelta(minutes=start_min)
    now = start + timedelta(minutes=later_min)
    s = att.OpenSession("s1", "V1", "GEN", start)
    day_start = start.replace(hour=0, minute=0)
    general_that_day = att.Activity(
        "GEN", "sc", day_start, day_start + timedelta(hours=23, minutes=59), general=True
    )
    d = decide(now, s, general_that_day)
    if start.date() < now.date():
        assert d.auto_close is not None and isinstance(d.action, att.SignIn)
    elif later_min * 60 < POLICY.debounce_seconds:
        assert isinstance(d.action, att.AlreadySignedIn)
    else:
        assert d.auto_close is None and isinstance(d.action, att.SignOut)


def test_choose_activity_prefers_the_sign_up():
    default, candidates = att.choose_activity(
        [GENERAL, CANTEEN, CLEANUP, OTHER_SITE], "sc", "V1", t(12, 30)
    )
    assert default.activity_id == "CANTEEN"
    assert [a.activity_id for a in candidates] == ["CANTEEN", "CLEAN", "GEN"]
    default, _ = att.choose_activity([GENERAL, CANTEEN, CLEANUP], "sc", "V9", t(12, 30))
    assert default.activity_id == "GEN"  # two running, not signed up for either: general duty
    default, _ = att.choose_activity([GENERAL, CANTEEN], "sc", "V9", t(11))
    assert default.activity_id == "CANTEEN"  # the only specific activity now
    default, candidates = att.choose_activity([OTHER_SITE], "sc", "V1", t(11))
    assert default is None and candidates == []
