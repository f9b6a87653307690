"""Bad input gets a clear answer and loses nothing; conflicts land in /v1/exceptions."""

from __future__ import annotations

import random

import requests
from conftest import act, bulk
from invariants import assert_exactly_once, assert_figures_match

from sync.agent import sync_once


def _push(ledger, token, body, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(ledger.url + "/v1/events", headers=headers, timeout=10, **kw)


def test_tokens_size_and_json_are_refused_clearly(ledger, make_site):
    a = make_site(ledger, "service-center")
    b = make_site(ledger, "xiangshan-study")
    act(a, ledger, random.Random(5), 10)
    bulk(a, 600)
    wire = [e.wire(a.kiosk_id) for e in a.store.events_after(0, 1000)]
    body = {"kiosk_id": a.kiosk_id, "events": wire[:10]}
    cases = [
        (None, {"json": body}, 401, "unauthorized"),
        ("not-a-token", {"json": body}, 401, "unauthorized"),
        (b.store.setting("ledger_token"), {"json": body}, 403, "wrong_kiosk"),
        (
            a.store.setting("ledger_token"),
            {"json": {"kiosk_id": a.kiosk_id, "events": wire[:501]}},
            413,
            "batch_too_large",
        ),
        (
            a.store.setting("ledger_token"),
            {"data": b'{"kiosk_id": "K-SC-01", "events": [', "headers": None},
            400,
            "malformed_json",
        ),
        (
            a.store.setting("ledger_token"),
            {"json": {"kiosk_id": a.kiosk_id, "events": [{"seq": "x"}]}},
            422,
            "invalid_event",
        ),
    ]
    for token, kw, status, code in cases:
        kw = {k: v for k, v in kw.items() if v is not None}
        r = _push(ledger, token, None, **kw)
        assert r.status_code == status, (code, r.text)
        assert r.json()["error"] == code and r.json()["message"]
    held = ledger.store()
    assert held.counts()["events"] == 0  # nothing of the above was stored
    held.close()

    # A kiosk holding a wrong token learns it cannot fix that by retrying, and keeps its events.
    good = a.store.setting("ledger_token")
    a.store.set_settings(ledger_token="stale")
    result = sync_once(a.store, clock=a.clock)
    assert not result["ok"] and result["error"] == "unauthorized" and result["retry"] is False
    assert "unauthorized" in a.store.setting("last_sync_error")
    a.store.set_settings(ledger_token=good)
    for s in (a, b, a):
        assert sync_once(s.store, clock=s.clock)["ok"]
    held = ledger.store()
    assert_exactly_once(held, [a.store, b.store])
    assert_figures_match(held, [a.store, b.store], ledger.snapshot)
    held.close()


def test_invalid_event_is_rejected_without_blocking_the_queue(ledger, make_site):
    site = make_site(ledger, "service-center")
    act(site, ledger, random.Random(6), 10)
    now = site.clock()
    with site.store.transaction() as conn:  # an event a buggy kiosk version might write
        bad = site.store.append(
            conn,
            "stock.restock",
            "S0001",
            {"site_id": "service-center", "item_id": "towel", "qty": -3},
            occurred_at=now,
            now=now,
        )
    act(site, ledger, random.Random(7), 10)
    result = sync_once(site.store, clock=site.clock)
    assert result["ok"] and result["rejected"] == 1 and site.store.pending_count() == 0
    held = ledger.store()
    [row] = [e for e in held.events() if e["id"] == bad.id]
    assert row["status"] == "rejected" and "qty" in row["reason"]
    ledger_towel = held.stock_levels()[("service-center", "towel")]
    held.close()
    # The ledger's figure (without the bad event) replaces the kiosk's own count.
    assert site.store.stock("service-center", "towel") == ledger_towel
    listed = requests.get(ledger.url + "/v1/exceptions", headers=ledger.admin(), timeout=10).json()[
        "exceptions"
    ]
    assert [x["event_id"] for x in listed if x["kind"] == "rejected"] == [bad.id]


def test_conflicts_are_flagged_never_hidden(ledger, make_site):
    a = make_site(ledger, "service-center")
    b = make_site(ledger, "xiangshan-study")
    for s in (a, b):  # both offline: no contact for longer than offline_after_seconds
        s.clock.advance(hours=1)
        s.store.set_settings(last_contact_at="2026-11-28T00:00:00.000+08:00")
    # Overdraft: V000109 has 35 points; each offline kiosk lets them spend 30.
    assert a.kiosk.redeem(ledger.card("V000109"), "towel").kind == "redeemed"
    assert b.kiosk.redeem(ledger.card("V000109"), "towel").kind == "redeemed"
    # Overlapping sessions: V000101 on duty at both sites at once.
    assert a.kiosk.scan(ledger.card("V000101")).kind == "signed_in"
    b.clock.advance(minutes=20)
    assert b.kiosk.scan(ledger.card("V000101")).kind == "signed_in"
    for s in (a, b):
        s.clock.advance(hours=2)
        assert s.kiosk.scan(ledger.card("V000101")).kind == "signed_out"
    # The same event id with different content (a cloned store, a bug): kept apart.
    first = a.store.events_after(0, 1)[0]
    now = b.clock()
    with b.store.transaction() as conn:
        b.store.append(
            conn,
            "points.adjust",
            "S0001",
            {"volunteer_id": "V000110", "delta": 5, "reason": "x"},
            occurred_at=now,
            now=now,
            event_id=first.id,
        )
    act(b, ledger, random.Random(8), 5)
    for s in (a, b, a):
        assert sync_once(s.store, clock=s.clock)["ok"]
    assert b.store.pending_count() == 0  # the conflict did not block b's queue
    listed = requests.get(ledger.url + "/v1/exceptions", headers=ledger.admin(), timeout=10).json()[
        "exceptions"
    ]
    kinds = {x["kind"] for x in listed}
    assert {"overdraft", "overlapping_sessions", "conflict"} <= kinds
    [over] = [x for x in listed if x["kind"] == "overdraft"]
    assert (
        over["volunteer_id"] == "V000109"
        and over["detail"]["balance"] == -25
        and over["detail"]["offline"]
    )
    [conflict] = [x for x in listed if x["kind"] == "conflict"]
    assert conflict["event_id"] == first.id and conflict["kiosk_id"] == b.kiosk_id
    held = ledger.store()
    original = next(e for e in held.events() if e["id"] == first.id)
    assert original["kiosk_id"] == a.kiosk_id  # never overwritten
    assert held.volunteer("V000109")["balance"] == -25
    held.close()
    r = requests.get(ledger.url + "/v1/exceptions", timeout=10)
    assert r.status_code == 401


def test_health_openapi_and_volunteer(ledger, make_site):
    site = make_site(ledger, "service-center")
    assert requests.get(ledger.url + "/v1/health", timeout=5).json()["status"] == "ok"
    paths = requests.get(ledger.url + "/openapi.json", timeout=5).json()["paths"]
    assert {"/v1/enroll", "/v1/events", "/v1/changes", "/v1/exceptions", "/v1/health"} <= set(paths)
    auth = {"Authorization": f"Bearer {site.store.setting('ledger_token')}"}
    v = requests.get(ledger.url + "/v1/volunteers/V000102", headers=auth, timeout=5).json()
    assert v["balance"] == 260 and v["minutes_total"] == 2880 and v["display_name"]
    assert (
        requests.get(ledger.url + "/v1/volunteers/V999", headers=auth, timeout=5).status_code == 404
    )
    assert requests.get(ledger.url + "/v1/volunteers/V000102", timeout=5).status_code == 401
