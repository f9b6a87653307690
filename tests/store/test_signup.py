"""Sign-up at the kiosk: events in the outbox, places and waiting list as the kiosk knows them."""

from __future__ import annotations

from datetime import timedelta

from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import apply_changes


def coming(clock, capacity: int, signup=(), waiting=(), as_of=None, aid="A-SOON"):
    start = clock.now.replace(hour=9, minute=0) + timedelta(days=2)
    data = {
        "activity_id": aid, "site_id": "xiangshan-study", "title_zh": "读书会",
        "title_en": "Reading circle", "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(), "capacity": capacity,
        "signup": list(signup), "waiting": list(waiting),
    }  # fmt: skip
    if as_of is not None:
        data["as_of"] = as_of
    return {"kind": "activity", "key": aid, "data": data}


def test_sign_up_then_the_waiting_list_then_withdraw(tmp_path, store_factory, clock):
    store = store_factory(tmp_path)
    apply_changes(store, [coming(clock, 2, signup=["V000105"])])
    k = Kiosk(store, KioskConfig(), clock=clock)
    first = k.sign_up("V000101", "A-SOON")
    assert first.kind == "signed_up" and not first.waitlisted and first.places_left == 0
    second = k.sign_up("V000102", "A-SOON")
    assert second.kind == "signed_up" and second.waitlisted and second.position == 1
    again = k.sign_up("V000102", "A-SOON")
    assert (again.kind, again.reason) == ("signup_refused", "already_signed_up")
    out = k.withdraw("V000101", "A-SOON")
    assert out.kind == "withdrawn" and out.places_left == 0  # V000102 moved up into the place
    assert store.places("A-SOON").confirmed == ("V000105", "V000102")
    types = [(e.type, e.actor, e.payload.get("waitlisted")) for e in store.pending()]
    assert types == [
        ("signup.add", "V000101", False),
        ("signup.add", "V000102", True),
        ("signup.withdraw", "V000101", None),
    ]
    assert store.replay_matches()


def test_the_ledgers_word_replaces_the_kiosks_own_up_to_as_of(tmp_path, store_factory, clock):
    store = store_factory(tmp_path)
    apply_changes(store, [coming(clock, 1)])
    k = Kiosk(store, KioskConfig(), clock=clock)
    seq = store.last_seq()
    assert not k.sign_up("V000101", "A-SOON").waitlisted
    # The ledger has it, but gave the place to someone from another kiosk first.
    apply_changes(store, [coming(clock, 1, ["V000104"], ["V000101"], {"K-TEST-01": seq + 1})])
    places = store.places("A-SOON")
    assert places.confirmed == ("V000104",) and places.waiting == ("V000101",)


def test_sign_up_closes_when_the_activity_starts_and_general_duty_takes_none(
    tmp_path, store_factory, clock
):
    store = store_factory(tmp_path)
    apply_changes(store, [coming(clock, 5)])
    k = Kiosk(store, KioskConfig(), clock=clock)
    general = k.sign_up("V000101", f"GEN-SC-{clock.now:%Y%m%d}")
    assert (general.kind, general.reason) == ("signup_refused", "no_signup")
    clock.advance(days=2, hours=1)
    late = k.sign_up("V000101", "A-SOON")
    assert (late.kind, late.reason) == ("signup_refused", "signup_closed")
    assert k.sign_up("V000101", "NO-SUCH").reason == "unknown_activity"
    assert store.pending() == []
