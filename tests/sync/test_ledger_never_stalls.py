"""A real ``kiosk-ledger serve`` keeps answering while one request waits on storage: every
blocking call runs in the thread pool, never on the event loop (DESIGN section 9), and
reads never take the write lock.

The write lock is held from outside the process (SQLite: a second connection in a write
transaction; PostgreSQL: a session holding the stock row the write changes), so the
ledger's own writer waits on it for as long as the test says.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import requests
from conftest import DAY


def test_health_the_feed_and_reports_answer_while_a_write_waits_for_the_lock(
    backend, ledger, make_site
):
    site = make_site(ledger, "service-center")
    token = {"Authorization": f"Bearer {site.store.setting('ledger_token')}"}
    if backend == "sqlite":
        holder = sqlite3.connect(ledger.db, isolation_level=None, timeout=1)
        holder.execute("BEGIN IMMEDIATE")  # the ledger's writer now waits (busy timeout: 10 s)
    else:
        import psycopg

        holder = psycopg.connect(str(ledger.db), autocommit=True)
        holder.execute("BEGIN")
        holder.execute(
            "SELECT qty FROM stock WHERE site_id = 'service-center' AND item_id = 'towel'"
            " FOR UPDATE"
        )  # the stock count below waits for this row
    answers: dict[str, requests.Response] = {}

    def stock_count() -> None:  # a staff write: it needs the lock, so it waits
        answers["write"] = requests.post(
            ledger.url + "/v1/admin/stock",
            json={"site_id": "service-center", "item_id": "towel", "qty": 9, "note": "盘点"},
            headers=ledger.admin(),
            timeout=30,
        )

    writer = threading.Thread(target=stock_count)
    writer.start()
    try:
        # For two seconds of the write's wait, health and the change feed keep answering.
        slowest = 0.0
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            assert requests.get(ledger.url + "/v1/health", timeout=5).status_code == 200
            feed = requests.get(ledger.url + "/v1/changes", headers=token, timeout=5)
            assert feed.status_code == 200 and feed.json()["changes"]
            slowest = max(slowest, time.monotonic() - t0)
        # A month's 台账 is a report: it reads without the write lock, so it answers too.
        t0 = time.monotonic()
        sheet = requests.get(
            ledger.url + "/v1/admin/export",
            params={"month": f"{DAY:%Y-%m}", "format": "csv"},  # the sites' month
            headers=ledger.admin(),
            timeout=30,
        )
        assert sheet.status_code == 200 and sheet.content, sheet.text
        slowest = max(slowest, time.monotonic() - t0)
        assert writer.is_alive() and "write" not in answers  # still waiting for the lock
        assert slowest < 1.5, f"a read took {slowest:.2f} s while a write waited"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    writer.join(30)
    assert answers["write"].status_code == 200 and answers["write"].json()["qty"] == 9


def roster_csv(n: int) -> bytes:
    """A roster sheet of ``n`` new volunteers (what a district's first import looks like)."""
    rows = ["姓名,手机,志愿者编号,队伍"]
    rows += [f"志愿者{i},138{i:08d},V{200000 + i:06d},第{i % 40}服务队" for i in range(n)]
    return "\n".join(rows).encode("utf-8")


def test_health_answers_while_a_large_import_runs(backend, ledger):
    # Before the import left the event loop, one import held /v1/health for its whole length
    # (6 s for a district's roster): here health keeps answering while the import runs.
    body = roster_csv(2500)
    answer: dict[str, requests.Response] = {}

    def upload() -> None:
        answer["import"] = requests.post(
            ledger.url + "/v1/admin/roster/import?filename=roster.csv",
            data=body,
            headers=ledger.admin(),
            timeout=300,
        )

    idle = []
    for _ in range(3):  # the reference: health on an idle ledger, same process, same run
        t0 = time.monotonic()
        assert requests.get(ledger.url + "/v1/health", timeout=10).status_code == 200
        idle.append(time.monotonic() - t0)
    importer = threading.Thread(target=upload)
    started = time.monotonic()
    importer.start()
    waits = []
    while importer.is_alive():
        t0 = time.monotonic()
        assert requests.get(ledger.url + "/v1/health", timeout=60).status_code == 200
        waits.append(time.monotonic() - t0)
    importer.join()
    took = time.monotonic() - started
    assert answer["import"].status_code == 200, answer["import"].text
    assert answer["import"].json()["added"] == 2500
    print(
        f"import {took:.2f} s; health during it: {len(waits)} answers,"
        f" max {max(waits) * 1000:.0f} ms (idle {min(idle) * 1000:.0f} ms)"
    )
    # Answers all through the import, none waiting for it: a stalled loop gives one answer,
    # as slow as the import itself.
    assert len(waits) >= 3, f"{len(waits)} health answers in a {took:.2f} s import"
    assert max(waits) < took / 2, f"a health answer took {max(waits):.2f} s of {took:.2f} s"
