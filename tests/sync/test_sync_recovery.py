"""Disaster recovery with real kiosk stores and a real ``kiosk-ledger serve`` process.

The ledger's disk dies and a backup older than the last sync is restored: every kiosk
notices that the ledger holds less than it once confirmed, says so in its status, and
sends the missing events again. Or the ledger is lost altogether and a brand-new one is
set up: a kiosk re-enrolls with ``kiosk enroll --resend-all`` and pushes its whole event
log (its 台账) there. Either way every event ends up at the ledger exactly once, and
every balance and stock level equals the opening figures plus a replay of the kiosks'
events.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from conftest import DAY, act
from fault_proxy import FaultProxy
from invariants import assert_exactly_once, assert_figures_match
from ledger_process import LedgerProcess

from kiosk import cli as kiosk_cli
from kiosk.clock import env_for as clock_env
from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import Store
from sync.agent import enroll, read_status, sync_once
from tests.pg import only

SHORT = (2.0, 5.0)


def settle(sites) -> None:
    for _ in range(2):
        for s in sites:
            result = sync_once(s.store, clock=s.clock, timeout=SHORT)
            assert result["ok"], result


def check(ledger: LedgerProcess, sites) -> None:
    settle(sites)
    held = ledger.store()
    try:
        assert_exactly_once(held, [s.store for s in sites])
        assert_figures_match(held, [s.store for s in sites], ledger.snapshot)
    finally:
        held.close()


def ledger_cli(ledger: LedgerProcess, *args: str | Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "sync.ledger", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **clock_env(ledger.now())},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def lose_disk_and_restore(ledger: LedgerProcess, backup_file: Path) -> None:
    """kill -9, the database and its WAL gone, `kiosk-ledger restore`, start again."""
    ledger.kill()
    for extra in ("", "-wal", "-shm"):
        ledger.db.with_name(ledger.db.name + extra).unlink(missing_ok=True)
    assert "restored" in ledger_cli(ledger, "restore", "--db", ledger.db, backup_file)
    ledger.start()


def kiosk_status(site) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert (
            kiosk_cli.main(
                ["status", "--json", "--data-dir", str(site.store.path.parent)], clock=site.clock
            )
            == 0
        )
    return json.loads(out.getvalue())


# kiosk-ledger backup and restore copy a SQLite file (PostgreSQL: pg_dump, a replica).
@pytest.mark.parametrize("backend", only("sqlite"))
def test_restore_of_an_older_backup_kiosks_resend_what_it_lacks(
    backend, ledger, make_site, tmp_path
):
    proxy = FaultProxy(ledger.port)
    a = make_site(ledger, "service-center", url=proxy.url)
    b = make_site(ledger, "xiangshan-study")
    act(a, ledger, random.Random(21), 30)
    act(b, ledger, random.Random(22), 30)
    settle([a, b])
    backup_file = Path(
        ledger_cli(ledger, "backup", "--db", ledger.db, "--dest", tmp_path / "backups").strip()
    )
    at_backup = {s.kiosk_id: s.store.acked_seq() for s in (a, b)}

    act(a, ledger, random.Random(23), 25)
    act(b, ledger, random.Random(24), 25)
    settle([a, b])
    for s in (a, b):  # everything synced: the backup is older than the last sync
        assert s.store.acked_seq() == s.store.last_seq() > at_backup[s.kiosk_id]
        assert kiosk_status(s)["pending_events"] == 0

    lose_disk_and_restore(ledger, backup_file)
    held = ledger.store()
    assert {k.kiosk_id: k.acked_seq for k in held.kiosks()} == at_backup
    held.close()

    # Kiosk A learns that the ledger is behind, but the resend itself is cut off: its
    # status must now count the events the ledger lacks as pending, not 0.
    proxy.plan("pass", "reset")
    result = sync_once(a.store, clock=a.clock, timeout=SHORT)
    assert (
        not result["ok"] and result["retry"] and result["resent_from"] == at_backup[a.kiosk_id] + 1
    )
    missing = a.store.last_seq() - at_backup[a.kiosk_id]
    status = kiosk_status(a)
    assert status["acked_seq"] == at_backup[a.kiosk_id] and status["pending_events"] == missing
    assert status["last_error"].startswith("temporary")
    agent_view = read_status(a.store, a.clock(), 300)  # what the staff sync page shows
    assert agent_view.pending == missing and agent_view.acked_seq == at_backup[a.kiosk_id]
    assert agent_view.oldest_pending_age_s > 0

    result = sync_once(a.store, clock=a.clock, timeout=SHORT)
    assert result["ok"] and result["accepted"] == missing and result["pending"] == 0
    assert kiosk_status(a)["pending_events"] == 0

    # Kiosk B has nothing pending: the empty push of an idle round is enough to notice.
    result = sync_once(b.store, clock=b.clock, timeout=SHORT)
    assert result["ok"] and result["resent_from"] == at_backup[b.kiosk_id] + 1
    assert result["accepted"] == b.store.last_seq() - at_backup[b.kiosk_id]

    check(ledger, [a, b])
    proxy.close()


# kiosk-ledger backup and restore copy a SQLite file (PostgreSQL: pg_dump, a replica).
@pytest.mark.parametrize("backend", only("sqlite"))
def test_an_idle_kiosk_past_the_backup_gets_a_full_snapshot(backend, ledger, make_site, tmp_path):
    """B records nothing after the backup but pulls A's changes; after the restore A
    resends so much that the feed's numbers pass B's old cursor. B must still be given
    a full snapshot (a restored ledger is another feed), never a stale tail."""
    a = make_site(ledger, "service-center")
    b = make_site(ledger, "service-center")
    act(a, ledger, random.Random(31), 10)
    act(b, ledger, random.Random(32), 10)
    settle([a, b])
    backup_file = Path(
        ledger_cli(ledger, "backup", "--db", ledger.db, "--dest", tmp_path / "backups").strip()
    )
    act(a, ledger, random.Random(33), 40)
    settle([a, b])
    old_cursor = b.store.setting("cursor")

    lose_disk_and_restore(ledger, backup_file)
    a.clock.advance(minutes=5)
    act(a, ledger, random.Random(34), 60)
    assert sync_once(a.store, clock=a.clock, timeout=SHORT)["ok"]
    result = sync_once(b.store, clock=b.clock, timeout=SHORT)
    assert result["ok"] and "resent_from" not in result  # B's own events all survived
    assert b.store.setting("cursor").split(".")[0] != old_cursor.split(".")[0]
    check(ledger, [a, b])


def test_a_new_empty_ledger_gets_the_whole_event_log_once(ledger, make_site, tmp_path):
    site = make_site(ledger, "xiangshan-study")
    act(site, ledger, random.Random(41), 50)
    settle([site])
    old_id, events = site.kiosk_id, site.store.last_seq()
    assert site.store.acked_seq() == events > 0

    fresh = LedgerProcess(tmp_path / "new-ledger", day=DAY).start()
    try:
        data_dir = str(site.store.path.parent)
        out = io.StringIO()
        with redirect_stdout(
            out
        ):  # without the option, an enrolled kiosk with synced events refuses
            assert (
                kiosk_cli.main(
                    [
                        "enroll",
                        "--data-dir",
                        data_dir,
                        fresh.url,
                        fresh.enroll_code("xiangshan-study"),
                    ],
                    clock=site.clock,
                )
                == 1
            )
        refused = json.loads(out.getvalue())
        assert refused["error"] == "already_enrolled" and "--resend-all" in refused["message"]
        assert site.store.setting("ledger_url") == ledger.url

        out = io.StringIO()
        with redirect_stdout(out):
            code = kiosk_cli.main(
                [
                    "enroll",
                    "--data-dir",
                    data_dir,
                    "--resend-all",
                    fresh.url,
                    fresh.enroll_code("xiangshan-study"),
                ],
                clock=site.clock,
            )
        answer = json.loads(out.getvalue())
        assert code == 0 and answer["ok"], answer
        assert answer["resent"] == events and answer["synced"]["accepted"] == events
        assert answer["previous"] == {
            "kiosk_id": old_id,
            "ledger_url": ledger.url,
            "acked_seq": events,
        }
        assert site.store.setting("ledger_url") == fresh.url == answer["ledger_url"]
        assert json.loads(site.store.setting("previous_enrollment"))["kiosk_id"] == old_id

        # The kiosk's events, attributed to the kiosk as the new ledger knows it, once each;
        # figures there = the new ledger's opening figures + a replay of the kiosk's events.
        site.kiosk = Kiosk(site.store, KioskConfig(), clock=site.clock)
        check(fresh, [site])
        held = fresh.store()
        assert {e["kiosk_id"] for e in held.events()} == {site.kiosk_id}
        assert held.kiosks()[0].acked_seq == events
        held.close()
    finally:
        fresh.stop()


def test_resend_all_to_a_ledger_that_has_the_events_counts_nothing_twice(ledger, make_site):
    """The same option pointed by mistake at the ledger that already holds the log: the
    event ids are known there, so each resent event is a listed conflict, never counted."""
    site = make_site(ledger, "service-center")
    act(site, ledger, random.Random(51), 30)
    settle([site])
    held = ledger.store()
    before = (held.balances(), held.stock_levels(), len(held.events()))
    held.close()

    out = io.StringIO()
    with redirect_stdout(out):
        kiosk_cli.main(
            [
                "enroll",
                "--data-dir",
                str(site.store.path.parent),
                "--resend-all",
                ledger.url,
                ledger.enroll_code("service-center"),
            ],
            clock=site.clock,
        )
    answer = json.loads(out.getvalue())
    assert answer["ok"] and answer["synced"]["accepted"] == 0
    assert answer["synced"]["conflict"] == site.store.last_seq()
    held = ledger.store()
    try:
        assert (held.balances(), held.stock_levels(), len(held.events())) == before
        assert len(held.exceptions("conflict")) == site.store.last_seq()
    finally:
        held.close()


def test_resend_all_refuses_a_ledger_site_other_than_the_events(ledger, make_site, tmp_path):
    site = make_site(ledger, "service-center")
    act(site, ledger, random.Random(61), 10)
    settle([site])
    fresh = LedgerProcess(tmp_path / "new-ledger", day=DAY).start()
    try:
        out = io.StringIO()
        enrollment_code = fresh.enroll_code("xiangshan-study")
        with redirect_stdout(out):
            code = kiosk_cli.main(
                [
                    "enroll",
                    "--data-dir",
                    str(site.store.path.parent),
                    "--resend-all",
                    fresh.url,
                    enrollment_code,
                ],
                clock=site.clock,
            )
        answer = json.loads(out.getvalue())
        assert code == 1 and answer["error"] == "site_mismatch"
        assert "service-center" in answer["message"] and "not used" in answer["message"]
        # Nothing changed at the kiosk: still enrolled with its old ledger, all synced.
        assert site.store.setting("ledger_url") == ledger.url
        assert site.store.acked_seq() == site.store.last_seq()
        held = fresh.store()
        assert (
            held.events() == [] and held.kiosks() == []
        )  # the ledger refused before enrolling anyone
        held.close()
        # The code was not used up: a kiosk for the Xiangshan study still enrolls with it.
        other = Store(tmp_path / "xs" / "kiosk.db", create=True)
        try:
            joined = enroll(other, fresh.url, enrollment_code, "xs-door")
            assert joined["ok"] and joined["site_id"] == "xiangshan-study", joined
        finally:
            other.close()
    finally:
        fresh.stop()
