"""The ledger in-process (FastAPI TestClient over a real SQLite file)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta

import pytest

with (
    warnings.catch_warnings()
):  # starlette's notice about httpx2; TestClient still works as documented
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from kiosk.core.codes import verify
from sync.ledger.app import create_app
from sync.ledger.db import open_db
from tests.dbpeek import refused, rows
from tests.demo_ledger import make_demo_ledger

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def env(tmp_path, ledger_url):
    admin = make_demo_ledger(ledger_url, tmp_path / "demo", "2026-11-29", lambda: T0)
    store = open_db(ledger_url)
    clock = Clock()
    client = TestClient(create_app(store, clock=clock))
    yield store, client, clock, admin
    store.close()


def _enroll(store, client, clock, site="service-center"):
    code = store.create_enrollment_code(site, clock.now)
    r = client.post("/v1/enroll", json={"enrollment_code": code, "kiosk_name": "front desk"})
    assert r.status_code == 200, r.text
    return code, r.json()


def _ev(kid, seq, **kw):
    ev = {
        "id": f"{kid}-{seq}",
        "kiosk_id": kid,
        "seq": seq,
        "type": "stock.restock",
        "occurred_at": "2026-11-29T09:00:00.000+08:00",
        "clock_offset_ms": 0,
        "actor": "S0001",
        "payload": {"site_id": "service-center", "item_id": "towel", "qty": 1},
    }
    ev.update(kw)
    return ev


def test_enrollment_codes_are_one_time_and_expire(env):
    store, client, clock, _ = env
    code, enrolled = _enroll(store, client, clock)
    assert enrolled["kiosk_id"] == "K-SC-01" and enrolled["site_id"] == "service-center"
    assert enrolled["public_key"] == store.public_key and len(enrolled["token"]) >= 40
    again = client.post("/v1/enroll", json={"enrollment_code": code, "kiosk_name": "x"})
    assert again.status_code == 403 and again.json()["error"] == "code_used"
    late = store.create_enrollment_code("xiangshan-study", clock.now, timedelta(hours=1))
    clock.now += timedelta(hours=2)
    r = client.post("/v1/enroll", json={"enrollment_code": late.lower(), "kiosk_name": "x"})
    assert r.status_code == 403 and r.json()["error"] == "code_expired"
    r = client.post("/v1/enroll", json={"enrollment_code": "AAAA-BBBB-CCCC", "kiosk_name": "x"})
    assert r.status_code == 404
    # Tokens are stored hashed, never as given.
    raw = rows(store, "SELECT token_hash FROM kiosks")[0][0]
    assert raw != enrolled["token"] and len(raw) == 64


def test_gap_stops_ingest_and_acked_seq_is_contiguous(env):
    store, client, clock, _ = env
    _, k = _enroll(store, client, clock)
    auth = {"Authorization": f"Bearer {k['token']}"}
    r = client.post(
        "/v1/events",
        headers=auth,
        json={"kiosk_id": k["kiosk_id"], "events": [_ev(k["kiosk_id"], s) for s in (1, 2, 4, 5)]},
    )
    body = r.json()
    assert body["acked_seq"] == 2
    assert [x["status"] for x in body["results"]] == ["accepted", "accepted", "pending", "pending"]
    assert body["server_time"].startswith("2026-11-29T01:00")
    r = client.post(
        "/v1/events",
        headers=auth,
        json={"kiosk_id": k["kiosk_id"], "events": [_ev(k["kiosk_id"], s) for s in (3, 4, 5)]},
    )
    assert r.json()["acked_seq"] == 5
    assert store.stock_levels()[("service-center", "towel")] == 25 + 5


def test_events_and_journal_are_append_only(env):
    store, client, clock, _ = env
    _, k = _enroll(store, client, clock)
    auth = {"Authorization": f"Bearer {k['token']}"}
    client.post(
        "/v1/events",
        headers=auth,
        json={
            "kiosk_id": k["kiosk_id"],
            "events": [
                _ev(
                    k["kiosk_id"],
                    1,
                    type="points.adjust",
                    payload={"volunteer_id": "V000101", "delta": -20},
                )
            ],
        },
    )
    for sql in (
        "UPDATE events SET actor = 'x'",
        "DELETE FROM events",
        "UPDATE journal SET amount = 0",
        "DELETE FROM journal",
    ):
        assert refused(store, sql), sql
    assert store.volunteer("V000101")["balance"] == 100
    assert store.journal_balances()["V000101"] == 100


def test_rejected_events_have_reasons_and_advance(env):
    store, client, clock, _ = env
    _, k = _enroll(store, client, clock)
    kid = k["kiosk_id"]
    events = [
        _ev(kid, 1, type="no.such.type"),
        _ev(kid, 2, occurred_at="yesterday"),
        _ev(kid, 3, occurred_at="2026-11-29T09:00:00"),
        _ev(kid, 4, kiosk_id="K-XS-01"),
        _ev(
            kid,
            5,
            type="attendance.sign_out",
            payload={"session_id": "nope", "minutes": 1, "credited_minutes": 0, "points": 0},
        ),
        _ev(kid, 6, type="redemption.cancel", payload={"redemption_id": "nope"}),
        _ev(kid, 7),
    ]
    r = client.post(
        "/v1/events",
        headers={"Authorization": f"Bearer {k['token']}"},
        json={"kiosk_id": kid, "events": events},
    ).json()
    assert r["acked_seq"] == 7
    assert [x["status"] for x in r["results"]] == ["rejected"] * 6 + ["accepted"]
    assert all(x["reason"] for x in r["results"][:6])
    rejected = client.get(
        "/v1/exceptions?kind=rejected", headers={"Authorization": f"Bearer {env[3]}"}
    ).json()
    assert len(rejected["exceptions"]) == 6


def test_change_feed_cursor_pages_and_reset(env):
    store, client, clock, admin = env
    auth = {"Authorization": f"Bearer {admin}"}
    first = client.get("/v1/changes?limit=10", headers=auth).json()
    assert (
        first["reset"] is True
        and len(first["changes"]) == 10
        and first["public_key"] == store.public_key
    )
    seen, cursor = list(first["changes"]), first["next_cursor"]
    while True:
        page = client.get(f"/v1/changes?since={cursor}&limit=10", headers=auth).json()
        assert page["reset"] is False
        if not page["changes"]:
            break
        seen += page["changes"]
        cursor = page["next_cursor"]
    kinds = {c["kind"] for c in seen}
    assert {
        "site",
        "volunteer",
        "staff_pin",
        "activity",
        "catalog_item",
        "stock",
        "balance",
    } <= kinds
    assert len({(c["kind"], c["key"]) for c in seen}) == len(seen)
    assert all("pin" not in c["data"] for c in seen)  # only hashes
    for bad in ("nonsense", "deadbeef.1", cursor.split(".")[0] + ".999999"):
        assert client.get(f"/v1/changes?since={bad}", headers=auth).json()["reset"] is True
    assert client.get("/v1/changes").status_code == 401


def test_cli_init_enroll_code_and_demo_roster(tmp_path):
    db = tmp_path / "x.db"
    out = subprocess.run(
        [sys.executable, "-m", "sync.ledger", "init", "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "signing-key" in out and "BACK THIS FILE UP" in out and "admin) token:" in out
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "sync.ledger",
            "demo-data",
            "--db",
            str(db),
            "--out",
            str(tmp_path / "demo"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(r.stdout)["ok"]
    roster = json.loads((tmp_path / "demo" / "roster.json").read_text(encoding="utf-8"))
    store = open_db(db)
    for person in roster:
        assert {"volunteer_id", "name", "kind", "code", "card"} <= set(person)
        assert verify(person["code"], store.public_key).subject_id == person["volunteer_id"]
        assert (person["kind"] == "S") == ("pin" in person)
    assert (tmp_path / "demo" / "cards" / "V000101.png").exists()
    code = subprocess.run(
        [
            sys.executable,
            "-m",
            "sync.ledger",
            "enroll-code",
            "--db",
            str(db),
            "--site",
            "service-center",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert len(code.strip()) == 14 and code.count("\n") == 1
    bad = subprocess.run(
        [sys.executable, "-m", "sync.ledger", "enroll-code", "--db", str(db), "--site", "x"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown site" in bad.stderr


def test_ledger_imports_no_kiosk_ui_or_camera():
    # Only the pure core and the stdlib-only config and logging helpers are shared.
    code = (
        "import sys, sync.ledger.app, sync.ledger.ops.cli, kiosk.logs;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('kivy', 'cv2')"
        " or (m.startswith('kiosk') and not (m in ('kiosk', 'kiosk.tomlconfig', 'kiosk.logs', 'kiosk.clock', 'kiosk.sqlite_migrate', 'kiosk.private')"
        " or m.startswith('kiosk.core')))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_loading_reference_data_again_keeps_balances(env):
    """Opening balances are posted once: a second load (demo data again, after kiosks have
    moved points) leaves balances and the journal as they were."""
    from datetime import date

    from kiosk.core.codes import generate_keypair
    from sync.ledger.ops import demo

    store, client, clock, _ = env
    _, kiosk = _enroll(store, client, clock)
    before = store.balances()
    assert before["V000101"] > 0
    ev = _ev(
        kiosk["kiosk_id"],
        1,
        type="points.adjust",
        payload={"volunteer_id": "V000101", "delta": 5, "reason": "test"},
    )
    assert store.ingest(kiosk["kiosk_id"], [ev], clock.now)[1] == 1
    entries = rows(store, "SELECT COUNT(*) FROM journal")[0][0]
    store.load_reference(
        demo.build(date(2026, 11, 29), generate_keypair()).snapshot["changes"], clock.now
    )
    assert store.balances() == {**before, "V000101": before["V000101"] + 5}
    assert rows(store, "SELECT COUNT(*) FROM journal")[0][0] == entries


def test_staff_taking_points_already_spent_elsewhere_is_an_overdraft(env):
    """Kiosk a takes 40 points back (a staff adjustment) and corrects a session down while kiosk
    b, offline, let the volunteer spend them: the ledger keeps every event, and each one that
    left the balance below zero is listed as an overdraft with its cause (the seed-930 case of
    the simulation, which found the adjustment unlisted)."""
    store, client, clock, _ = env
    _, a = _enroll(store, client, clock)
    _, b = _enroll(store, client, clock, "xiangshan-study")
    start = store.balances()["V000101"]
    cost = json.loads(rows(store, "SELECT data FROM catalog WHERE item_id = 'towel'")[0][0])["cost"]
    at = "2026-11-29T10:00:00.000+08:00"
    spend = _ev(
        b["kiosk_id"],
        1,
        id="r1",
        type="redemption.create",
        actor="V000101",
        occurred_at=at,
        payload={
            "redemption_id": "r1",
            "item_id": "towel",
            "site_id": "xiangshan-study",
            "cost": cost,
            "stocked": True,
        },
    )
    rest = _ev(
        b["kiosk_id"],
        2,
        type="points.adjust",
        payload={"volunteer_id": "V000101", "delta": cost - start, "reason": "spent elsewhere"},
    )
    results, _ = store.ingest(b["kiosk_id"], [spend, rest], clock.now)
    assert {r["status"] for r in results} == {"accepted"}, results
    assert store.balances()["V000101"] == 0 and store.exceptions("overdraft") == []
    sign_in = _ev(
        a["kiosk_id"],
        1,
        id="s1",
        type="attendance.sign_in",
        actor="V000101",
        occurred_at=at,
        payload={
            "session_id": "s1",
            "activity_id": "GEN-SC-20261129",
            "site_id": "service-center",
        },
    )
    sign_out = _ev(
        a["kiosk_id"],
        2,
        id="s1-out",
        type="attendance.sign_out",
        actor="V000101",
        occurred_at="2026-11-29T12:00:00.000+08:00",
        payload={"session_id": "s1", "minutes": 120, "credited_minutes": 120, "points": 20},
    )
    take = _ev(
        a["kiosk_id"],
        3,
        id="adj1",
        type="points.adjust",
        actor="S0001",
        payload={"volunteer_id": "V000101", "delta": -15, "reason": "mistake"},
    )
    fix = _ev(
        a["kiosk_id"],
        4,
        id="fix1",
        type="attendance.correct",
        actor="S0001",
        occurred_at="2026-11-29T13:00:00.000+08:00",
        payload={
            "session_id": "s1",
            "signed_out_at": "2026-11-29T10:30:00.000+08:00",
            "minutes": 30,
            "credited_minutes": 30,
            "points": 5,
            "reason": "wrong_time",
        },
    )
    results, acked = store.ingest(a["kiosk_id"], [sign_in, sign_out, take, fix], clock.now)
    assert acked == 4 and {r["status"] for r in results} == {"accepted"}, results
    assert store.balances()["V000101"] == -10
    found = {x["event_id"]: x for x in store.exceptions("overdraft")}
    assert set(found) == {
        "fix1"
    }  # after the adjustment the balance was 20 - 15 = 5: not below zero
    assert found["fix1"]["detail"] == {"balance": -10, "delta": -15, "cause": "attendance.correct"}
    more = _ev(
        a["kiosk_id"],
        5,
        id="adj2",
        type="points.adjust",
        actor="S0001",
        payload={"volunteer_id": "V000101", "delta": -5, "reason": "mistake"},
    )
    store.ingest(a["kiosk_id"], [more], clock.now)
    x = {x["event_id"]: x for x in store.exceptions("overdraft")}["adj2"]
    assert x["volunteer_id"] == "V000101" and x["kiosk_id"] == a["kiosk_id"]
    assert x["detail"] == {"balance": -15, "delta": -5, "cause": "points.adjust"}
    give = _ev(
        a["kiosk_id"],
        6,
        id="adj3",
        type="points.adjust",
        actor="S0001",
        payload={"volunteer_id": "V000101", "delta": 5, "reason": "bonus"},
    )
    store.ingest(
        a["kiosk_id"], [give], clock.now
    )  # giving points never raises one, even below zero
    assert len(store.exceptions("overdraft")) == 2
