"""The ledger takes pushes of protocol PROTOCOL_VERSION and the one before it, and
refuses others clearly, storing nothing; a kiosk keeps its events and shows the refusal
as its sync error until the software on one side is upgraded."""

from __future__ import annotations

import random
import warnings
from datetime import UTC, datetime

import pytest
import requests
from conftest import act
from invariants import assert_exactly_once, assert_figures_match

from sync.agent import client as agent_client
from sync.agent import read_status, sync_once
from sync.ledger.api import protocol_compat
from sync.ledger.app import create_app
from sync.ledger.db import open_db
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

with (
    warnings.catch_warnings()
):  # starlette's notice about httpx2; TestClient still works as documented
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SHORT = (2.0, 5.0)


def _push(ledger, site, events, version: str | None):
    headers = {"Authorization": f"Bearer {site.store.setting('ledger_token')}"}
    if version is not None:
        headers[PROTOCOL_HEADER] = version
    return requests.post(
        ledger.url + "/v1/events",
        json={"kiosk_id": site.kiosk_id, "events": events},
        headers=headers,
        timeout=10,
    )


def _acked(ledger) -> int:
    held = ledger.store()
    try:
        return held.kiosks()[0].acked_seq
    finally:
        held.close()


def test_a_v0_push_without_the_header_and_clock_offset_is_taken(ledger, make_site):
    site = make_site(ledger, "service-center")
    site.store.set_settings(clock_offset_ms=0)  # as a v0 kiosk recorded them: no measured offset
    act(site, ledger, random.Random(71), 12)
    wire = [e.wire(site.kiosk_id) for e in site.store.events_after(0, 100)]
    v0 = [{k: v for k, v in ev.items() if k != "clock_offset_ms"} for ev in wire[:6]]
    r = _push(ledger, site, v0, None)
    assert r.status_code == 200, r.text
    assert r.json()["acked_seq"] == 6 and {x["status"] for x in r.json()["results"]} == {"accepted"}
    # The same events again from the upgraded kiosk, now with clock_offset_ms: the same
    # events (a v0 event was stored as if its offset were 0), so duplicates, not conflicts.
    assert all(ev["clock_offset_ms"] == 0 for ev in wire[:6])
    r = _push(ledger, site, wire[:8], str(PROTOCOL_VERSION))
    assert [x["status"] for x in r.json()["results"]] == ["duplicate"] * 6 + ["accepted"] * 2
    r = _push(ledger, site, v0[:2], "0")  # v0 named explicitly is the same protocol
    assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {"duplicate"}
    held = ledger.store()
    assert all(e["clock_offset_ms"] == 0 for e in held.events())
    held.close()
    assert sync_once(site.store, clock=site.clock, timeout=SHORT)["ok"]
    held = ledger.store()
    try:
        assert_exactly_once(held, [site.store])
        assert_figures_match(held, [site.store], ledger.snapshot)
        assert held.exceptions("conflict") == []
    finally:
        held.close()


@pytest.mark.parametrize("version", [str(PROTOCOL_VERSION + 1), "99", "v1", "-1", "", "1.5"])
def test_a_newer_or_unreadable_version_is_refused_and_nothing_stored(ledger, make_site, version):
    site = make_site(ledger, "service-center")
    act(site, ledger, random.Random(72), 5)
    wire = [e.wire(site.kiosk_id) for e in site.store.events_after(0, 100)]
    r = _push(ledger, site, wire, version)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == "protocol_unsupported"
    assert f"accepts protocol {PROTOCOL_VERSION - 1} and {PROTOCOL_VERSION}" in body["message"]
    assert _acked(ledger) == 0


def test_the_agent_names_its_protocol_and_shows_a_refusal_as_its_sync_error(
    ledger, make_site, monkeypatch
):
    site = make_site(ledger, "xiangshan-study")
    act(site, ledger, random.Random(73), 20)
    pending = site.store.pending_count()
    assert pending > 0
    # A kiosk with a newer release than its ledger: the ledger refuses, the kiosk loses nothing.
    monkeypatch.setattr(agent_client, "PROTOCOL_VERSION", PROTOCOL_VERSION + 1)
    result = sync_once(site.store, clock=site.clock, timeout=SHORT)
    assert (
        not result["ok"] and result["error"] == "protocol_unsupported" and result["retry"] is False
    )
    assert "newer than this ledger" in result["message"]
    status = read_status(site.store, site.clock(), 300)
    assert status.pending == pending and status.last_error.startswith("protocol_unsupported: ")
    assert _acked(ledger) == 0 and site.store.event_count() == pending
    # The ledger is upgraded (here: the kiosk speaks its protocol again): everything arrives once.
    monkeypatch.setattr(agent_client, "PROTOCOL_VERSION", PROTOCOL_VERSION)
    result = sync_once(site.store, clock=site.clock, timeout=SHORT)
    assert result["ok"] and result["accepted"] == pending
    assert read_status(site.store, site.clock(), 300).last_error is None
    held = ledger.store()
    try:
        assert_exactly_once(held, [site.store])
    finally:
        held.close()


def test_a_kiosk_too_old_gets_426(tmp_path, monkeypatch):
    """The day PROTOCOL_VERSION moves on, a push of two versions back (here: v0, no
    header, against a ledger whose oldest accepted protocol is 1) is refused with 426."""
    monkeypatch.setattr(protocol_compat, "PROTOCOL_VERSION", PROTOCOL_VERSION + 1)
    monkeypatch.setattr(protocol_compat, "OLDEST", PROTOCOL_VERSION)
    monkeypatch.setitem(protocol_compat.UPGRADES, PROTOCOL_VERSION, lambda body: None)
    store = open_db(tmp_path / "ledger.db")
    at = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    try:
        store.load_reference([{"kind": "site", "key": "s", "data": {"site_id": "s"}}], at)
        enrolled = store.enroll(store.create_enrollment_code("s", at), "k", at)
        client = TestClient(create_app(store, clock=lambda: at))
        auth = {"Authorization": f"Bearer {enrolled.token}"}
        body = {"kiosk_id": enrolled.kiosk_id, "events": []}
        r = client.post("/v1/events", json=body, headers=auth)
        assert r.status_code == 426 and r.json()["error"] == "protocol_unsupported"
        assert "too old" in r.json()["message"] and "Upgrade the kiosk" in r.json()["message"]
        r = client.post(
            "/v1/events", json=body, headers={**auth, PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        )
        assert r.status_code == 200 and r.json()["acked_seq"] == 0
        r = client.post(
            "/v1/events", json=body, headers={**auth, PROTOCOL_HEADER: str(PROTOCOL_VERSION + 2)}
        )
        assert r.status_code == 400
    finally:
        store.close()


def test_the_version_check_comes_after_the_token_check(ledger, make_site):
    site = make_site(ledger, "service-center")
    r = requests.post(
        ledger.url + "/v1/events",
        json={"kiosk_id": site.kiosk_id, "events": []},
        headers={PROTOCOL_HEADER: "99"},
        timeout=10,
    )
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_every_accepted_older_version_has_its_upgrade():
    """Bumping PROTOCOL_VERSION needs the step from the previous version in UPGRADES."""
    assert protocol_compat.OLDEST == PROTOCOL_VERSION - 1
    assert set(range(protocol_compat.OLDEST, PROTOCOL_VERSION)) <= set(protocol_compat.UPGRADES)
