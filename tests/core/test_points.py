from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.points import PointsRule, credited_minutes, points_for, session_points

rules = st.builds(
    PointsRule,
    points_per_hour=st.integers(0, 60),
    round_minutes=st.integers(1, 120),
    min_minutes=st.integers(0, 60),
    daily_cap_minutes=st.integers(0, 1440),
)
minutes = st.integers(-100, 3000)


@given(rules, minutes, st.integers(0, 2000))
def test_points_are_never_negative(rule, m, already):
    credited, points = session_points(m, rule, already)
    assert credited >= 0 and points >= 0
    assert isinstance(points, int)


@given(rules, minutes, minutes, st.integers(0, 2000))
def test_more_minutes_never_give_fewer_points(rule, a, b, already):
    lo, hi = sorted((a, b))
    assert session_points(lo, rule, already)[1] <= session_points(hi, rule, already)[1]


@given(rules, st.lists(st.integers(0, 600), max_size=12))
def test_daily_cap_holds_however_the_day_is_split(rule, sessions):
    credited_today = 0
    points_today = 0
    for m in sessions:
        credited, points = session_points(m, rule, credited_today)
        credited_today += credited
        points_today += points
    assert credited_today <= rule.daily_cap_minutes
    assert points_today <= points_for(rule.daily_cap_minutes, rule) or points_today <= (
        rule.daily_cap_minutes * rule.points_per_hour // 60
    )


def test_the_default_rule():
    rule = PointsRule()
    assert session_points(14, rule) == (0, 0)  # below the minimum
    assert session_points(29, rule) == (29, 0)  # counts as time, floored to 0 half hours
    assert session_points(30, rule) == (30, 5)
    assert session_points(167, rule) == (167, 25)
    assert session_points(600, rule) == (480, 80)  # daily cap
    assert session_points(120, rule, credited_today=420) == (60, 10)
    assert credited_minutes(120, rule, credited_today=480) == 0


def test_rule_validation():
    with pytest.raises(ValueError):
        PointsRule(points_per_hour=-1)
    with pytest.raises(ValueError):
        PointsRule(round_minutes=0)
    assert PointsRule.from_dict({"points_per_hour": "15", "unknown": 1}).points_per_hour == 15
