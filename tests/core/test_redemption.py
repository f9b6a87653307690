from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.points import PointsRule, session_points
from kiosk.core.redemption import (
    CatalogItem,
    RedeemContext,
    RedeemOK,
    RedeemRefusal,
    balance_of,
    check_redemption,
)

RICE = CatalogItem("rice", 200, "goods", monthly_limit=1)
ROOM = CatalogItem("room", 50, "privilege", monthly_limit=1)


def ctx(**kw):
    base = dict(balance=300, stock=5, redeemed_this_month=0, online=True)
    base.update(kw)
    return RedeemContext(**base)


def test_ok_online():
    assert check_redemption(RICE, ctx()) == RedeemOK(200, 100, False)


@pytest.mark.parametrize(
    "item,kw,refusal",
    [
        (RICE, dict(balance=199), RedeemRefusal.INSUFFICIENT),
        (RICE, dict(stock=0), RedeemRefusal.OUT_OF_STOCK),
        (RICE, dict(stock=None), RedeemRefusal.OUT_OF_STOCK),
        (RICE, dict(redeemed_this_month=1), RedeemRefusal.MONTHLY_LIMIT),
        (RICE, dict(online=False, offline_allowance=100), RedeemRefusal.OFFLINE_ALLOWANCE),
        (
            ROOM,
            dict(online=False, offline_allowance=100, offline_spent_today=60),
            RedeemRefusal.OFFLINE_ALLOWANCE,
        ),
        (CatalogItem("x", 1, active=False), {}, RedeemRefusal.UNAVAILABLE),
    ],
)
def test_refusals(item, kw, refusal):
    assert check_redemption(item, ctx(**kw)) == refusal


def test_privileges_need_no_stock_and_offline_within_allowance():
    assert check_redemption(ROOM, ctx(stock=None, online=False, offline_allowance=100)) == RedeemOK(
        50, 250, True
    )


def test_item_validation():
    with pytest.raises(ValueError):
        CatalogItem("x", -1)
    with pytest.raises(ValueError):
        CatalogItem("x", 1, kind="cash")


actions = st.lists(
    st.one_of(
        st.tuples(st.just("work"), st.integers(0, 600)),
        st.tuples(st.just("redeem"), st.integers(0, 300), st.booleans()),
        st.tuples(st.just("adjust"), st.integers(-50, 50)),
    ),
    max_size=40,
)


@given(actions, st.integers(0, 200))
def test_balance_equals_the_sum_of_entries_and_never_goes_negative(seq, opening):
    rule = PointsRule()
    entries = [opening]
    balance = opening
    spent_offline = 0
    for action in seq:
        if action[0] == "work":
            _, points = session_points(action[1], rule)
            entries.append(points)
            balance += points
        elif action[0] == "redeem":
            item = CatalogItem("i", action[1], "ticket")
            verdict = check_redemption(
                item,
                RedeemContext(
                    balance, None, 0, online=not action[2], offline_spent_today=spent_offline
                ),
            )
            if isinstance(verdict, RedeemOK):
                entries.append(-verdict.cost)
                balance = verdict.new_balance
                if verdict.offline:
                    spent_offline += verdict.cost
        else:
            delta = max(action[1], -balance)  # staff never adjust below zero
            entries.append(delta)
            balance += delta
        assert balance == balance_of(entries)
        assert balance >= 0
