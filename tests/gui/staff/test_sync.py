"""The staff sync page lists the ledger's exceptions for this kiosk's site, as the real sync
agent read them (with the kiosk's own token) from the ledger app, called in-process."""

from __future__ import annotations

import random
from datetime import UTC, timedelta

import pytest

from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import Store
from sync.agent import SyncAgent, enroll, sync_once
from sync.ledger.app import create_app
from sync.ledger.db import open_db
from tests.gui.staff.common import login, page
from tests.sync.sim_transport import Wire, session_for


@pytest.fixture
def ledger_world(gui, demo_dir, tmp_path):
    _, data = demo_dir
    ledger = open_db(tmp_path / "ledger.db", synchronous="OFF")
    ledger.set_keys(data.keys.public_key, "")
    ledger.load_reference(data.snapshot["changes"], gui.clock().astimezone(UTC))
    wire = Wire(create_app(ledger, clock=lambda: gui.clock().astimezone(UTC)), random.Random(5))
    opened: list = [wire, ledger]

    def join(store: Store, name: str):
        session, _ = session_for(wire, name)
        opened.insert(0, session)
        code = ledger.create_enrollment_code(
            "service-center", gui.clock().astimezone(UTC), timedelta(hours=1)
        )
        assert enroll(store, "http://ledger", code, name, session=session, clock=gui.clock)["ok"]
        return session

    yield ledger, wire, join
    agent = gui.app.sync_agent
    gui.app.sync_agent = None
    if agent is not None:
        agent.stop()
    for thing in opened:
        thing.close()


def test_staff_sync_page_lists_the_sites_exceptions_from_the_ledger(
    gui, roster, ledger_world, tmp_path
):
    ledger, wire, join = ledger_world
    join(gui.store, "front desk")
    other = Store(tmp_path / "other.db", create=True)
    other_session = join(other, "side door")
    other_kiosk = Kiosk(other, KioskConfig(), clock=gui.clock)
    # Both kiosks of the site offline: V000109 (35 points) redeems a towel (30) at each.
    for store in (gui.store, other):
        store.set_settings(last_contact_at="2026-11-29T00:00:00.000+08:00")
    assert other_kiosk.redeem(roster["V000109"]["code"], "towel").kind == "redeemed"
    assert gui.kiosk.redeem(roster["V000109"]["code"], "towel").kind == "redeemed"
    now = gui.clock()
    with gui.store.transaction() as conn:  # and a record the ledger refuses
        gui.store.append(
            conn,
            "stock.restock",
            "S0001",
            {"site_id": "service-center", "item_id": "towel", "qty": -3},
            occurred_at=now,
            now=now,
        )
    # Staff here then take back the 5 points this kiosk thinks are left: at the ledger, below zero.
    assert gui.kiosk.adjust_points("S0001", "V000109", -5, "mistake").ok
    assert sync_once(other, session=other_session, clock=gui.clock)["ok"]
    other.close()

    # The real agent pushes this kiosk's events and reads the site's exceptions on its thread.
    agent = SyncAgent(
        gui.store,
        interval=3600,
        clock=gui.clock,
        session_factory=lambda: session_for(wire, "agent")[0],
    )
    gui.app.sync_agent = agent.start()
    gui.wait_until(lambda: agent.exceptions_at is not None, what="exceptions read by the agent")
    rows = agent.exceptions()
    assert {r["kind"] for r in rows} == {"overdraft", "rejected"}

    login(gui, roster)
    gui.press("tab", "sync")
    gui.wait_until(lambda: "积分透支" in gui.texts(scrolled=True), what="the overdraft listed")
    text = gui.texts(scrolled=True)
    assert "总台账发现的问题" in text and "从总台账读取" in text
    assert "积分透支" in text and "V000109" in text and "兑换 30 分后余额 -25 分" in text
    assert "人工调整 -5 分后余额 -30 分" in text
    assert (
        "被拒收的记录" in text
        and "第 2 条记录被拒收：payload.qty: Input should be greater than 0" in text
    )
    assert "没有问题" not in text and "还没有从总台账读到" not in text
    assert not {key for _lang, key in gui.app.translator.missing if key.startswith("staff.sync")}

    gui.app.lang = "en"
    page(gui).render()
    gui.settle()
    text = gui.texts(scrolled=True)
    assert "Exceptions from the ledger" in text and "Overdraft" in text and "Refused record" in text
    assert "balance -25 after redeeming for 30 points" in text
    assert "balance -30 after a staff adjustment of -5 points" in text
    gui.app.lang = "zh-Hans"
