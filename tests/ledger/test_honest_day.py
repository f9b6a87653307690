"""An honest kiosk is never refused: a realistic day of three kiosks (the ingest benchmark's
own workload, bench/bench_sync.py) is accepted event for event, every figure as the kiosk
worked it out, on every backend. And a day's sign-ins and sign-outs in one batch read the
sessions the daily cap counts once for the batch, not once per sign-out; neither a push nor
``/v1/health`` reads a table that grows with the years whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.bench_sync import load_reference_for, realistic_events
from sync.ledger.db import open_db
from sync.ledger.db.ingest import Batch
from tests.dbpeek import rows
from tests.demo_ledger import make_demo_ledger
from tests.pg import only

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
SITES = ("service-center", "xiangshan-study", "service-center")
# The tables that grow with the years (a query plan step "SCAN <table>" reads all of one).
GROWING = [
    ["SCAN", t]
    for t in ("sessions", "journal", "events", "redemptions", "balances", "volunteers", "changes")
]


@pytest.fixture
def ledger(ledger_url, tmp_path):
    make_demo_ledger(ledger_url, tmp_path / "demo", "2026-11-29", lambda: NOW)
    store = open_db(ledger_url)
    kiosks = []
    for index, site in enumerate(SITES):
        code = store.create_enrollment_code(site, NOW, timedelta(hours=1))
        kid = store.enroll(code, f"kiosk {index}", NOW).kiosk_id
        kiosks.append((kid, realistic_events(kid, site, 400, index)))
    store.close()
    load_reference_for(ledger_url, [ev for _, events in kiosks for ev in events], NOW)
    store = open_db(ledger_url)
    yield store, kiosks
    store.close()


def test_an_honest_kiosk_s_day_is_accepted_as_it_claimed(ledger):
    store, kiosks = ledger
    statuses: dict[str, int] = {}
    for start in range(0, 400, 100):  # the kiosks' batches taking turns, as when pushed
        for kid, events in kiosks:
            results, acked = store.ingest(kid, events[start : start + 100], NOW)
            assert acked == min(start + 100, len(events))
            for r in results:
                statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    assert statuses == {"accepted": 1200}
    # Nothing corrected, nothing overdrawn: the only thing staff see is the shared
    # volunteers' real overlaps, if the day had any.
    assert {x["kind"] for x in store.exceptions()} <= {"overlapping_sessions"}
    # The staff adjustments were for volunteers on the roster who had not signed in yet.
    adjusted = {
        ev["payload"]["volunteer_id"]
        for _, events in kiosks
        for ev in events
        if ev["type"] == "points.adjust"
    }
    signed_in = {ev["actor"] for _, events in kiosks for ev in events[:100]}
    assert adjusted - signed_in


def test_a_batch_reads_the_days_sessions_once(ledger, monkeypatch):
    store, kiosks = ledger
    kid, events = kiosks[0]
    reads: list[list[str]] = []
    read_days: set[str] = set()
    for cls in Batch.__subclasses__():  # each backend's batch

        def counted(self, volunteer_ids, lo, hi, days, _read=cls._read_sessions_window):
            reads.append(list(volunteer_ids))
            found = _read(self, volunteer_ids, lo, hi, days)
            read_days.update(row["signed_in_at"][:10] for row in found)
            return found

        monkeypatch.setattr(cls, "_read_sessions_window", counted)
    batch = events[:300]
    closed_here = {
        ev["payload"]["session_id"] for ev in batch if ev["type"] == "attendance.sign_in"
    } & {ev["payload"]["session_id"] for ev in batch if ev["type"] == "attendance.sign_out"}
    assert len(closed_here) > 20  # most shifts begin and end in the batch
    results, _ = store.ingest(kid, batch, NOW)
    assert {r["status"] for r in results} == {"accepted"}
    assert len(reads) == 1


def test_a_batch_reads_only_the_days_its_sessions_are_on(ledger, ledger_url, monkeypatch):
    """The daily cap's read covers the days around the batch (kiosk clocks move), but only the
    sessions that began on a day the batch closes sessions of: two earlier days of history
    are not read again for every batch of the third."""
    store, kiosks = ledger
    kid, _ = kiosks[0]
    events = realistic_events(kid, SITES[0], 2600, 0)
    load_reference_for(ledger_url, events, NOW)
    days = sorted({ev["occurred_at"][:10] for ev in events})
    assert len(days) == 3
    history = [ev for ev in events if ev["occurred_at"][:10] < days[2]]
    for start in range(0, len(history), 500):
        store.ingest(kid, history[start : start + 500], NOW)
    read_days: list[str] = []
    for cls in Batch.__subclasses__():

        def counted(self, volunteer_ids, lo, hi, days, _read=cls._read_sessions_window):
            found = _read(self, volunteer_ids, lo, hi, days)
            read_days.extend(row["signed_in_at"][:10] for row in found)
            return found

        monkeypatch.setattr(cls, "_read_sessions_window", counted)
    # The third day's first batch, with the sessions of the second day's evening still
    # held: whatever the read finds, it is of the days the batch's sessions are on.
    batch = events[len(history) : len(history) + 500]
    results, _ = store.ingest(kid, batch, NOW)
    assert {r["status"] for r in results} == {"accepted"}
    closing = sorted(
        ev["payload"]["session_id"]
        for ev in batch
        if ev["type"] != "attendance.sign_in" and "session_id" in ev["payload"]
    )
    began = {
        signed_in[:10]
        for (signed_in,) in rows(
            store,
            f"SELECT signed_in_at FROM sessions WHERE session_id IN ({','.join('?' * len(closing))})",
            tuple(closing),
        )
    }
    assert set(read_days) <= began | {days[2]}
    assert days[0] not in read_days


@pytest.mark.parametrize("backend", only("sqlite"))
def test_no_statement_of_an_ingest_reads_a_whole_table(ledger):
    """With a day already held, nothing a batch asks of the sessions, balances or journal
    walks the table: a ledger's years of history never slow a push."""
    store, kiosks = ledger
    kid, events = kiosks[0]
    store.ingest(kid, events[:200], NOW)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        store.ingest(kid, events[200:400], NOW)
    finally:
        store.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert any("FROM sessions" in s for s in reads)
    scans = {
        s: plan
        for s in reads
        if (plan := [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + s)])
        and any(step.split()[:2] in GROWING for step in plan)
    }
    assert not scans  # (the kiosks and the sites' stock levels are a few rows: read whole)


@pytest.mark.parametrize("backend", only("sqlite"))
def test_health_reads_no_growing_table(ledger):
    store, kiosks = ledger
    kid, events = kiosks[0]
    store.ingest(kid, events[:100], NOW)
    statements: list[str] = []
    reader = store._reader()  # this thread's read connection, the one health() uses here
    reader.set_trace_callback(statements.append)
    try:
        assert store.health()["acked_events"] == 100
    finally:
        reader.set_trace_callback(None)
    assert statements
    for s in statements:
        if s.lstrip().upper().startswith("SELECT"):
            plan = [r[3] for r in reader.execute("EXPLAIN QUERY PLAN " + s)]
            assert not any(step.split()[:2] in GROWING for step in plan), (s, plan)
