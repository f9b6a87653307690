"""Staff sessions reach the ledger: a real ``kiosk-ledger serve`` accepts the kiosk's
``staff.session_open`` and ``staff.session_close`` events and keeps them in its events,
and a real demo PIN (Argon2id keyed by the card) opens staff mode at an enrolled kiosk."""

from __future__ import annotations

import json

from kiosk.staff import StaffGate
from sync.agent import sync_once
from tests.dbpeek import rows


def test_staff_sessions_are_accepted_and_kept_by_the_ledger(ledger, make_site):
    site = make_site(ledger, "service-center")
    assert sync_once(site.store, clock=site.clock)["ok"]  # the roster and the PIN hashes
    staff = next(p for p in ledger.roster if p["volunteer_id"] == "S0001")
    gate = StaffGate(site.kiosk)
    verdict = gate.try_pin(staff["code"], staff["pin"])
    assert verdict.ok, verdict
    site.kiosk.restock("S0001", "towel", 2)
    site.clock.advance(minutes=2)
    gate.close("idle")
    result = sync_once(site.store, clock=site.clock)
    assert result["ok"] and site.store.pending_count() == 0, result
    store = ledger.store()
    try:
        staff_events = [
            (type_, actor, json.loads(payload)["session_id"])
            for type_, actor, payload in rows(
                store,
                "SELECT type, actor, payload FROM events WHERE substr(type, 1, 6) = 'staff.' ORDER BY seq",
            )
        ]
    finally:
        store.close()
    assert staff_events == [
        ("staff.session_open", "S0001", verdict.session_id),
        ("staff.session_close", "S0001", verdict.session_id),
    ]
    store = ledger.store()
    try:
        assert store.exceptions("rejected") == []
    finally:
        store.close()
