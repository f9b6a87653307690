"""Staff corrections end to end, with a real ``kiosk-ledger serve`` process: a forgotten
sign-out set to the real time (twice), an open session closed by hand, and points given
and taken. The ledger applies each once, and its balances equal the kiosk's."""

from __future__ import annotations

from datetime import timedelta

import requests
from conftest import DAY, TZ
from invariants import assert_exactly_once, assert_figures_match

from sync.agent import sync_once

GEN = f"GEN-SC-{DAY:%Y%m%d}"
SHORT = (2.0, 5.0)  # connect and read timeouts: the ledger is on loopback


def synced(site) -> None:
    for _ in range(2):  # push, then a round that pulls the ledger's figures back
        result = sync_once(site.store, clock=site.clock, timeout=SHORT)
        assert result["ok"], result


def ledger_view(ledger, site, vid: str) -> dict:
    auth = {"Authorization": f"Bearer {site.store.setting('ledger_token')}"}
    return requests.get(f"{ledger.url}/v1/volunteers/{vid}", headers=auth, timeout=10).json()


def test_corrections_reach_the_ledger_and_balances_agree(ledger, make_site):
    site = make_site(ledger, "service-center")
    kiosk, clock, store = site.kiosk, site.clock, site.store
    synced(site)
    opening = {v: store.balance(v) for v in ("V000101", "V000103", "V000105")}

    # 08:00 V000101 signs in for general duty and forgets to sign out; V000103 too, at 08:30.
    assert kiosk.scan(ledger.card("V000101")).activity_id == GEN
    clock.advance(minutes=30)
    assert kiosk.scan(ledger.card("V000103")).kind == "signed_in"
    synced(site)
    # The next morning the kiosk closes V000101's session as forgotten: credited to the
    # activity's end (23:59), capped at 480 minutes a day = 80 points.
    clock.now = (clock.now + timedelta(days=1)).replace(hour=9, minute=0)
    [auto] = [o for o in kiosk.close_forgotten_sessions() if o.volunteer_id == "V000101"]
    assert auto.points == 80
    synced(site)
    assert ledger_view(ledger, site, "V000101")["balance"] == opening["V000101"] + 80

    # Staff: she really left at 11:00 (180 minutes, 30 points)... then no, at 12:00 (240, 40).
    sessions = {r["volunteer_id"]: r for r in store.recent_sessions(DAY.isoformat())}
    day = sessions["V000101"]["signed_in_at"].astimezone(TZ)
    out = kiosk.correct_attendance(
        "S0001", sessions["V000101"]["session_id"], day.replace(hour=11), "forgot_sign_out"
    )
    assert (out.minutes, out.points) == (180, 30)
    assert store.balance("V000101") == opening["V000101"] + 30
    synced(site)
    assert (
        ledger_view(ledger, site, "V000101")["balance"]
        == store.balance("V000101")
        == opening["V000101"] + 30
    )
    out = kiosk.correct_attendance(
        "S0002", sessions["V000101"]["session_id"], day.replace(hour=12), "wrong_time"
    )
    assert out.points == 40

    # V000103's session is still open (the kiosk has not closed it yet): staff close it at 10:30.
    out = kiosk.correct_attendance(
        "S0001",
        sessions["V000103"]["session_id"],
        day.replace(hour=10, minute=30),
        "forgot_sign_out",
    )
    assert (out.minutes, out.points) == (120, 20)
    assert kiosk.close_forgotten_sessions() == []  # nothing left open

    # Points: a bonus, a deduction, and one the balance cannot bear (refused, nothing sent).
    assert kiosk.adjust_points("S0001", "V000105", 10, "bonus").balance == opening["V000105"] + 10
    assert kiosk.adjust_points("S0001", "V000105", -5, "correction").ok
    assert (
        kiosk.adjust_points("S0001", "V000105", -1000, "correction").reason == "balance_below_zero"
    )
    synced(site)

    expected = {
        "V000101": opening["V000101"] + 40,
        "V000103": opening["V000103"] + 20,
        "V000105": opening["V000105"] + 5,
    }
    for vid, balance in expected.items():
        assert store.balance(vid) == balance
        assert ledger_view(ledger, site, vid)["balance"] == balance, vid
        assert ledger_view(ledger, site, vid)["open_sessions"] == 0
    held = ledger.store()
    try:
        assert_exactly_once(held, [store])
        assert_figures_match(held, [store], ledger.snapshot)
        corrections = [e for e in held.events() if e["type"] == "attendance.correct"]
        assert [e["status"] for e in corrections] == ["accepted"] * 3
        assert held.exceptions("rejected") == []
    finally:
        held.close()
