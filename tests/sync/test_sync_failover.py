"""High availability on loopback (issue 12 item 7): a PostgreSQL primary with a streaming
replica made by pg_basebackup, the primary killed with SIGKILL while kiosks push, the
replica promoted, and the ledger, on a two-host connection string with
``target_session_attrs=read-write``, carrying on against it by itself. Every event a kiosk
recorded ends in the ledger exactly once.

The replica is synchronous (``synchronous_standby_names``): a commit the ledger answered
is on the replica too, so no batch a kiosk saw acknowledged is lost with the primary. With
an asynchronous replica the last acknowledged batches could be: docs/deploying.md says so.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests
from conftest import DAY, act
from invariants import assert_exactly_once, assert_figures_match
from ledger_process import LedgerProcess

from devtools.pgserver import PgServer
from sync.agent import sync_once
from tests.pg import only

SHORT = (3.0, 10.0)
REPLICATION = {
    "fsync": "off",  # a SIGKILL loses no page the OS holds; only a power cut would need fsync
    "full_page_writes": "off",
    "wal_level": "replica",
    "max_wal_senders": "4",
    "synchronous_commit": "on",
}


def streaming_pair() -> tuple[PgServer, PgServer]:
    # Not under tmp_path: pytest makes its folders 0700, and the servers run as their own
    # user (devtools/pgserver.py).
    root = Path(tempfile.mkdtemp(prefix="kiosk-failover-"))
    root.chmod(0o711)
    primary = PgServer(root / "primary", settings=REPLICATION).init().start()
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE ledger")
    replica = primary.base_backup(root / "replica").start()
    primary.reconfigure(synchronous_standby_names="*")
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while (
            conn.execute(
                "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'"
            ).fetchone()[0]
            != 1
        ):
            assert time.monotonic() < deadline, "the replica never became synchronous"
            time.sleep(0.05)  # replication state has no notification to wait on
    return primary, replica


@pytest.mark.parametrize("backend", only("postgres"))
def test_primary_killed_mid_push_replica_promoted_nothing_lost_or_doubled(
    backend, tmp_path, make_site
):
    primary, replica = streaming_pair()
    url = (
        f"postgresql://kiosk@127.0.0.1:{primary.port},127.0.0.1:{replica.port}/ledger"
        "?target_session_attrs=read-write&connect_timeout=2"
    )
    ledger = LedgerProcess(tmp_path / "ledger", day=DAY, db=url).start()
    try:
        sites = [
            make_site(ledger, site, name=f"k{i}")
            for i, site in enumerate(("service-center", "xiangshan-study", "service-center"))
        ]
        for i, site in enumerate(sites):
            act(site, ledger, random.Random(700 + i), 60)
        stop = threading.Event()
        pushes = [0] * len(sites)
        errors: list[str] = []

        def keep_pushing(i: int) -> None:
            site = sites[i]
            while not stop.is_set():
                result = sync_once(site.store, clock=site.clock, timeout=SHORT, batch_size=5)
                pushes[i] += 1
                if not result["ok"] and not result.get("retry"):
                    errors.append(f"kiosk {i}: {result}")
                    return
                if result["ok"] and site.store.pending_count() == 0:
                    stop.wait(0.05)  # pushed out: idle like a kiosk between rounds

        threads = [threading.Thread(target=keep_pushing, args=(i,)) for i in range(len(sites))]
        for t in threads:
            t.start()
        # Kill the primary once the kiosks are part way through their events.
        deadline = time.monotonic() + 120
        while sum(s.store.acked_seq() for s in sites) < 40:
            assert time.monotonic() < deadline, "no pushes reached the ledger"
            time.sleep(0.02)  # the kiosks' progress is only visible in their stores
        acked_at_kill = [s.store.acked_seq() for s in sites]
        primary.kill()
        # While no server takes writes, the ledger says so (a 503 kiosks retry), promptly.
        token = sites[0].store.setting("ledger_token")
        down = requests.get(
            f"{ledger.url}/v1/volunteers/V000101",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert down.status_code == 503 and down.json()["error"] == "database_unavailable"
        for i, site in enumerate(sites):  # people go on using the kiosks meanwhile
            act(site, ledger, random.Random(800 + i), 10)
        time.sleep(1.0)  # an outage: the pushes of that second fail and are retried
        replica.promote()
        deadline = time.monotonic() + 180
        while any(s.store.pending_count() for s in sites):
            assert not errors, errors
            assert time.monotonic() < deadline, "kiosks never caught up after the failover"
            time.sleep(0.1)  # waiting for the kiosks' own retries
        stop.set()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert all(s.store.acked_seq() >= a for s, a in zip(sites, acked_at_kill, strict=True))
        for _ in range(2):
            for site in sites:
                assert sync_once(site.store, clock=site.clock, timeout=SHORT)["ok"]
        held = ledger.store()
        try:
            assert_exactly_once(held, [s.store for s in sites])
            assert_figures_match(held, [s.store for s in sites], ledger.snapshot)
        finally:
            held.close()
        with psycopg.connect(url) as conn:  # the ledger now lives on the promoted replica
            assert conn.info.port == replica.port
    finally:
        ledger.stop()
        replica.remove()
        primary.remove()
        shutil.rmtree(primary.root.parent, ignore_errors=True)
