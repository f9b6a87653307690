"""The staff sync page: the ledger's exceptions for this kiosk's site, as the real sync agent
read them (with the kiosk's own token) from the ledger app, called in-process; and the top
bar, the page and ``kiosk status --json`` agreeing after every action, online and offline."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from kiosk.config import KioskConfig
from kiosk.core.codes import mask_name
from kiosk.service import Kiosk
from kiosk.store import Store
from sync.agent import SyncAgent, enroll, sync_once
from sync.ledger.app import create_app
from sync.ledger.db import open_db
from tests.gui.staff.common import login
from tests.sync.sim_transport import Wire, session_for

ROOT = Path(__file__).resolve().parents[3]


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
    # Meanwhile the towel went down to 28 points at the server: this kiosk's redemption (30,
    # its own catalog's price) is charged the server's price, and the server says so.
    towel = json.loads(
        ledger.conn.execute("SELECT data FROM catalog WHERE item_id = 'towel'").fetchone()[0]
    )
    ledger.load_reference(
        [{"kind": "catalog_item", "key": "towel", "data": {**towel, "cost": 28}}],
        gui.clock().astimezone(UTC),
    )

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
    assert {r["kind"] for r in rows} == {"overdraft", "rejected", "figure_recomputed"}

    login(gui, roster)
    gui.press("tab", "sync")
    gui.wait_until(lambda: "积分透支" in gui.texts(scrolled=True), what="the overdraft listed")
    text = gui.texts(scrolled=True)
    assert "需要核对的问题（服务器发现的）" in text and "从服务器读取" in text
    name = gui.store.roster_entry("V000109").display_name
    # the volunteer by masked name and number; the figures; times to the minute
    assert f"积分透支\u3000{mask_name(name)}（V000109）\u3000兑换 28 分后余额 -23 分" in text
    assert "人工调整 -5 分后余额 -28 分" in text
    assert (
        f"兑换积分由服务器重新计算\u3000{mask_name(name)}（V000109）"
        "\u3000毛巾：本机记的积分与奖品目录不同，按目录价 28 分计"
    ) in text
    # the refused record named for what it was, the reason left to the console: no code
    assert "服务器没有收下的记录\u3000本机\u3000第 2 条记录（补货）：原因可在后台查看" in text
    assert "payload" not in text and "qty" not in text and "K-SC-01" not in text
    assert "没有问题" not in text and "还没有从服务器读到" not in text
    assert not {key for _lang, key in gui.app.translator.missing if key.startswith("staff.sync")}

    gui.app.lang = "en"
    gui.settle()
    text = gui.texts(scrolled=True)
    assert "Problems the server found, to check" in text
    assert "Points overdrawn" in text and "Record not accepted" in text
    assert "balance -23 after redeeming for 28 points" in text
    assert "balance -28 after a staff change of -5 points" in text
    assert "Redemption worked out again by the server" in text
    assert "Towel: this kiosk's figure differed from the rewards catalog; charged the" in text
    assert "record 2 (Restock): the console says why" in text
    gui.app.lang = "zh-Hans"


def kiosk_status(gui) -> dict:
    """``kiosk status --json``, run as a person would, on the same data folder and clock."""
    env = {**os.environ, "KIOSK_CLOCK": gui.clock().isoformat(), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "status",
            "--json",
            "--data-dir",
            str(gui.store.path.parent),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


BAR = {
    "online": lambda n: "已联网" if n == 0 else f"已联网 · {n} 条待上传",
    "offline": lambda n: f"未联网 · {n} 条待上传",
}
PAGE = {
    "online": "已联网：记录会自动上传到服务器",
    "offline": "未联网：本机还没连上服务器",
}


def agree(gui, connection: str, pending: int, page_open: bool) -> None:
    """The top bar, the sync page and ``kiosk status --json`` say the same."""
    gui.app.refresh_status()
    gui.settle()
    cli = kiosk_status(gui)
    assert (cli["connection"], cli["pending_events"]) == (connection, pending)
    assert gui.app.sync_state == connection and gui.app.sync_text == BAR[connection](pending)
    if page_open:
        text = gui.texts(scrolled=True)
        assert PAGE[connection] in text
        if pending:
            assert f"还有 {pending} 条记录待上传" in text
            rows = [ln for ln in text.splitlines() if ln.startswith("第 ") and "条\u3000" in ln]
            assert len(rows) == pending, rows
        else:
            assert "全部记录都已上传" in text


def test_the_bar_the_sync_page_and_kiosk_status_agree_online_and_offline(gui, roster, ledger_world):
    _ledger, wire, join = ledger_world
    join(gui.store, "front desk")
    adapters = []

    def session():
        s, adapter = session_for(wire, "agent")
        adapters.append(adapter)
        return s

    agent = SyncAgent(gui.store, interval=3600, clock=gui.clock, session_factory=session)
    gui.app.use_sync_agent(agent.start())
    gui.wait_until(lambda: agent.rounds >= 1, what="the first sync round")

    # Online: a redemption at the rewards screen is sent at once.
    gui.press("rewards")
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("catalog")
    towel = next(
        w for w in gui.walk() if getattr(w, "action", "") == "item" and w.item.item_id == "towel"
    )
    gui.tap(towel)
    gui.press("confirm")
    gui.wait_screen("result")
    gui.wait_until(lambda: gui.store.pending_count() == 0, what="the redemption sent")
    agree(gui, "online", 0, page_open=False)

    login(gui, roster)  # the login itself is a record, sent too
    gui.wait_until(lambda: gui.store.pending_count() == 0, what="the login sent")
    gui.press("tab", "sync")
    agree(gui, "online", 0, page_open=True)

    # The network goes; five minutes later the kiosk counts as offline.
    for adapter in adapters:
        adapter.partitioned = True
    gui.clock.advance(minutes=5, seconds=1)
    agree(gui, "offline", 0, page_open=True)
    gui.press("tab", "stock")
    gui.press("restock", ("towel", 10))  # offline actions: each one counted at once
    gui.press("tab", "sync")
    agree(gui, "offline", 1, page_open=True)
    assert "补货\u3000林*任（S0001）" in gui.texts(scrolled=True)
    gui.press("tab", "assist")
    for digit in "000103":
        gui.press("assist_digit", digit, settle=False)
    gui.press("assist_go")
    gui.press("tab", "sync")
    agree(gui, "offline", 2, page_open=True)
    assert "签到\u3000陈*文（V000103）" in gui.texts(scrolled=True)

    # Back online: the agent sends both; all three say so.
    for adapter in adapters:
        adapter.partitioned = False
    agent.wake()
    gui.wait_until(lambda: gui.store.pending_count() == 0, timeout=60, what="everything sent")
    agree(gui, "online", 0, page_open=True)
