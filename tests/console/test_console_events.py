"""Console events (corrections, adjustments, reversals) from several serve processes at
once: each takes its site's next seq inside the ledger's own transaction, so none is a
spurious conflict, and each one's audit entry commits with it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sync.ledger.db.console import AuditFilter

ROOT = Path(__file__).resolve().parents[2]
N = 15

POSTER = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from sync.ledger.db import open_db
    from sync.ledger.staff import ledger_actions

    store = open_db(sys.argv[1])
    now = datetime.fromisoformat(sys.argv[2])
    statuses = []
    print("ready", flush=True)
    sys.stdin.readline()  # both processes start posting at once
    for i in range(int(sys.argv[3])):
        payload = {"volunteer_id": "V000101", "delta": 1, "reason": f"{sys.argv[4]} {i}"}
        posted = ledger_actions.post_event(
            store, None, "service-center", "points.adjust", "account:1", payload, now
        )
        statuses.append(posted.status)
    print(",".join(statuses))
    store.close()
    """
)


def test_two_processes_post_console_events_for_one_site_without_a_conflict(console):
    before = console.store.volunteer("V000101")["balance"]
    at = console.clock().isoformat()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", POSTER, console.store.url, at, str(N), name],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("甲", "乙")
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outs == [",".join(["accepted"] * N)] * 2, outs
    assert console.store.volunteer("V000101")["balance"] == before + 2 * N
    with console.db.read() as r:
        assert r.exception_counts(None).get("conflict", 0) == 0


def test_an_exceptions_resolution_and_its_audit_commit_with_its_event(console, monkeypatch):
    """A reversal whose audit entry cannot be written leaves no event, no resolution."""
    from sync.ledger.db import console_sql
    from sync.ledger.staff import ledger_actions

    def broken(self, *a, **k):
        raise RuntimeError("the audit journal is unavailable")

    monkeypatch.setattr(console_sql.ConsoleSQLWrite, "audit", broken)
    before = console.store.volunteer("V000101")["balance"]

    def also(w, posted):
        w.audit("2026-11-29T09:30:00+08:00", "account:1", "console.exception.correct")

    try:
        ledger_actions.post_event(
            console.store,
            None,
            "service-center",
            "points.adjust",
            "account:1",
            {"volunteer_id": "V000101", "delta": 5, "reason": "补录"},
            console.clock(),
            also,
        )
    except RuntimeError:
        pass
    else:
        raise AssertionError("the audit's failure must reach the caller")
    assert console.store.volunteer("V000101")["balance"] == before
    with console.db.read() as r:
        assert r.audit_entries(AuditFilter(action="console.exception.")) == []


def test_a_console_change_and_its_audit_entry_commit_together(console, monkeypatch):
    """An edit made through a staff tool's own transaction: its audit entry rides in it, so
    an audit that cannot be written undoes the edit, and a working one names the result."""
    import pytest

    from sync.ledger.db import console_sql
    from tests.console.conftest import csrf_of

    c = console.login("wang")
    page = c.get("/console/volunteers/V000103").text
    form = {"csrf_token": csrf_of(page), "name": "陈大文", "phone": "", "team": "新队"}
    form |= {"status": "active", "izhiyuan_id": ""}
    real = console_sql.ConsoleSQLWrite.audit

    def broken(self, *a, **k):
        raise RuntimeError("the audit journal is unavailable")

    monkeypatch.setattr(console_sql.ConsoleSQLWrite, "audit", broken)
    with pytest.raises(RuntimeError):
        c.post("/console/volunteers/V000103", data=form)
    with console.store.read() as tx:
        (person,) = tx.people_of(["V000103"])
    assert person.team == "港澳志愿服务队"  # the edit rolled back with its entry

    monkeypatch.setattr(console_sql.ConsoleSQLWrite, "audit", real)
    r = c.post("/console/volunteers/V000103", data=form, follow_redirects=False)
    assert r.status_code == 303
    with console.db.read() as rd:
        (entry,) = rd.audit_entries(AuditFilter(action="console.volunteer.update"))
    assert entry.before["team"] == "港澳志愿服务队" and entry.after["team"] == "新队"


def test_a_stock_count_is_audited_with_the_count_it_replaced(console):
    from tests.console.conftest import csrf_of

    was = console.store.stock_levels()[("service-center", "towel")]
    c = console.login("wang")
    token = csrf_of(c.get("/console/catalog").text)
    form = {"csrf_token": token, "site": "service-center", "item_id": "towel", "qty": "9"}
    r = c.post("/console/catalog/stock", data={**form, "note": "月底盘点"}, follow_redirects=False)
    assert r.status_code == 303
    assert c.post("/console/catalog/stock", data={**form, "qty": "x"}).status_code == 422
    with console.db.read() as rd:
        (entry,) = rd.audit_entries(AuditFilter(action="console.stock.set"))
    assert entry.before == {"qty": was} and entry.after == {"qty": 9, "note": "月底盘点"}


def test_a_new_reward_is_audited_with_what_the_ledger_stored(console):
    from tests.console.conftest import csrf_of

    c = console.login("wang")
    form = {"csrf_token": csrf_of(c.get("/console/catalog").text), "item_id": "umbrella"}
    form |= {"name_zh": "雨伞", "name_zh_hant": "雨傘", "name_en": "Umbrella", "cost": "60"}
    form |= {"kind": "goods", "monthly_limit": "1"}
    assert c.post("/console/catalog", data=form, follow_redirects=False).status_code == 303
    bad = c.post("/console/catalog", data={**form, "item_id": "towel2", "cost": "many"})
    assert bad.status_code == 422
    with console.db.read() as rd:
        (entry,) = rd.audit_entries(AuditFilter(action="console.catalog."))
    assert entry.action == "console.catalog.create" and entry.target == "item:umbrella"
    assert entry.after["names"]["zh-Hans"] == "雨伞" and entry.after["cost"] == 60
    assert entry.after["photo"] is False
