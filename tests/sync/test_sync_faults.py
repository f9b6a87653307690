"""Faults between real kiosk stores and a real ``kiosk-ledger serve`` process.

After every case: each event the kiosks recorded is in the ledger exactly once, and
every balance and stock level equals a replay of all kiosk events.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

import pytest
from conftest import TZ, act, bulk
from fault_proxy import FaultProxy
from invariants import assert_exactly_once, assert_figures_match
from ledger_process import LedgerProcess

from sync.agent import sync_once
from sync.protocol import MAX_BATCH

SHORT = (2.0, 5.0)  # the faults: a dropped answer must time out quickly
CALM = (5.0, 30.0)  # settling after them: a loaded machine may be slow, and nothing is cut


def settle(ledger, sites) -> None:
    """Every kiosk syncs until quiet, then once more so each pulls the others' effects."""
    for _ in range(2):
        for s in sites:
            result = sync_once(s.store, clock=s.clock, timeout=CALM)
            assert result["ok"], result


def check(ledger, sites) -> None:
    settle(ledger, sites)
    store = ledger.store()
    try:
        assert_exactly_once(store, [s.store for s in sites])
        assert_figures_match(store, [s.store for s in sites], ledger.snapshot)
    finally:
        store.close()


def test_response_lost_after_commit(ledger, make_site):
    proxy = FaultProxy(ledger.port)
    site = make_site(ledger, "service-center", url=proxy.url)
    act(site, ledger, random.Random(1), 40)
    pending = site.store.pending_count()
    proxy.plan("drop_response", "cut_body", "reset", "cut_request")
    for _ in range(4):
        result = sync_once(site.store, clock=site.clock, timeout=SHORT)
        assert not result["ok"] and result["retry"]
    held = ledger.store()
    assert held.kiosks()[0].acked_seq == pending  # the first push committed; its answer was lost
    held.close()
    assert site.store.pending_count() == pending  # ...so the kiosk still holds them as pending
    result = sync_once(site.store, clock=site.clock, timeout=CALM)
    assert result["ok"] and result["duplicate"] == pending and result["accepted"] == 0
    check(ledger, [site])
    proxy.close()


def test_ledger_sigkill_and_restart_mid_batch(ledger, make_site):
    """The ledger dies with a batch in its hands: two batches are in, the third has
    reached it (committed or not, as the kill falls), and more are still to come."""
    proxy = FaultProxy(ledger.port)
    site = make_site(ledger, "xiangshan-study", url=proxy.url)
    act(site, ledger, random.Random(2), 30)
    bulk(site, 6000)
    proxy.plan("pass", "pass", "hold_request")
    outcome: dict = {}

    def push():
        for _ in range(200):
            outcome.update(sync_once(site.store, clock=site.clock, timeout=SHORT))
            if outcome["ok"]:
                return

    worker = threading.Thread(target=push)
    worker.start()
    assert proxy.wait_sent(60), "the third batch never reached the ledger"
    ledger.kill()
    held = ledger.store()
    mid = held.kiosks()[0].acked_seq
    held.close()
    assert 2 * MAX_BATCH <= mid <= 3 * MAX_BATCH < site.store.last_seq()
    ledger.start()
    proxy.release()  # the held exchange finds its ledger gone; the kiosk retries
    worker.join(120)
    assert not worker.is_alive() and outcome.get("ok"), outcome
    check(ledger, [site])
    proxy.close()


def test_same_batch_five_times_and_out_of_order(ledger, make_site):
    import requests

    site = make_site(ledger, "service-center")
    act(site, ledger, random.Random(3), 20)
    bulk(site, 1200)
    kid, token = site.kiosk_id, site.store.setting("ledger_token")
    auth = {"Authorization": f"Bearer {token}"}
    wire = [e.wire(kid) for e in site.store.events_after(0, 5000)]
    first, second = wire[:500], wire[500:1000]
    r = requests.post(
        ledger.url + "/v1/events", json={"kiosk_id": kid, "events": second}, headers=auth
    ).json()
    assert r["acked_seq"] == 0 and {x["status"] for x in r["results"]} == {"pending"}
    for attempt in range(5):
        r = requests.post(
            ledger.url + "/v1/events", json={"kiosk_id": kid, "events": first}, headers=auth
        ).json()
        assert r["acked_seq"] == 500
        assert {x["status"] for x in r["results"]} == {"accepted" if attempt == 0 else "duplicate"}
    r = requests.post(
        ledger.url + "/v1/events",
        json={"kiosk_id": kid, "events": wire[400:900][::-1]},
        headers=auth,
    ).json()
    assert r["acked_seq"] == 900  # a batch in any order is applied in seq order
    assert [x["status"] for x in r["results"]] == ["duplicate"] * 100 + ["accepted"] * 400
    check(ledger, [site])


def test_kiosk_killed_mid_push(ledger, make_site, tmp_path):
    import os
    import subprocess
    import sys

    from kiosk.clock import env_for as clock_env

    proxy = FaultProxy(ledger.port)
    site = make_site(ledger, "service-center", url=proxy.url)
    act(site, ledger, random.Random(4), 30)
    bulk(site, 700)
    proxy.plan("hold")
    data_dir = site.store.path.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "sync", "--once", "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **clock_env(site.clock())},
    )
    assert proxy.wait_delivered()  # the first batch reached the ledger and committed
    proc.kill()  # the kiosk dies before it hears the answer
    proc.wait(10)
    proxy.release()
    assert site.store.acked_seq() == 0
    check(ledger, [site])
    proxy.close()


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 11, 29, 10, 30, tzinfo=TZ),  # while the demo day's activities run
        datetime(2026, 12, 31, 23, 59, 30, tzinfo=TZ),  # the day, month and year turn
    ],
    ids=["morning", "new-year"],
)
def test_three_kiosks_at_once_with_skewed_clocks(make_site, tmp_path, start):
    from sync.ledger.ops.demo import activities_for

    ledger = LedgerProcess(tmp_path / "skew-ledger", day=start.date(), start=start).start()
    try:
        held = ledger.store()
        held.load_reference(
            [
                {"kind": "activity", "key": a["activity_id"], "data": a}
                for d in (-1, 0, 1)
                for a in activities_for((start + timedelta(days=d)).date())
            ],
            ledger.now(),
        )
        held.close()
        _three_kiosks_push_at_once(ledger, make_site, start)
    finally:
        ledger.stop()


def _three_kiosks_push_at_once(ledger, make_site, start):
    sites = [
        make_site(ledger, "service-center", skew=timedelta(hours=3), start=start),
        make_site(ledger, "xiangshan-study", skew=timedelta(days=-1), start=start),
        make_site(ledger, "service-center", start=start),
    ]
    for i, s in enumerate(sites):
        assert (
            abs(int(s.store.setting("clock_offset_ms")) + int(s.clock.skew.total_seconds() * 1000))
            < 60_000
        )
        act(s, ledger, random.Random(10 + i), 60)
        bulk(s, 800)
    barrier = threading.Barrier(3)
    results: list[dict] = []

    def push(s):
        barrier.wait()
        results.append(sync_once(s.store, clock=s.clock, timeout=(2.0, 30.0)))

    threads = [threading.Thread(target=push, args=(s,)) for s in sites]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r["ok"] for r in results), results
    held = ledger.store()
    offsets = {e["kiosk_id"]: e["clock_offset_ms"] for e in held.events()}
    held.close()
    # The ledger keeps each kiosk's offset with its events, for audit and for ordering.
    assert abs(offsets[sites[0].kiosk_id] + 3 * 3600_000) < 60_000
    assert abs(offsets[sites[1].kiosk_id] - 86400_000) < 60_000
    check(ledger, sites)
