"""The kiosk's actions through the real store: attendance, redemption, staff."""

from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk.core.codes import sign
from kiosk.store import apply_changes

GEN = "GEN-SC-20261130"
CANTEEN = "A-20261130-01"


def code(roster, vid):
    return roster[vid]["code"]


def events(store):
    return store.conn.execute(
        "SELECT seq, type, actor, payload FROM events ORDER BY seq"
    ).fetchall()


def test_sign_in_then_out_with_minutes_and_points(kiosk, store, roster, clock):
    out = kiosk.scan(code(roster, "V000103"))
    assert out.kind == "signed_in" and out.activity_id == GEN and out.name == "陈*文"
    clock.advance(minutes=1)
    again = kiosk.scan(code(roster, "V000103"))
    assert again.kind == "already_signed_in" and again.event_ids == []
    clock.advance(minutes=94)
    out = kiosk.scan(code(roster, "V000103"))
    assert (out.kind, out.minutes, out.credited_minutes, out.points) == ("signed_out", 95, 95, 15)
    assert out.balance == 45 + 15 == store.balance("V000103")
    assert [e[1] for e in events(store)] == ["attendance.sign_in", "attendance.sign_out"]
    assert store.minutes_total("V000103") == 300 + 95
    assert store.replay_matches()


def test_signed_up_activity_is_the_default_and_another_can_be_chosen(kiosk, roster, clock):
    clock.set(10, 30)
    assert kiosk.scan(code(roster, "V000101")).activity_id == CANTEEN
    out = kiosk.scan(code(roster, "V000102"), activity_id=GEN)
    assert out.kind == "signed_in" and out.activity_id == GEN and CANTEEN in out.candidates
    assert (
        kiosk.scan(code(roster, "V000103"), activity_id="A-20261130-02").reason
        == "unknown_activity"
    )


def test_paper_sheet_time(kiosk, store, roster, clock):
    clock.set(17)
    at = clock.now.replace(hour=9)
    out = kiosk.scan(code(roster, "V000105"), at=at)
    assert out.kind == "signed_in" and out.at.startswith("2026-11-30T09:00")
    payload = json.loads(events(store)[0][3])
    assert payload["entered_at"].startswith("2026-11-30T17:00")


def test_forgotten_session_is_closed_and_a_new_one_opened(kiosk, store, roster, clock):
    clock.set(10, 0)
    kiosk.scan(code(roster, "V000101"))  # canteen, 10:00-13:00
    clock.set(16, 0)
    out = kiosk.scan(code(roster, "V000101"))
    assert out.kind == "signed_in" and out.activity_id == "A-20261130-03"
    assert out.forgotten["reason"] == "activity_finished"
    assert out.forgotten["minutes"] == 180 and out.forgotten["points"] == 45
    rows = store.conn.execute(
        "SELECT status, flagged, points FROM sessions ORDER BY in_seq"
    ).fetchall()
    assert rows == [("auto_closed", 1, 45), ("open", 0, None)]
    assert store.balance("V000101") == 120 + 45


def test_forgotten_sessions_are_closed_without_a_scan(kiosk, store, roster, clock):
    clock.set(10, 0)
    kiosk.scan(code(roster, "V000101"))
    kiosk.scan(code(roster, "V000103"), activity_id=GEN)  # general duty runs all day: not forgotten
    clock.set(14, 30)
    closed = kiosk.close_forgotten_sessions()
    assert [c.volunteer_id for c in closed] == ["V000101"]
    assert kiosk.close_forgotten_sessions() == []
    assert store.open_session("V000103") is not None


@pytest.mark.parametrize(
    "make_text,reason",
    [
        (lambda r, keys: "https://weixin.qq.com/r/abc", "not_ours"),
        (lambda r, keys: "VK1.V.V000101.1.short", "malformed"),
        (lambda r, keys: r["V000101"]["code"][:-3] + "AAA", "bad_signature"),
        (lambda r, keys: sign(keys.private_key, "V", "V999999", 1), "unknown_volunteer"),
        (lambda r, keys: r["V000108"]["code"], "suspended"),
    ],
)
def test_each_refusal_records_nothing(kiosk, store, roster, demo_data, make_text, reason):
    out = kiosk.scan(make_text(roster, demo_data.keys))
    assert (out.kind, out.ok, out.reason) == ("refused", False, reason)
    assert store.event_count() == 0


def test_replaced_card_after_reissue(kiosk, store, roster, demo_data):
    apply_changes(
        store,
        [
            {
                "kind": "volunteer",
                "key": "V000101",
                "data": {
                    "volunteer_id": "V000101",
                    "kind": "V",
                    "display_name": "张晓明",
                    "card_version": 2,
                },
            }
        ],
    )
    assert kiosk.scan(code(roster, "V000101")).reason == "replaced_card"
    assert kiosk.scan(sign(demo_data.keys.private_key, "V", "V000101", 2)).kind == "signed_in"


def test_staff_card_at_home_is_not_attendance(kiosk, store, roster):
    out = kiosk.scan(code(roster, "S0001"))
    assert out.kind == "staff_card" and store.event_count() == 0


def test_redeem_online(kiosk, store, roster):
    out = kiosk.redeem(code(roster, "V000102"), "rice-5kg")
    assert (
        out.kind == "redeemed" and out.pickup_no == "001" and out.balance == 60 and not out.offline
    )
    assert store.stock("service-center", "rice-5kg") == 9
    assert kiosk.redeem(code(roster, "V000102"), "rice-5kg").reason == "monthly_limit"
    assert kiosk.redeem(code(roster, "V000102"), "towel").pickup_no == "002"
    assert store.balance("V000102") == 30


@pytest.mark.parametrize(
    "vid,item,reason",
    [
        ("V000105", "oil-1l", "insufficient_balance"),
        ("V000110", "notebook", "out_of_stock"),  # none at the service center
        ("V000110", "no-such-item", "item_unavailable"),
    ],
)
def test_redeem_refusals(kiosk, store, roster, vid, item, reason):
    out = kiosk.redeem(code(roster, vid), item)
    assert (out.kind, out.reason) == ("redeem_refused", reason)
    assert store.event_count() == 0


def test_redeem_offline_within_the_allowance(kiosk, store, roster, clock):
    store.set_settings(
        ledger_url="http://127.0.0.1:9", last_contact_at=clock.now.replace(hour=6).isoformat()
    )
    out = kiosk.redeem(code(roster, "V000110"), "film-ticket")
    assert out.kind == "redeemed" and out.offline
    assert (
        kiosk.redeem(code(roster, "V000110"), "room-priority").kind == "redeemed"
    )  # 40 + 50 <= 100
    assert (
        kiosk.redeem(code(roster, "V000110"), "towel").reason == "offline_allowance"
    )  # 90 + 30 > 100
    store.set_settings(last_contact_at=clock.now.isoformat())
    assert kiosk.redeem(code(roster, "V000110"), "towel").kind == "redeemed"


def test_stock_never_below_zero_at_the_kiosk(kiosk, store, roster):
    for _ in range(4):
        assert kiosk.redeem(code(roster, "V000110"), "towel").kind in ("redeemed", "redeem_refused")
    assert kiosk.adjust_stock("S0001", "rice-5kg", -11, "broken bag").reason == "stock_below_zero"
    assert kiosk.adjust_stock("S0001", "rice-5kg", -1, "").reason == "reason_required"
    assert kiosk.adjust_stock("S0001", "rice-5kg", -10, "spoiled").ok
    assert store.stock("service-center", "rice-5kg") == 0
    assert kiosk.redeem(code(roster, "V000110"), "rice-5kg").reason == "out_of_stock"
    assert kiosk.restock("S0001", "rice-5kg", 0).reason == "bad_quantity"
    assert kiosk.restock("S0001", "rice-5kg", 20, "delivery").ok
    assert store.stock("service-center", "rice-5kg") == 20


def test_cancel_redemption_refunds_and_restocks(kiosk, store, roster):
    out = kiosk.redeem(code(roster, "V000107"), "oil-1l")
    rid = out.event_ids[0]
    assert store.balance("V000107") == 150
    assert kiosk.cancel_redemption("S0001", rid, "changed mind").ok
    assert store.balance("V000107") == 300 and store.stock("service-center", "oil-1l") == 8
    assert kiosk.cancel_redemption("S0001", rid, "again").reason == "no_such_redemption"
    assert store.replay_matches()


def test_synced_balance_does_not_count_acked_events_twice(kiosk, store, roster):
    kiosk.redeem(code(roster, "V000102"), "towel")  # seq 1: -30
    kiosk.adjust_points("S0001", "V000102", 5, "bonus")  # seq 2: +5
    assert store.balance("V000102") == 260 - 30 + 5
    # the ledger has ingested seq 1 only: its balance includes -30, not +5
    apply_changes(
        store,
        [
            {
                "kind": "balance",
                "key": "V000102",
                "data": {"balance": 230, "minutes_total": 2880, "as_of": {"K-TEST-01": 1}},
            }
        ],
    )
    assert store.balance("V000102") == 235
    assert store.stock("service-center", "towel") == 24


def test_outbox_seq_is_gap_free_and_acks_only_move_forward(kiosk, store, roster, clock):
    for vid in ("V000101", "V000102", "V000103"):
        kiosk.scan(code(roster, vid))
    assert [e.seq for e in store.pending()] == [1, 2, 3]
    store.mark_acked(2)
    assert [e.seq for e in store.pending()] == [3] and store.pending_count() == 1
    store.mark_acked(1)
    assert store.acked_seq() == 2
    store.mark_acked(99)  # never past what exists
    assert store.acked_seq() == 3 and store.pending_count() == 0
    assert store.event_count() == 3  # acknowledged events are kept: the kiosk's own 台账
    wire = store.events_after(0)[0].wire("K-TEST-01")
    assert (
        wire["kiosk_id"] == "K-TEST-01"
        and wire["seq"] == 1
        and wire["type"] == "attendance.sign_in"
    )


def test_events_are_append_only(kiosk, store, roster):
    kiosk.scan(code(roster, "V000101"))
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE events SET actor = 'x'")


def test_durability_pragmas(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


@pytest.mark.parametrize("bad", ["毛巾\x07", "towel\x00", "a\u202eb", "two\nlines"])
def test_staff_catalog_text_with_control_characters_is_refused(kiosk, store, bad):
    out = kiosk.upsert_catalog_item("S0001", "towel", {"zh-Hans": bad}, 30)
    assert not out.ok and out.reason == "bad_value"
    assert store.event_count() == 0


def test_staff_here_may_not_edit_another_site_s_reward(kiosk, store):
    # The server says which site each reward belongs to (a shared one belongs to none).
    towel = {"item_id": "towel", "cost": 30, "kind": "goods", "names": {"zh-Hans": "毛巾"}}
    shared, elsewhere = {**towel, "item_id": "mug"}, {**towel, "site_id": "xiangshan-study"}
    apply_changes(
        store,
        [
            {"kind": "catalog_item", "key": "towel", "data": elsewhere},
            {"kind": "catalog_item", "key": "mug", "data": shared},
        ],
    )
    assert store.catalog_item("towel").site_id == "xiangshan-study"
    out = kiosk.upsert_catalog_item("S0001", "towel", {"zh-Hans": "毛巾"}, 1)
    assert not out.ok and out.reason == "other_site_item"
    assert store.event_count() == 0 and store.catalog_item("towel").cost == 30
    assert kiosk.upsert_catalog_item("S0001", "mug", {"zh-Hans": "杯子"}, 25).ok
    here = {**towel, "site_id": kiosk.site_id}
    apply_changes(store, [{"kind": "catalog_item", "key": "towel", "data": here}])
    assert kiosk.upsert_catalog_item("S0001", "towel", {"zh-Hans": "毛巾"}, 35).ok


@pytest.mark.parametrize("offline", [False, True])
def test_the_catalog_screen_says_what_a_redemption_then_does(kiosk, store, roster, clock, offline):
    # One redemption context (Kiosk.redeem_context) for the screen and for the redemption:
    # each item the screen marks as ok redeems, and each it refuses is refused for that reason.
    from kiosk.ui.flows import catalog_for

    if offline:
        store.set_settings(
            ledger_url="http://127.0.0.1:9", last_contact_at=clock.now.replace(hour=6).isoformat()
        )
    seen = set()
    ids = [i.item_id for i in catalog_for(kiosk, "V000110").items]
    for n in range(4 * len(ids)):
        item = next(
            i for i in catalog_for(kiosk, "V000110").items if i.item_id == ids[n % len(ids)]
        )
        out = kiosk.redeem_for("V000110", item.item_id)
        seen.add(item.state)
        assert (out.kind == "redeemed") == (item.state == "ok"), (item, out)
        if item.state != "ok":
            assert out.reason == item.state
    assert "ok" in seen and seen - {"ok"}, seen  # both verdicts were really compared
