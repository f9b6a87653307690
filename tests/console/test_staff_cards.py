"""Staff cards and kiosk PINs set in the console: the hash the kiosk gets opens staff mode
with that card and PIN only, and a reissued card needs its PIN set again."""

from __future__ import annotations

from kiosk.core.codes import sign
from kiosk.core.pins import check_pin, parse_hash
from sync.ledger.staff.cards import private_key, reissue
from sync.ledger.staff.roster import list_volunteers

from .conftest import csrf_of


def _pin_hash(console, staff_id):
    """The PIN hash kiosks get for this staff card, from the change feed."""
    page = console.store.changes_since(None, 20_000)
    return next(
        c["data"]["pin_hash"]
        for c in page.changes
        if c["kind"] == "staff_pin" and c["key"] == staff_id
    )


def test_add_a_staff_card_and_set_its_pin(console):
    c = console.login("wang")
    token = csrf_of(c.get("/console/staff-cards").text)
    r = c.post("/console/staff-cards", data={"name": "孙工", "csrf_token": token})
    assert r.status_code == 200 and "孙工" in r.text
    new_id = next(
        p["volunteer_id"]
        for p in list_volunteers(console.store)
        if p["kind"] == "S" and p["name"] == "孙工"
    )
    r = c.post(
        f"/console/staff-cards/{new_id}/pin",
        data={"pin": "111111", "again": "111111", "csrf_token": token},
    )
    assert r.status_code == 422  # too easy to guess
    r = c.post(
        f"/console/staff-cards/{new_id}/pin",
        data={"pin": "470213", "again": "470213", "csrf_token": token},
    )
    assert r.status_code == 200 and "PIN 已设置" in r.text
    stored = parse_hash(_pin_hash(console, new_id))
    key = private_key(console.store)
    signature = sign(key, "S", new_id, 1).rsplit(".", 1)[1]
    assert check_pin("470213", signature, stored)
    assert not check_pin("470214", signature, stored)
    # A new card: the old PIN no longer matches its card, and the page says so.
    assert reissue(console.store, new_id, console.clock(), "lost") == 2
    assert "PIN 属于旧卡" in c.get("/console/staff-cards").text


def test_only_administrators_manage_staff_pins(console):
    li = console.login("li")
    assert li.get("/console/staff-cards").status_code == 403
