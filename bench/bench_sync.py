"""Sync benchmarks against a real ``kiosk-ledger serve`` on 127.0.0.1. Prints figures.

  ingest      events/s, batches of 500, three kiosks pushing at once
  catch-up    seconds for a kiosk with 10,000 pending events to be fully acked
  roster      seconds to pull a 25,000-volunteer roster into a fresh kiosk
  executemany raw SQLite rows/s on the same disk, for reference

Run: .venv/bin/python bench/bench_sync.py [--events-per-kiosk N] [--synchronous FULL|NORMAL]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from kiosk.store import Store
from sync.agent import enroll, sync_once
from sync.ledger.cli import main as ledger_main
from sync.ledger.storage import LedgerStore

TARGETS = {"ingest": 20_000, "catchup": 5.0, "roster": 3.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def executemany_rate(root: Path, rows: int = 200_000) -> float:
    conn = sqlite3.connect(root / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (kiosk_id TEXT, seq INTEGER, id TEXT UNIQUE, type TEXT, payload TEXT,"
                 " PRIMARY KEY (kiosk_id, seq)) WITHOUT ROWID")
    data = [("K-SC-01", i, str(uuid.uuid4()), "stock.restock", '{"qty":1}') for i in range(1, rows + 1)]
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", data)
    conn.execute("COMMIT")
    return rows / (time.perf_counter() - t0)


def wire_events(kiosk_id: str, site: str, n: int) -> list[dict]:
    """A realistic mix: shifts (sign in, sign out with points), redemptions, restocks."""
    out: list[dict] = []
    seq = 0
    base = datetime(2026, 11, 29, 8, tzinfo=UTC)

    def add(etype: str, actor: str, payload: dict, eid: str | None = None) -> str:
        nonlocal seq
        seq += 1
        eid = eid or str(uuid.uuid4())
        out.append({"id": eid, "kiosk_id": kiosk_id, "seq": seq, "type": etype,
                    "occurred_at": (base + timedelta(seconds=seq)).isoformat(timespec="milliseconds"),
                    "clock_offset_ms": 0, "actor": actor, "payload": payload})
        return eid

    i = 0
    while seq < n:
        vid = f"V{(i % 2000) + 100000:06d}"
        i += 1
        sid = str(uuid.uuid4())
        add("attendance.sign_in", vid, {"session_id": sid, "activity_id": "GEN", "site_id": site}, sid)
        add("attendance.sign_out", vid, {"session_id": sid, "activity_id": "GEN", "minutes": 60,
                                         "credited_minutes": 60, "points": 10})
        rid = str(uuid.uuid4())
        add("redemption.create", vid, {"redemption_id": rid, "item_id": "towel", "site_id": site, "cost": 5,
                                       "pickup_no": "001", "offline": False, "stocked": True}, rid)
        add("stock.restock", "S0001", {"site_id": site, "item_id": "towel", "qty": 1})
    return out[:n]


class Ledger:
    def __init__(self, root: Path, synchronous: str):
        self.db = root / "ledger.db"
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            ledger_main(["demo-data", "--db", str(self.db), "--out", str(root / "demo"), "--no-cards"])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "sync.ledger.cli", "serve", "--db", str(self.db),
                                      "--port", str(self.port), "--synchronous", synchronous],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/v1/health", timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("ledger did not start")

    def enroll_raw(self, site: str) -> tuple[str, str]:
        store = LedgerStore(self.db)
        code = store.create_enrollment_code(site, datetime.now(UTC))
        store.close()
        r = requests.post(self.url + "/v1/enroll", json={"enrollment_code": code, "kiosk_name": "bench"}).json()
        return r["kiosk_id"], r["token"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of another process so far; None where /proc is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def bench_ingest(ledger: Ledger, per_kiosk: int) -> tuple[float, float | None, float]:
    """events/s, and the CPU seconds the ledger and this (client) process used while pushing."""
    kiosks = [ledger.enroll_raw(site) for site in ("service-center", "xiangshan-study", "service-center")]
    bodies = []
    for kid, token in kiosks:
        site = "xiangshan-study" if kid.startswith("K-XS") else "service-center"
        events = wire_events(kid, site, per_kiosk)
        bodies.append((token, [json.dumps({"kiosk_id": kid, "events": events[i:i + 500]}).encode()
                               for i in range(0, len(events), 500)]))
    barrier = threading.Barrier(len(bodies) + 1)

    def push(token: str, batches: list[bytes]) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        barrier.wait()
        for body in batches:
            r = session.post(ledger.url + "/v1/events", data=body, headers=headers, timeout=60)
            r.raise_for_status()

    threads = [threading.Thread(target=push, args=b) for b in bodies]
    for t in threads:
        t.start()
    barrier.wait()
    server0, client0 = process_cpu(ledger.proc.pid), time.process_time()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    server1, client = process_cpu(ledger.proc.pid), time.process_time() - client0
    server = server1 - server0 if server0 is not None and server1 is not None else None
    return 3 * per_kiosk / elapsed, server, client


def bench_catchup(ledger: Ledger, root: Path, n: int = 10_000) -> float:
    store = Store(root / "catchup" / "kiosk.db", create=True)
    store_code = LedgerStore(ledger.db).create_enrollment_code("xiangshan-study", datetime.now(UTC))
    assert enroll(store, ledger.url, store_code, "catch-up")["ok"]
    now = datetime.now(UTC)
    with store.transaction() as conn:
        for i in range(n):
            store.append(conn, "stock.restock", "S0001", {"site_id": "xiangshan-study", "item_id": "towel",
                                                          "qty": 1 + i % 3}, occurred_at=now, now=now)
    t0 = time.perf_counter()
    result = sync_once(store)
    elapsed = time.perf_counter() - t0
    assert result["ok"] and store.pending_count() == 0, result
    store.close()
    return elapsed


def bench_roster(ledger: Ledger, root: Path, n: int = 25_000) -> float:
    held = LedgerStore(ledger.db)
    changes = []
    for i in range(n):
        vid = f"V{200000 + i:06d}"
        changes.append({"kind": "volunteer", "key": vid, "data": {"volunteer_id": vid, "display_name": f"志愿者{i}",
                                                                  "team": "夕阳红服务队", "card_version": 1}})
        changes.append({"kind": "balance", "key": vid, "data": {"balance": i % 500, "minutes_total": i % 3000}})
    held.load_reference(changes, datetime.now(UTC))
    code = held.create_enrollment_code("service-center", datetime.now(UTC))
    held.close()
    store = Store(root / "roster" / "kiosk.db", create=True)
    t0 = time.perf_counter()
    result = enroll(store, ledger.url, code, "fresh")
    elapsed = time.perf_counter() - t0
    assert result["ok"], result
    count = store.conn.execute("SELECT COUNT(*) FROM volunteers").fetchone()[0]
    assert count >= n, count
    store.close()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events-per-kiosk", type=int, default=20_000)
    ap.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vk-bench-") as tmp:
        root = Path(tmp)
        raw = executemany_rate(root)
        print(f"sqlite executemany (WAL, synchronous=FULL): {raw:12,.0f} rows/s")
        ledger = Ledger(root, args.synchronous)
        try:
            rate, server_cpu, client_cpu = bench_ingest(ledger, args.events_per_kiosk)
            cpu = f"ledger {server_cpu:.2f} s" if server_cpu is not None else "ledger n/a"
            print(f"ingest, 3 kiosks x {args.events_per_kiosk:,} events, batches of 500 "
                  f"(ledger synchronous={args.synchronous}): {rate:10,.0f} events/s"
                  f"  (target >= {TARGETS['ingest']:,}; CPU while pushing: {cpu}, client {client_cpu:.2f} s)")
            catchup = bench_catchup(ledger, root)
            print(f"catch-up, 10,000 pending events: {catchup:6.2f} s  (target <= {TARGETS['catchup']} s)")
            roster = bench_roster(ledger, root)
            print(f"roster pull, 25,000 volunteers into a fresh kiosk: {roster:6.2f} s"
                  f"  (target <= {TARGETS['roster']} s)")
        finally:
            ledger.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
