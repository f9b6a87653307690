from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.attendance import Activity
from kiosk.core.signup import (
    Places,
    SignedUp,
    SignupRefusal,
    Withdrawn,
    open_for_signup,
    sign_up,
    withdraw,
)

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 3, 9, 0, tzinfo=TZ)
READING = Activity("A-1", "xiangshan-study", START, START + timedelta(hours=2), capacity=2)


def test_places_then_the_waiting_list_then_promotion_on_withdrawal():
    p = Places(capacity=2)
    a = sign_up(p, "V1")
    assert isinstance(a, SignedUp) and not a.waitlisted and a.places.left == 1
    b = sign_up(a.places, "V2")
    c = sign_up(b.places, "V3")
    assert isinstance(c, SignedUp) and c.waitlisted and c.position == 1 and c.places.left == 0
    assert sign_up(c.places, "V3") == SignupRefusal.ALREADY
    w = withdraw(c.places, "V1")
    assert isinstance(w, Withdrawn) and w.promoted == ("V3",)
    assert w.places.confirmed == ("V2", "V3") and w.places.waiting == ()
    assert withdraw(w.places, "V9") == SignupRefusal.NOT_SIGNED_UP


def test_a_place_the_kiosk_gave_on_a_full_activity_is_over_capacity():
    full = Places(capacity=1, confirmed=("V1",))
    late = sign_up(full, "V2", kiosk_gave_place=True)
    assert isinstance(late, SignedUp) and late.waitlisted and late.over_capacity
    assert late.places.confirmed == ("V1",)  # nobody holding a place loses it


def test_no_limit_and_when_sign_up_closes():
    p = Places(capacity=0)
    for i in range(50):
        p = sign_up(p, f"V{i}").places
    assert p.left is None and not p.full
    assert open_for_signup(READING, START - timedelta(minutes=1)) is None
    assert open_for_signup(READING, START) == SignupRefusal.CLOSED
    assert open_for_signup(None, START) == SignupRefusal.UNKNOWN_ACTIVITY
    general = Activity("G", "xiangshan-study", START, START, general=True)
    assert open_for_signup(general, START - timedelta(days=1)) == SignupRefusal.NO_SIGNUP


@given(st.integers(0, 4), st.lists(st.tuples(st.booleans(), st.integers(0, 6)), max_size=40))
def test_never_more_places_given_than_there_are_and_nobody_twice(capacity, steps):
    p = Places(capacity=capacity)
    for add, who in steps:
        r = sign_up(p, f"V{who}") if add else withdraw(p, f"V{who}")
        if not isinstance(r, SignupRefusal):
            p = r.places
        everyone = p.confirmed + p.waiting
        assert len(everyone) == len(set(everyone))
        if capacity:
            assert len(p.confirmed) <= capacity
            assert not p.waiting or len(p.confirmed) == capacity  # nobody waits for a free place
