"""Staff sessions reach the ledger: a real ``kiosk-ledger serve`` accepts the kiosk's
``staff.session_open`` and ``staff.session_close`` events and keeps them in its events,
and a real demo PIN (Argon2id keyed by the card) opens staff mode at an enrolled kiosk."""

from __future__ import annotations

import sqlite3

from kiosk.staff import StaffGate
from sync.agent import sync_once


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
    conn = sqlite3.connect(ledger.db)
    rows = conn.execute(
        "SELECT type, actor, json_extract(payload, '$.session_id') FROM events"
        " WHERE type LIKE 'staff.%' ORDER BY seq"
    ).fetchall()
    conn.close()
    assert rows == [
        ("staff.session_open", "S0001", verdict.session_id),
        ("staff.session_close", "S0001", verdict.session_id),
    ]
    store = ledger.store()
    try:
        assert store.exceptions("rejected") == []
    finally:
        store.close()
