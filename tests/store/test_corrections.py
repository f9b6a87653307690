"""Staff corrections through the real store: a session's sign-out time set again, and
points given or taken with a reason. One event each; the balance moves by the difference."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.store import iso
from tests.store.test_actions import CANTEEN, GEN, code


def events_of(store, etype):
    return [e for e in store.events_after(0, 10_000) if e.type == etype]


def forgotten_canteen_session(kiosk, roster, clock):
    """V000101 signs in at the canteen at 10:00 (10:00-13:00, 15 points an hour) and
    never signs out; at 14:30 it is closed as forgotten, credited up to 13:00."""
    clock.set(10, 0)
    assert kiosk.scan(code(roster, "V000101")).activity_id == CANTEEN
    clock.set(14, 30)
    [closed] = kiosk.close_forgotten_sessions()
    assert (closed.minutes, closed.points) == (180, 45)
    return kiosk.store.recent_sessions("2026-11-30")[0]


def test_the_sessions_staff_may_correct_newest_first(kiosk, store, roster, clock):
    session = forgotten_canteen_session(kiosk, roster, clock)
    clock.set(15, 0)
    kiosk.scan(code(roster, "V000103"), activity_id=GEN)
    rows = store.recent_sessions("2026-11-30")
    assert [r["volunteer_id"] for r in rows] == ["V000103", "V000101"]
    assert (
        rows[0]["status"] == "open"
        and rows[0]["signed_out_at"] is None
        and rows[0]["name"] == "陈*文"
    )
    assert session["name"] == "张*明" and session["titles"]["zh-Hans"] == "长者饭堂帮厨"
    assert session["titles"]["en"] == "Seniors' canteen helper"
    assert (session["status"], session["flagged"], session["corrected"]) == (
        "auto_closed",
        True,
        False,
    )
    assert iso(session["signed_in_at"]).startswith("2026-11-30T10:00")
    assert iso(session["signed_out_at"]).startswith("2026-11-30T13:00")
    assert (session["minutes"], session["credited_minutes"], session["points"]) == (180, 180, 45)
    assert store.recent_sessions("2026-12-01") == []
    assert len(store.recent_sessions("2026-11-30", limit=1)) == 1


def test_a_correction_moves_the_balance_by_the_difference_and_a_second_one_reverses_it(
    kiosk, store, roster, clock
):
    session = forgotten_canteen_session(kiosk, roster, clock)
    sid = session["session_id"]
    assert store.balance("V000101") == 120 + 45
    minutes_before = store.minutes_total("V000101")

    out = kiosk.correct_attendance(
        "S0001", sid, clock.now.replace(hour=11, minute=30), "wrong_time"
    )
    assert out.ok and out.kind == "attendance_correct"
    assert (out.minutes, out.credited_minutes, out.points) == (90, 90, 22)  # 90 min at 15 an hour
    assert out.balance == store.balance("V000101") == 120 + 22  # 45 -> 22: the difference, -23
    assert store.minutes_total("V000101") == minutes_before - 90
    [ev] = events_of(store, "attendance.correct")
    assert ev.actor == "S0001"
    assert ev.payload == {
        "session_id": sid,
        "volunteer_id": "V000101",
        "activity_id": CANTEEN,
        "signed_out_at": "2026-11-30T11:30:00.000+08:00",
        "minutes": 90,
        "credited_minutes": 90,
        "points": 22,
        "reason": "wrong_time",
    }
    row = store.session(sid)
    assert (row["status"], row["flagged"], row["corrected"]) == ("auto_closed", False, True)
    assert iso(row["signed_out_at"]).startswith("2026-11-30T11:30")

    # Corrected again (to 12:30): counted from the sign-in, never on top of the first correction.
    again = kiosk.correct_attendance(
        "S0002", sid, clock.now.replace(hour=12, minute=30), "forgot_sign_out"
    )
    assert (again.minutes, again.points) == (150, 37)
    assert store.balance("V000101") == 120 + 37
    assert store.minutes_total("V000101") == minutes_before - 30
    moves = store.conn.execute(
        "SELECT delta, reason FROM point_moves WHERE volunteer_id = 'V000101' ORDER BY seq"
    ).fetchall()
    assert moves == [(45, "auto_closed"), (-23, "correct"), (15, "correct")]
    assert store.replay_matches()


def test_refusals_record_nothing(kiosk, store, roster, clock):
    sid = forgotten_canteen_session(kiosk, roster, clock)["session_id"]
    before = store.event_count()
    day = clock.now
    cases = [
        ("S0001", sid, day.replace(hour=12), " ", "reason_required"),
        ("S0001", "no-such-session", day.replace(hour=12), "wrong_time", "unknown_session"),
        ("S0001", sid, day.replace(hour=9, minute=45), "wrong_time", "out_before_in"),
        ("S0001", sid, day.replace(hour=14, minute=45), "wrong_time", "out_in_future"),
    ]
    for staff, session_id, at, reason, refusal in cases:
        out = kiosk.correct_attendance(staff, session_id, at, reason)
        assert (out.ok, out.kind, out.reason) == (False, "refused", refusal)
    clock.advance(days=2)
    too_long = day.replace(hour=10) + timedelta(hours=16, minutes=15)
    assert kiosk.correct_attendance("S0001", sid, too_long, "wrong_time").reason == "too_long"
    assert store.event_count() == before and store.balance("V000101") == 165
    with pytest.raises(ValueError):
        kiosk.correct_attendance("S0001", sid, day.replace(hour=12, tzinfo=None), "wrong_time")


def test_an_open_session_is_closed_at_the_time_staff_set(kiosk, store, roster, clock):
    clock.set(9, 0)
    kiosk.scan(code(roster, "V000103"))  # general duty, 10 points an hour
    [row] = store.recent_sessions("2026-11-30")
    clock.set(15, 0)  # she left at 12:00 without scanning
    out = kiosk.correct_attendance(
        "S0001", row["session_id"], clock.now.replace(hour=12), "forgot_sign_out"
    )
    assert (out.minutes, out.points, out.balance) == (180, 30, 45 + 30)
    assert store.open_session("V000103") is None
    assert store.session(row["session_id"])["status"] == "closed"
    [ev] = events_of(store, "attendance.correct")
    assert ev.payload["closed_at"] == ev.payload["signed_out_at"] == "2026-11-30T12:00:00.000+08:00"
    assert kiosk.scan(code(roster, "V000103")).kind == "signed_in"  # her next scan signs in anew
    assert store.replay_matches()


def test_the_daily_cap_counts_the_other_sessions_never_the_old_figures(kiosk, store, roster, clock):
    vid = "V000105"
    clock.set(8, 0)
    kiosk.scan(code(roster, vid), activity_id=GEN)
    clock.set(15, 0)
    assert kiosk.scan(code(roster, vid)).credited_minutes == 420
    clock.set(15, 10)
    kiosk.scan(code(roster, vid), activity_id=GEN)
    clock.set(17, 10)
    assert kiosk.scan(code(roster, vid)).credited_minutes == 60  # the day's 480 reached
    second, first = store.recent_sessions("2026-11-30")
    clock.set(18, 0)
    # the morning really ended at 09:00: 60 minutes; the afternoon keeps its figures
    assert (
        kiosk.correct_attendance(
            "S0001", first["session_id"], clock.now.replace(hour=9), "wrong_time"
        ).points
        == 10
    )
    # the afternoon really ran to 18:00: 170 minutes, and now there is room for them all
    out = kiosk.correct_attendance(
        "S0001", second["session_id"], clock.now.replace(hour=18), "wrong_time"
    )
    assert (out.minutes, out.credited_minutes) == (170, 170)
    assert store.credited_minutes_on(vid, "2026-11-30") == 60 + 170 <= 480
    assert store.balance(vid) == 15 + 10 + 25  # 170 min floored to 150 at 10 an hour
    assert store.replay_matches()


def test_points_adjustment_with_a_reason_never_below_zero(kiosk, store, roster):
    before = store.event_count()
    assert kiosk.adjust_points("S0001", "V000105", -16, "correction").reason == "balance_below_zero"
    refused = kiosk.adjust_points("S0001", "V000105", -16, "correction")
    assert refused.balance == 15 and refused.name == "王*"
    assert kiosk.adjust_points("S0001", "V999999", 5, "bonus").reason == "unknown_volunteer"
    assert kiosk.adjust_points("S0001", "S0001", 5, "bonus").reason == "unknown_volunteer"
    assert kiosk.adjust_points("S0001", "V000105", 0, "bonus").reason == "bad_quantity"
    assert kiosk.adjust_points("S0001", "V000105", 5, "").reason == "reason_required"
    assert store.event_count() == before
    out = kiosk.adjust_points("S0001", "V000105", -15, "correction")
    assert out.ok and out.kind == "points_adjust" and out.balance == 0 == store.balance("V000105")
    out = kiosk.adjust_points("S0002", "V000105", 20, "bonus")
    assert out.balance == 20 and out.points == 20
    assert [e.payload for e in events_of(store, "points.adjust")] == [
        {"volunteer_id": "V000105", "delta": -15, "reason": "correction"},
        {"volunteer_id": "V000105", "delta": 20, "reason": "bonus"},
    ]
    assert store.replay_matches()
