"""Issue 15 end to end, with a real ``kiosk-ledger serve`` process and the real agent:
sign-up and withdrawal online and offline (two offline kiosks overfilling an activity),
我的记录 from the ledger, and a certificate that verifies on a kiosk and at /verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import requests
from conftest import DAY
from ledger_process import environ

from kiosk.clock import env_for as clock_env
from kiosk.core.stars import stars_for
from kiosk.scanner import DecodePipeline
from sync.agent import fetch_record, sync_once
from sync.ledger.staff import exports, records

SHORT = (2.0, 5.0)
SOON = f"A-{DAY + timedelta(days=2):%Y%m%d}-11"  # the demo's small one: 2 places, 1 held
ROOT = Path(__file__).resolve().parents[2]


def synced(site) -> None:
    for _ in range(2):  # push, then a round that pulls the ledger's word back
        result = sync_once(site.store, clock=site.clock, timeout=SHORT)
        assert result["ok"], result


def ledger_signups(ledger) -> list[tuple]:
    store = ledger.store()
    try:
        with store.read() as tx:
            people = tx.signup_people([SOON])[SOON]
    finally:
        store.close()
    return [(p["volunteer_id"], p["status"], int(p["over_capacity"])) for p in people]


def test_sign_up_online_then_two_offline_kiosks_overfill_and_a_withdrawal_promotes(
    ledger, make_site
):
    a = make_site(ledger, "service-center", name="a")
    b = make_site(ledger, "xiangshan-study", name="b")
    synced(a), synced(b)
    assert a.store.places(SOON).left == 1  # V000104 holds one of the two places

    # Both kiosks lose the ledger; each gives the last place to someone else.
    first = a.kiosk.sign_up("V000101", SOON)
    b.clock.advance(minutes=1)
    second = b.kiosk.sign_up("V000102", SOON)
    assert not first.waitlisted and not second.waitlisted  # each kiosk saw a free place

    synced(b)  # b reaches the ledger first: its sign-up takes the place
    synced(a)  # a's arrives for a full activity: waiting list, and staff are told
    assert ledger_signups(ledger) == [
        ("V000104", "confirmed", 0),
        ("V000102", "confirmed", 0),
        ("V000101", "waiting", 1),
    ]
    exc = requests.get(f"{ledger.url}/v1/exceptions", headers=ledger.admin(), timeout=10).json()
    over = [e for e in exc["exceptions"] if e["kind"] == "over_capacity"]
    assert [(e["volunteer_id"], e["detail"]["activity_id"]) for e in over] == [("V000101", SOON)]
    # Every kiosk now shows the ledger's word, not its own guess.
    for site in (a, b):
        synced(site)
        places = site.store.places(SOON)
        assert places.confirmed == ("V000102", "V000104") and places.waiting == ("V000101",)

    # V000102 withdraws at kiosk b: the first on the waiting list gets the place.
    assert b.kiosk.withdraw("V000102", SOON).kind == "withdrawn"
    synced(b), synced(a)
    assert ledger_signups(ledger)[1:] == [("V000102", "withdrawn", 0), ("V000101", "confirmed", 1)]
    assert a.store.places(SOON).confirmed == ("V000101", "V000104")
    # Sent again, nothing changes (a lost answer, a restarted kiosk).
    assert a.store.rewind_acked(0) == 0
    synced(a)
    assert len(ledger_signups(ledger)) == 3
    # The 台账's 报名 sheet: who signed up, who waits, who withdrew (not yet begun: no "came").
    store = ledger.store()
    try:
        tables = exports.month_tables(store, f"{DAY + timedelta(days=2):%Y-%m}", ledger.now())
        sheet = next(t for t in tables if t.name == "报名")
    finally:
        store.close()
    assert [(r[5], r[7], r[8], r[9]) for r in sheet.rows] == [
        ("V000104", "已报名", "", ""),
        ("V000102", "已取消", "", ""),
        ("V000101", "已报名", "是", ""),
    ]


def test_my_record_comes_from_every_kiosk(ledger, make_site):
    a = make_site(ledger, "service-center", name="a")
    b = make_site(ledger, "xiangshan-study", name="b")
    assert a.kiosk.scan(ledger.card("V000103")).kind == "signed_in"
    a.clock.advance(hours=2)
    out = a.kiosk.scan(ledger.card("V000103"))
    assert out.kind == "signed_out"
    synced(a)
    a.kiosk.adjust_points("S0001", "V000103", 5, "bonus")
    synced(a)
    record = fetch_record(b.store, "V000103")  # at the other site's kiosk
    assert [s["credited_minutes"] for s in record["sessions"]] == [120]
    assert record["periods"]["month"] == {"minutes": 120, "points": out.points}
    assert record["moves"][0] == {"at": record["moves"][0]["at"], "delta": 5, "kind": "adjusted",
                                  "reason": "bonus"}  # fmt: skip
    assert record["moves"][1]["kind"] == "earned"
    assert record["stars"] >= 0 and len(record["star_thresholds"]) == 5
    none = requests.get(f"{ledger.url}/v1/volunteers/V000103/record", timeout=10)
    assert none.status_code == 401  # a kiosk's or staff's token only
    # The 台账's 志愿者汇总 gives each volunteer's hours in all and star level.
    store = ledger.store()
    try:
        records.set_ledger_settings(store, {"star_thresholds": "1,2,3,4,500"})
        summary = next(
            t for t in exports.month_tables(store, f"{DAY:%Y-%m}") if t.name == "志愿者汇总"
        )
    finally:
        store.close()
    row = next(r for r in summary.rows if r[0] == "V000103")
    assert summary.headers[-2:] == ["累计计入时长（小时）", "星级"]
    assert row[-1] == stars_for(round(row[-2] * 60), (1, 2, 3, 4, 500)) and row[-1] >= 2


def kiosk_cli(*args: str, at) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), **clock_env(at)},
    )  # fmt: skip
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    return proc.returncode, lines[0] if lines else {}


def test_a_certificate_verifies_on_a_kiosk_and_at_verify_and_a_forgery_does_not(
    ledger, make_site, tmp_path
):
    from sync.ledger.ops.cli import main as ledger_main

    a = make_site(ledger, "service-center", name="a")
    a.kiosk.scan(ledger.card("V000103"))
    a.clock.advance(hours=3)
    a.kiosk.scan(ledger.card("V000103"))
    synced(a)
    pdf = tmp_path / "cert.pdf"
    args = ["certificate", "V000103", "--db", str(ledger.db), "--out", str(pdf),
            "--issued-by", "test"]  # fmt: skip
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), environ(ledger.env):
        assert ledger_main(args, clock=ledger.now) == 0
    issued = json.loads(out.getvalue())
    assert issued["minutes"] == 180 and issued["sessions"] == 1 and issued["pages"] == 1

    # The PDF back to pixels, as a scanner sees it; its QR code read by the kiosk's pipeline.
    doc = pdfium.PdfDocument(str(pdf))
    page = np.asarray(doc[0].render(scale=150 / 72).to_pil().convert("RGB"))[:, :, ::-1].copy()
    doc.close()
    (code,) = [c.text for c in DecodePipeline().decode(page).codes]
    rc, shown = kiosk_cli("verify", "--data-dir", str(a.store.path.parent), code, at=a.clock())
    assert rc == 0 and shown["kind"] == "certificate"
    assert shown["certificate"]["number"] == issued["number"]
    assert shown["certificate"]["hours"] == "3.0"
    forged = code.replace(".180.", ".1800.")
    rc, shown = kiosk_cli("verify", "--data-dir", str(a.store.path.parent), forged, at=a.clock())
    assert rc == 1 and shown["reason"] == "certificate_forged"

    # /verify, no login: by number (typed, in lower case), by the QR's text, and forged.
    page = requests.get(
        f"{ledger.url}/verify", params={"number": issued["number"].lower()}, timeout=10
    )
    assert page.status_code == 200 and "这份证明真实有效" in page.text and "3.0 小时" in page.text
    assert "陈*文" in page.text  # the name masked: the paper in hand has it in full
    check = requests.get(f"{ledger.url}/verify.json", params={"code": code}, timeout=10).json()
    assert check["status"] == "genuine" and check["minutes"] == 180
    bad = requests.get(f"{ledger.url}/verify.json", params={"code": forged}, timeout=10).json()
    assert bad["status"] == "forged"
    unknown = requests.get(f"{ledger.url}/verify.json", params={"number": "VC-2026-000001-ZZZZZZ"},
                           timeout=10).json()  # fmt: skip
    assert unknown["status"] == "unknown"
    hostile = requests.get(
        f"{ledger.url}/verify", params={"number": "<script>x</script>"}, timeout=10
    )
    assert "<script>x" not in hostile.text and "&lt;script&gt;" in hostile.text
    store = ledger.store()
    try:
        with store.read() as tx:
            (row,) = tx.certificates("V000103")
    finally:
        store.close()
    assert (row["number"], row["minutes"], row["issued_by"]) == (issued["number"], 180, "test")
