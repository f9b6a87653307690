from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.stars import (
    DEFAULT_THRESHOLDS_HOURS,
    crossed,
    format_thresholds,
    parse_thresholds,
    progress,
    stars_for,
    thresholds_or_default,
)


@pytest.mark.parametrize(
    ("hours", "stars"),
    [(0, 0), (99, 0), (100, 1), (299, 1), (300, 2), (600, 3), (999, 3), (1000, 4), (1500, 5)],
)
def test_default_thresholds_are_100_300_600_1000_1500_hours(hours, stars):
    assert stars_for(hours * 60) == stars
    assert stars_for(hours * 60 - 1) == max(0, stars - (hours in DEFAULT_THRESHOLDS_HOURS))


def test_thresholds_come_from_the_ledgers_setting():
    assert parse_thresholds("10, 20,30，40,50") == (10, 20, 30, 40, 50)
    assert stars_for(20 * 60, parse_thresholds("10,20,30,40,50")) == 2
    assert parse_thresholds(None) == DEFAULT_THRESHOLDS_HOURS
    assert format_thresholds(parse_thresholds("1,2,3,4,5")) == "1,2,3,4,5"


@pytest.mark.parametrize(
    "bad", ["10,20,30,40", "10,20,20,40,50", "0,1,2,3,4", "a,b,c,d,e", [1, 2, 3, 4, True]]
)
def test_bad_thresholds_are_refused_and_readers_keep_the_default(bad):
    with pytest.raises(ValueError):
        parse_thresholds(bad)
    assert thresholds_or_default(bad) == DEFAULT_THRESHOLDS_HOURS


def test_crossing_a_threshold_is_reported_once():
    assert crossed(99 * 60 + 30, 100 * 60) == 1
    assert crossed(100 * 60, 100 * 60 + 30) is None
    assert crossed(290 * 60, 700 * 60) == 3  # a correction may jump two levels
    assert crossed(700 * 60, 290 * 60) is None  # taking hours back is no celebration


def test_progress_says_how_far_the_next_star_is():
    p = progress(250 * 60)
    assert (p.stars, p.next_stars, p.minutes_to_next) == (1, 2, 50 * 60)
    assert progress(2000 * 60).next_stars is None


@given(st.integers(-10, 200_000), st.integers(-10, 200_000))
def test_more_hours_never_mean_fewer_stars(a, b):
    lo, hi = sorted((a, b))
    assert 0 <= stars_for(lo) <= stars_for(hi) <= 5
