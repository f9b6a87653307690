"""Scale-out on PostgreSQL (issue 12 item 6): several API processes over one database.

Eight kiosks at two sites, sharing volunteers, push at once: four to a `serve --workers 2`
(two processes behind one port), four to a separate `serve` process; and each kiosk's
every batch also goes to the other address at the same instant, as a retry that
overtakes its first attempt would. Afterwards every DESIGN section 6 invariant holds:
each event in the ledger exactly once and in seq order, balances and stock equal to a
replay of what the kiosks recorded (points from the journal alone too), and both
addresses answer alike.
"""

from __future__ import annotations

import random
import threading

import pytest
import requests
from conftest import act
from invariants import assert_exactly_once, assert_figures_match
from ledger_process import free_port, stop_process

from sync.agent import sync_once
from tests.pg import only

SHORT = (5.0, 30.0)


@pytest.mark.parametrize("backend", only("postgres"))
def test_eight_kiosks_push_at_once_to_two_processes(ledger, make_site):
    ledger.stop()  # the fixture's single process makes way for the two of this test
    ledger.log = open(ledger.root / "ledger.log", "ab")  # noqa: SIM115 - closed by stop()
    ledger.proc = ledger.serve(ledger.port, workers=2)
    other_port = free_port()
    other = ledger.serve(other_port)
    other_url = f"http://127.0.0.1:{other_port}"
    try:
        urls = [ledger.url if i < 4 else other_url for i in range(8)]
        twins = [other_url if i < 4 else ledger.url for i in range(8)]
        sites = [
            make_site(
                ledger, ("service-center", "xiangshan-study")[i % 2], url=urls[i], name=f"k{i}"
            )
            for i in range(8)
        ]
        for i, site in enumerate(sites):
            act(site, ledger, random.Random(100 + i), 40)
        start = threading.Barrier(16)
        failures: list[str] = []

        def push(i: int) -> None:
            site = sites[i]
            start.wait()
            for _ in range(30):
                result = sync_once(site.store, clock=site.clock, timeout=SHORT, batch_size=10)
                if not result["ok"] and not result.get("retry"):
                    failures.append(f"kiosk {i}: {result}")
                    return
                if site.store.pending_count() == 0:
                    return
            failures.append(f"kiosk {i}: still pending")

        def resend(i: int) -> None:
            # The same batches through the other address at once: a retry overtaking its
            # first attempt. Whatever it is answered changes nothing the kiosk believes.
            site = sites[i]
            token = site.store.setting("ledger_token")
            events = [e.wire(site.kiosk_id) for e in site.store.events_after(0, 1000)]
            http = requests.Session()
            start.wait()
            for j in range(0, len(events), 10):
                r = http.post(
                    twins[i] + "/v1/events",
                    json={"kiosk_id": site.kiosk_id, "events": events[j : j + 10]},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=SHORT,
                )
                if r.status_code != 200:
                    failures.append(f"resend {i}: {r.status_code} {r.text[:200]}")
                    return
                statuses = {x["status"] for x in r.json()["results"]}
                if not statuses <= {"accepted", "duplicate", "pending"}:
                    failures.append(f"resend {i}: {statuses}")

        threads = [threading.Thread(target=push, args=(i,)) for i in range(8)]
        threads += [threading.Thread(target=resend, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
        assert not failures, failures
        for _ in range(2):  # every kiosk pulls the others' effects
            for site in sites:
                assert sync_once(site.store, clock=site.clock, timeout=SHORT)["ok"]
        held = ledger.store()
        try:
            assert_exactly_once(held, [s.store for s in sites])
            assert_figures_match(held, [s.store for s in sites], ledger.snapshot)
        finally:
            held.close()
        # Any process gives the same answers: the whole change feed and a volunteer's figures.
        auth = {"Authorization": f"Bearer {sites[0].store.setting('ledger_token')}"}

        def ask(path: str) -> list:
            return [
                requests.get(u + path, headers=auth, timeout=30).json()
                for u in (ledger.url, other_url)
            ]

        feeds = ask("/v1/changes?limit=5000")
        assert feeds[0]["changes"] == feeds[1]["changes"] and feeds[0]["changes"]
        for vid in ("V000101", "V000102", "V000107"):
            here, there = ask(f"/v1/volunteers/{vid}")
            assert here == there and here["volunteer_id"] == vid
    finally:
        stop_process(other)
