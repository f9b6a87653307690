"""GET /v1/exceptions with a kiosk token: its own site's rows only, cut to what the staff page
shows. Real kiosk stores make the exceptions (offline overdraft, overlapping sessions, a
conflict, a refused event, stock below zero) and push them through the sync agent's code to
the ledger app in-process."""

from __future__ import annotations

import json
import random
import warnings
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import Store
from sync.agent import enroll, fetch_exceptions, sync_once
from sync.ledger.app import create_app
from sync.ledger.db import open_db
from tests.demo_ledger import make_demo_ledger
from tests.sync.sim_transport import Wire, session_for

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 29, 8, 0, tzinfo=TZ)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


@pytest.fixture
def world(tmp_path, ledger_url):
    admin = make_demo_ledger(ledger_url, tmp_path / "demo", "2026-11-29", lambda: START)
    cards = {
        p["volunteer_id"]: p["code"]
        for p in json.loads((tmp_path / "demo" / "roster.json").read_text(encoding="utf-8"))
    }
    ledger = open_db(ledger_url)
    clock = Clock()
    app = create_app(ledger, clock=lambda: clock.now.astimezone(UTC))
    wire = Wire(app, random.Random(1))
    kiosks = {}
    for name, site in (("a", "service-center"), ("b", "xiangshan-study"), ("c", "service-center")):
        store = Store(tmp_path / f"{name}.db", create=True)
        session, _ = session_for(wire, name)
        code = ledger.create_enrollment_code(site, clock.now.astimezone(UTC), timedelta(hours=1))
        assert enroll(store, "http://ledger", code, name, session=session, clock=clock)["ok"]
        kiosks[name] = {
            "store": store,
            "session": session,
            "site": site,
            "kiosk": Kiosk(store, KioskConfig(), clock=clock),
            "token": store.setting("ledger_token"),
        }
    yield ledger, TestClient(app), clock, admin, cards, kiosks
    for k in kiosks.values():
        k["session"].close()
        k["store"].close()
    wire.close()
    ledger.close()


def listed(client, token, kind=None):
    r = client.get(
        "/v1/exceptions",
        params={"kind": kind} if kind else None,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def make_exceptions(clock, cards, kiosks):
    a, b = kiosks["a"], kiosks["b"]
    clock.now += timedelta(hours=1)
    for k in (a, b):  # both offline for a while: redemptions within the offline allowance
        k["store"].set_settings(last_contact_at="2026-11-28T00:00:00.000+08:00")
    assert a["kiosk"].redeem(cards["V000109"], "towel").kind == "redeemed"
    assert b["kiosk"].redeem(cards["V000109"], "towel").kind == "redeemed"  # 35 points, spent twice
    assert a["kiosk"].scan(cards["V000101"]).kind == "signed_in"
    clock.now += timedelta(minutes=20)
    assert b["kiosk"].scan(cards["V000101"]).kind == "signed_in"  # on duty at both sites at once
    clock.now += timedelta(hours=2)
    for k in (a, b):
        assert k["kiosk"].scan(cards["V000101"]).kind == "signed_out"
    now = clock.now
    first = a["store"].events_after(0, 1)[0]
    with a["store"].transaction() as conn:  # refused by the ledger: a negative restock
        a["store"].append(
            conn,
            "stock.restock",
            "S0001",
            {"site_id": "service-center", "item_id": "towel", "qty": -3},
            occurred_at=now,
            now=now,
        )
    with b["store"].transaction() as conn:
        # the same id as a's first event with other content: a conflict raised by b
        b["store"].append(
            conn,
            "points.adjust",
            "S0001",
            {"volunteer_id": "V000110", "delta": 5, "reason": "x"},
            occurred_at=now,
            now=now,
            event_id=first.id,
        )
        # more taken off the shelf than the ledger knows of: stock below zero at b's site
        b["store"].append(
            conn,
            "stock.adjust",
            "S0001",
            {"site_id": "xiangshan-study", "item_id": "towel", "delta": -500, "reason": "count"},
            occurred_at=now,
            now=now,
        )
    for k in (a, b, a):
        assert sync_once(k["store"], session=k["session"], clock=clock)["ok"]


def test_a_kiosk_reads_its_own_sites_exceptions_only(world):
    ledger, client, clock, admin, cards, kiosks = world
    make_exceptions(clock, cards, kiosks)
    everything = listed(client, admin)["exceptions"]
    assert {x["kind"] for x in everything} == {
        "overdraft",
        "overlapping_sessions",
        "conflict",
        "rejected",
        "stock_below_zero",
    }
    ids = {name: k["store"].setting("kiosk_id") for name, k in kiosks.items()}

    def concerns(row, site, kiosk_ids):
        return (
            row["site_id"] == site
            or row["kiosk_id"] in kiosk_ids
            or bool(set(row["detail"].get("kiosks", [])) & kiosk_ids)
        )

    for name, site, mates in (
        ("a", "service-center", {ids["a"], ids["c"]}),
        ("b", "xiangshan-study", {ids["b"]}),
        ("c", "service-center", {ids["a"], ids["c"]}),
    ):
        answer = listed(client, kiosks[name]["token"])
        assert answer["site_id"] == site
        rows = answer["exceptions"]
        # exactly the staff list's rows that concern this site, in the same order
        expected = [x["exception_id"] for x in everything if concerns(x, site, mates)]
        assert [x["exception_id"] for x in rows] == expected and rows
        for row in rows:
            assert set(row) == {
                "exception_id",
                "kind",
                "volunteer_id",
                "site_id",
                "kiosk_id",
                "event_id",
                "detail",
                "created_at",
            }
            assert "body" not in row["detail"]  # a conflicting event's content stays at the ledger
    a_kinds = {x["kind"] for x in listed(client, kiosks["a"]["token"])["exceptions"]}
    b_kinds = {x["kind"] for x in listed(client, kiosks["b"]["token"])["exceptions"]}
    assert a_kinds == {"rejected", "overlapping_sessions"}  # the overdraft was b's redemption
    assert b_kinds == {"overdraft", "overlapping_sessions", "conflict", "stock_below_zero"}
    # c made nothing itself but shares a's site: it sees a's refused event too
    assert {x["kind"] for x in listed(client, kiosks["c"]["token"])["exceptions"]} == a_kinds
    [over] = listed(client, kiosks["b"]["token"], "overdraft")["exceptions"]
    assert (
        over["volunteer_id"] == "V000109"
        and over["detail"]["balance"] == -25
        and over["detail"]["cost"] == 30
    )
    [overlap] = listed(client, kiosks["a"]["token"], "overlapping_sessions")["exceptions"]
    assert overlap["volunteer_id"] == "V000101" and set(overlap["detail"]["kiosks"]) == {
        ids["a"],
        ids["b"],
    }
    assert all("ref" in x for x in everything)  # staff get the rows as stored, as before
    # the sync agent's call gets the same rows with the kiosk's own token
    assert (
        fetch_exceptions(kiosks["b"]["store"], session=kiosks["b"]["session"])
        == listed(client, kiosks["b"]["token"])["exceptions"]
    )


def test_exceptions_need_a_kiosk_or_staff_token(world):
    ledger, client, clock, admin, cards, kiosks = world
    make_exceptions(clock, cards, kiosks)
    assert client.get("/v1/exceptions").status_code == 401
    for token in ("not-a-token", kiosks["a"]["token"][:-2] + "xx"):
        r = client.get("/v1/exceptions", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    # a revoked kiosk reads nothing more
    ledger.revoke_kiosk(kiosks["b"]["store"].setting("kiosk_id"), clock())
    r = client.get("/v1/exceptions", headers={"Authorization": f"Bearer {kiosks['b']['token']}"})
    assert r.status_code == 401 and r.json()["error"] == "kiosk_revoked"
    assert len(listed(client, admin)["exceptions"]) >= 5
