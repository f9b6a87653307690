"""Staff PINs at the kiosk: card and PIN both needed, a lockout kept in the database (per
staff member and per kiosk, with back-off, through a restart), hashes a stolen kiosk
file gives nothing away from, and staff sessions in the kiosk's event log."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
from datetime import timedelta

import pytest

from kiosk.config import KioskConfig
from kiosk.core import pins
from kiosk.core.codes import sign
from kiosk.core.pins import Lockout, check_pin, hash_pin, parse_hash
from kiosk.service import Kiosk
from kiosk.staff import StaffGate
from kiosk.store import Store, apply_changes

RIGHT, WRONG = "246810", "111111"
# The lockout tests make many guesses: their hashes are cheap (the gate is told to accept
# them). The tests of what a stolen kiosk holds use the demo data's real hashes.
CHEAP = pins.KdfParams(memory_kib=8, time_cost=1)


@pytest.fixture
def store(store, roster):
    changes = [
        {
            "kind": "staff_pin",
            "key": sid,
            "data": {
                "staff_id": sid,
                "pin_hash": hash_pin(pin, roster[sid]["code"].rsplit(".", 1)[1], 1, params=CHEAP),
            },
        }
        for sid, pin in (("S0001", RIGHT), ("S0002", "135790"))
    ]
    apply_changes(store, changes)
    return store


def gate_for(store, clock, lockout: Lockout | None = None, min_kdf=CHEAP) -> StaffGate:
    return StaffGate(Kiosk(store, KioskConfig(), clock=clock), lockout, min_kdf)


def test_card_and_pin_open_staff_mode_and_the_session_is_in_the_event_log(store, clock, roster):
    gate = gate_for(store, clock)
    verdict = gate.try_pin(roster["S0001"]["code"], RIGHT)
    assert verdict.ok and verdict.staff_id == "S0001"
    clock.advance(minutes=3)
    gate.close("leave")
    opened, closed = [e for e in store.events_after(0) if e.type.startswith("staff.")]
    assert (opened.type, opened.actor) == ("staff.session_open", "S0001")
    assert opened.payload == {"session_id": verdict.session_id, "card_version": 1}
    assert (closed.type, closed.actor) == ("staff.session_close", "S0001")
    assert closed.payload == {"session_id": verdict.session_id, "reason": "leave"}
    assert store.staff_session_left_open() is None


def test_a_session_left_open_by_a_crash_is_closed_at_the_next_start(tmp_path, store, clock, roster):
    assert gate_for(store, clock).try_pin(roster["S0001"]["code"], RIGHT).ok
    store.close()  # the power goes; nobody pressed "leave"
    again = Store(store.path)
    gate_for(again, clock).close_left_open()
    last = again.events_after(0)[-1]
    assert last.type == "staff.session_close" and last.payload["reason"] == "restart"
    assert again.staff_session_left_open() is None
    again.close()


def test_the_pin_alone_is_not_enough_the_card_must_be_shown(store, clock, roster, demo_data):
    gate = gate_for(store, clock)
    # A volunteer card with a staff member's PIN, a forged staff card, a card for someone else.
    assert gate.try_pin(roster["V000101"]["code"], RIGHT).reason == "not_staff"
    forged = roster["S0001"]["code"][:-4] + "AAAA"
    assert gate.try_pin(forged, RIGHT).reason == "bad_signature"
    assert gate.try_pin(roster["S0002"]["code"], RIGHT).reason == "wrong_pin"
    # A card of a version the PIN was not set for: "no PIN", not a guess counted.
    newer = sign(demo_data.keys.private_key, "S", "S0001", 2)
    verdict = gate.try_pin(newer, RIGHT)
    assert verdict.reason == "no_pin" and store.pin_failures("S0001") == []
    assert not [e for e in store.events_after(0) if e.type == "staff.session_open"]


def test_five_wrong_pins_lock_that_staff_member_and_a_restart_keeps_the_lock(
    tmp_path, store, clock, roster
):
    gate = gate_for(store, clock)
    card = roster["S0001"]["code"]
    lefts = [gate.try_pin(card, WRONG).attempts_left for _ in range(4)]
    assert lefts == [4, 3, 2, 1]
    locked = gate.try_pin(card, WRONG)
    assert locked.reason == "locked" and locked.locked_until == clock.now + timedelta(minutes=5)
    assert locked.locked_until.utcoffset() == clock.now.utcoffset()  # shown in kiosk time

    # Restart the kiosk: a new process opens the same file.
    store.close()
    store2 = Store(store.path)
    gate2 = gate_for(store2, clock)
    assert gate2.locked_until("S0001") == locked.locked_until
    assert gate2.try_pin(card, RIGHT).reason == "locked"  # not even the right PIN
    # Another staff member at this kiosk is not locked out by S0001's mistakes.
    assert gate2.try_pin(roster["S0002"]["code"], "135790").ok
    clock.advance(minutes=5, seconds=1)
    assert gate2.try_pin(card, RIGHT).ok
    assert store2.pin_failures("S0001") == []  # a right PIN ends the streak
    store2.close()


def test_each_further_wrong_pin_doubles_the_lock(store, clock, roster):
    gate = gate_for(store, clock)
    card = roster["S0001"]["code"]
    for _ in range(5):
        gate.try_pin(card, WRONG)
    waits = []
    for _ in range(4):
        until = gate.locked_until("S0001")
        waits.append(until - clock.now)
        clock.now = until + timedelta(seconds=1)
        assert gate.try_pin(card, WRONG).reason == "locked"
    assert waits == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    # Capped: hours, not forever.
    assert Lockout().locked_until([clock.now] * 40, clock.now) == clock.now + timedelta(hours=8)


def test_many_cards_in_turn_lock_the_whole_kiosk(store, clock, roster):
    gate = gate_for(store, clock, Lockout(max_failures=5, kiosk_max_failures=7))
    for _ in range(4):
        gate.try_pin(roster["S0001"]["code"], WRONG)
    for _ in range(3):
        gate.try_pin(roster["S0002"]["code"], WRONG)
    # Neither has used up their own five, but the kiosk has seen seven.
    verdict = gate.try_pin(roster["S0002"]["code"], "135790")
    assert verdict.reason == "locked" and gate.locked_until(None) is not None


def test_a_check_cut_short_counts_as_a_wrong_pin(tmp_path, store, clock):
    # The attempt is written before the slow check: pulling the plug to dodge the count fails.
    store.begin_pin_attempt("S0001", clock.now)
    store.close()
    again = Store(store.path)
    assert len(again.pin_failures("S0001")) == 1 and len(again.pin_failures()) == 1
    again.close()


def test_a_clock_set_back_does_not_stretch_the_lock():
    lock = Lockout()
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    future = [now + timedelta(days=3)] * 5  # failures stamped by a clock that ran ahead
    assert lock.locked_until(future, now) == now + timedelta(minutes=5)


# -- the hash a stolen kiosk holds ------------------------------------------------------------


def test_the_kiosk_file_holds_only_argon2id_hashes_keyed_by_the_card(tmp_path, demo_data, roster):
    from tests.conftest import make_store

    store = make_store(tmp_path / "real", demo_data)  # the demo's real hashes
    rows = (
        sqlite3.connect(store.path).execute("SELECT staff_id, pin_hash FROM staff_pins").fetchall()
    )
    assert {r[0] for r in rows} == {"S0001", "S0002"}
    card_sig = roster["S0001"]["code"].rsplit(".", 1)[1]
    for _staff_id, stored in rows:
        parsed = parse_hash(stored)
        assert parsed is not None and pins.strong_enough(parsed.params)
        assert parsed.params.memory_kib >= 65_536 and parsed.params.time_cost >= 3
    s1 = parse_hash(dict(rows)["S0001"])
    assert check_pin(RIGHT, card_sig, s1)
    # Attack 6: with the file but not the card, the right PIN does not match: the thief
    # cannot even recognise the answer. (The pepper is 64 bytes of signature.)
    for guess_sig in (base64.urlsafe_b64encode(os.urandom(64)).rstrip(b"=").decode(), "A" * 86):
        assert not check_pin(RIGHT, guess_sig, s1)
    # Nor is the PIN a plain or PBKDF2 hash of itself anywhere in the file.
    raw = store.path.read_bytes()
    assert hashlib.sha256(RIGHT.encode()).hexdigest().encode() not in raw
    assert b"pbkdf2" not in raw
    store.close()


def test_the_real_hash_opens_staff_mode_with_the_card(tmp_path, demo_data, roster, clock):
    from tests.conftest import make_store

    store = make_store(tmp_path / "real", demo_data)
    gate = gate_for(store, clock, min_kdf=pins.MIN_KDF)
    assert gate.try_pin(roster["S0001"]["code"], RIGHT).ok
    store.close()


def test_old_pbkdf2_hashes_from_an_older_ledger_are_not_kept(store):
    legacy = "pbkdf2_sha256$60000$" + "00" * 16 + "$" + "11" * 32
    apply_changes(
        store,
        [{"kind": "staff_pin", "key": "S0001", "data": {"staff_id": "S0001", "pin_hash": legacy}}],
    )
    assert store.staff_pin_hash("S0001") is None


def test_the_upgrade_drops_pbkdf2_hashes_a_kiosk_already_held(tmp_path):
    from kiosk.store.schema import MIGRATIONS

    path = tmp_path / "kiosk.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO staff_pins VALUES ('S0001', 'pbkdf2_sha256$60000$00$11')")
    conn.execute("INSERT INTO staff_pins VALUES ('S0002', 'vk-argon2id$1$m=65536,t=3,p=1$AA$AA')")
    conn.close()
    store = Store(path)
    assert store.staff_pin_hash("S0001") is None and store.staff_pin_hash("S0002")
    store.close()


def test_cheap_hashes_are_refused_at_the_kiosk(store, clock, roster):
    # (This module's fixture stored cheap hashes; a kiosk as shipped refuses them.)
    code = roster["S0001"]["code"]
    cheap = hash_pin(
        RIGHT, code.rsplit(".", 1)[1], 1, params=pins.KdfParams(memory_kib=8, time_cost=1)
    )
    apply_changes(
        store,
        [{"kind": "staff_pin", "key": "S0001", "data": {"staff_id": "S0001", "pin_hash": cheap}}],
    )
    assert (
        StaffGate(Kiosk(store, KioskConfig(), clock=clock)).try_pin(code, RIGHT).reason == "no_pin"
    )


@pytest.mark.parametrize("pin", ["12a4", "123", "123456789", "000000", "123456", "987654", "١٢٣٤"])
def test_pins_that_may_not_be_set(pin):
    with pytest.raises(pins.PinFormatError) as exc:
        pins.check_pin_format(pin)
    assert "/ " in str(exc.value) and str(exc.value)[0] in "PI"  # Chinese, then English


def test_a_good_pin_may_be_set():
    assert pins.check_pin_format("246810") == "246810"
