"""Trust, end to end with a real ``kiosk-ledger serve``: an honest kiosk's day (sign-ins and
sign-outs, a forgotten sign-out closed, a staff correction, a redemption, a restock) is
accepted event for event, the ledger working every figure out again by the same rules;
then staff revoke the kiosk (``kiosk-ledger kiosks revoke`` and the admin endpoint): it
hears 401 with a clear message, Chinese first, on its sync page, and its accepted events
stay."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from datetime import datetime

import requests

from kiosk.ui.flows import sync_view
from sync.agent import sync_once
from sync.ledger.ops.cli import main as ledger_main


def _ledger_cli(ledger, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = ledger_main([*args, "--db", str(ledger.db)], clock=ledger.now)
    return code, out.getvalue()


def test_an_honest_kiosk_is_accepted_then_a_revoked_one_is_told_why(ledger, make_site, caplog):
    site = make_site(ledger, "service-center")
    other = make_site(ledger, "xiangshan-study")
    assert sync_once(site.store, clock=site.clock)["ok"]
    kiosk, clock = site.kiosk, site.clock
    # 08:00 general duty; the canteen helper (10:00-13:00, 15 an hour) is forgotten.
    assert kiosk.scan(ledger.card("V000101")).kind == "signed_in"
    assert kiosk.scan(ledger.card("V000102")).kind == "signed_in"
    clock.advance(hours=2, minutes=17, seconds=31)
    assert kiosk.scan(ledger.card("V000101")).kind == "signed_out"
    assert kiosk.scan(ledger.card("V000103"), activity_id="A-20261129-01").kind == "signed_in"
    clock.advance(hours=3)
    assert kiosk.scan(ledger.card("V000102")).kind == "signed_out"
    clock.advance(hours=2)  # 15:17: the canteen ended at 13:00, an hour's grace passed
    assert [o.kind for o in kiosk.close_forgotten_sessions()] == ["auto_closed"]
    session = next(
        s for s in kiosk.store.recent_sessions("2026-11-29") if s["volunteer_id"] == "V000102"
    )
    fixed = kiosk.correct_attendance(
        "S0001",
        session["session_id"],
        datetime.fromisoformat("2026-11-29T12:40:00+08:00"),
        "left early",
    )
    assert fixed.ok, fixed
    assert kiosk.redeem(ledger.card("V000101"), "towel").kind == "redeemed"
    taken = kiosk.redeem(ledger.card("V000102"), "towel")
    assert taken.kind == "redeemed", taken
    rid = next(
        e.payload["redemption_id"] for e in site.store.pending(100) if e.id in taken.event_ids
    )
    assert kiosk.cancel_redemption("S0001", rid, "changed their mind").ok
    assert kiosk.restock("S0001", "towel", 3).ok
    assert kiosk.adjust_stock("S0001", "towel", -1, "counted").ok
    assert kiosk.adjust_points("S0001", "V000104", 5, "helped out").ok
    names = dict(site.store.catalog_item("towel").names)
    assert kiosk.upsert_catalog_item("S0001", "towel", names, 30).ok
    caplog.set_level(logging.WARNING, logger="sync")
    result = sync_once(site.store, clock=clock)
    assert result["ok"] and site.store.pending_count() == 0, result
    store = ledger.store()
    try:
        assert store.exceptions("rejected") == [] and store.exceptions("figure_recomputed") == []
        for vid in ("V000101", "V000102", "V000103", "V000104"):
            assert store.volunteer(vid)["balance"] == site.store.balance(vid), vid
        held = store.counts()["events"]
    finally:
        store.close()
    # Every event the kiosk wrote fits the protocol's schema, as the agent checked it.
    assert not [r for r in caplog.records if "does not fit the protocol" in r.getMessage()]

    # Revoked from the command line: the kiosk's next sync is refused, and says why.
    code, out = _ledger_cli(ledger, "kiosks", "revoke", site.kiosk_id, "--reason", "设备丢失")
    assert code == 0 and json.loads(out)["revoked"], out
    assert kiosk.scan(ledger.card("V000105")).kind == "signed_in"  # the kiosk keeps working
    result = sync_once(site.store, clock=clock)
    assert not result["ok"] and result["error"] == "kiosk_revoked" and not result["retry"]
    assert result["message"].startswith("本机") and "设备丢失" in result["message"]
    assert "revoked" in result["message"]  # English after the Chinese
    page = sync_view(kiosk, None)  # the sync page says it in staff's words (issue 18)...
    assert page.last_error == "refused"
    # ...and the kiosk keeps the ledger's own words for `kiosk status --json` and the log
    assert "设备丢失" in site.store.setting("last_sync_error")
    assert site.store.pending_count() == 1  # kept on the kiosk, to send after enrolling anew
    code, out = _ledger_cli(ledger, "kiosks", "list", "--json")
    listed = {k["kiosk_id"]: k for k in json.loads(out)}
    assert (
        listed[site.kiosk_id]["revoked"] and listed[site.kiosk_id]["revoked_reason"] == "设备丢失"
    )
    assert not listed[other.kiosk_id]["revoked"]
    code, out = _ledger_cli(ledger, "kiosks", "list")
    assert code == 0 and site.kiosk_id in out and "revoked" in out

    # And through the admin endpoint.
    r = requests.post(
        f"{ledger.url}/v1/admin/kiosks/{other.kiosk_id}/revoke",
        params={"reason": "retired"},
        headers=ledger.admin(),
        timeout=10,
    )
    assert r.status_code == 200 and r.json()["revoked"], r.text
    r = requests.post(
        f"{ledger.url}/v1/admin/kiosks/K-NOPE/revoke", headers=ledger.admin(), timeout=10
    )
    assert r.status_code == 404 and r.json()["error"] == "unknown_kiosk"
    r = requests.get(f"{ledger.url}/v1/admin/kiosks", headers=ledger.admin(), timeout=10)
    assert all(k["revoked"] for k in r.json()["kiosks"])
    assert sync_once(other.store, clock=other.clock)["error"] == "kiosk_revoked"
    store = ledger.store()
    try:
        assert store.counts()["events"] == held  # what was accepted stays
    finally:
        store.close()
