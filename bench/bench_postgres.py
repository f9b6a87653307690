"""Ingest on both storage backends against the raw engine, and PostgreSQL scale-out.
Prints figures; asserts nothing.

  ingest   events/s of a realistic day (bench_sync.realistic_events) pushed over HTTP to
           a real ``kiosk-ledger serve``, 3 and 12 kiosks at once, batches of 500 and of
           5, each into a fresh database; as a ratio to the raw engine on the same disk
           in the same run: SQLite's executemany (WAL, synchronous=FULL), PostgreSQL's
           COPY and executemany into a plain table (fsync on, synchronous_commit on).
           Goal: >= 0.2 of the raw engine.
  scaling  PostgreSQL, 12 kiosks pushing batches of 50, with 1, 2 and 4 API processes
           (``serve --workers N``): events/s and the ratio to one process.

Run: .venv/bin/python bench/bench_postgres.py [--events-per-kiosk N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync import load_reference_for, realistic_events, report_rejected
from ledger_server import Ledger, bench_postgres, create_database

SITES = ("service-center", "xiangshan-study", "service-center")


def raw_rows(n: int) -> list[tuple]:
    return [
        ("K-SC-01", i, str(uuid.uuid4()), "stock.restock", '{"qty":1}') for i in range(1, n + 1)
    ]


def sqlite_executemany(root: Path, rows: list[tuple]) -> float:
    conn = sqlite3.connect(root / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE t (kiosk_id TEXT, seq INTEGER, id TEXT UNIQUE, type TEXT, payload TEXT,"
        " PRIMARY KEY (kiosk_id, seq)) WITHOUT ROWID"
    )
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()
    return len(rows) / (time.perf_counter() - t0)


def postgres_raw(url: str, rows: list[tuple]) -> tuple[float, float]:
    """(COPY rows/s, executemany rows/s) into a plain table with the same keys."""
    import psycopg

    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        for way in ("copy", "executemany"):
            conn.execute("DROP TABLE IF EXISTS t")
            conn.execute(
                "CREATE TABLE t (kiosk_id TEXT, seq BIGINT, id TEXT UNIQUE, type TEXT,"
                " payload TEXT, PRIMARY KEY (kiosk_id, seq))"
            )
            t0 = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur:
                if way == "copy":
                    with cur.copy("COPY t FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cur.executemany("INSERT INTO t VALUES (%s, %s, %s, %s, %s)", rows)
            out.append(len(rows) / (time.perf_counter() - t0))
        conn.execute("DROP TABLE t")
    return out[0], out[1]


def push_all(ledger: Ledger, kiosks: int, per_kiosk: int, batch: int) -> float:
    """events/s of ``kiosks`` kiosks pushing a realistic day each, at once."""
    bodies = []
    named: list[dict] = []
    for index in range(kiosks):
        kid, token = ledger.enroll_raw(SITES[index % 3])
        site = "xiangshan-study" if kid.startswith("K-XS") else "service-center"
        events = realistic_events(kid, site, per_kiosk, index)
        named.extend(events)
        bodies.append(
            (
                token,
                [
                    json.dumps({"kiosk_id": kid, "events": events[i : i + batch]}).encode()
                    for i in range(0, len(events), batch)
                ],
            )
        )
    # The roster and the days' activities, as a real ledger holds them (else it refuses).
    load_reference_for(ledger.db, named)
    barrier = threading.Barrier(kiosks + 1)
    failed: list[str] = []
    rejected: list[str] = []

    def push(token: str, batches: list[bytes]) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        barrier.wait()
        for body in batches:
            r = http.post(ledger.url + "/v1/events", data=body, headers=headers, timeout=120)
            if r.status_code != 200:
                failed.append(f"{r.status_code}: {r.text[:200]}")
                return
            rejected.extend(x["reason"] for x in r.json()["results"] if x["status"] == "rejected")

    threads = [threading.Thread(target=push, args=b) for b in bodies]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if failed:
        raise RuntimeError(f"pushes failed: {failed[:3]}")
    report_rejected(rejected)
    return kiosks * per_kiosk / elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events-per-kiosk", type=int, default=2000, help="with batches of 500")
    ap.add_argument("--small-per-kiosk", type=int, default=300, help="with batches of 5")
    ap.add_argument("--quick", action="store_true", help="fewer events (a smoke run)")
    args = ap.parse_args()
    big, small = args.events_per_kiosk, args.small_per_kiosk
    if args.quick:
        big, small = 500, 60
    root = Path(tempfile.mkdtemp(prefix="vk-bench-ingest-"))
    root.chmod(0o711)  # the PostgreSQL server runs as its own user below it
    server = bench_postgres(root / "pg")
    try:
        rows = raw_rows(100_000)
        ref = {"sqlite": sqlite_executemany(root, rows)}
        copy_rate, many_rate = postgres_raw(create_database(server, "raw"), rows)
        ref["postgres"] = copy_rate
        print("raw engine, 100,000 rows into a plain table, one transaction:")
        print(f"  sqlite executemany (WAL, synchronous=FULL): {ref['sqlite']:12,.0f} rows/s")
        print(f"  postgres COPY (fsync on):                   {copy_rate:12,.0f} rows/s")
        print(f"  postgres executemany (pipelined):           {many_rate:12,.0f} rows/s")
        print(
            "ingest, realistic day over HTTP, fresh database each (ratio to the raw engine;"
            " postgres also to executemany; goal >= 0.2):"
        )
        n = 0
        for backend in ("sqlite", "postgres"):
            for kiosks in (3, 12):
                for batch, per in ((500, big), (5, small)):
                    n += 1
                    if backend == "sqlite":
                        db = str(root / f"ledger-{n}.db")
                    else:
                        db = create_database(server, f"ingest_{n}")
                    ledger = Ledger(root / f"run-{n}", db)
                    try:
                        rate = push_all(ledger, kiosks, per, batch)
                    finally:
                        ledger.stop()
                    extra = (
                        f", {rate / many_rate:.2f} of executemany" if backend == "postgres" else ""
                    )
                    print(
                        f"  {backend:8} {kiosks:2} kiosks, batches of {batch:3}: {rate:9,.0f} events/s"
                        f"  = {rate / ref[backend]:.3f} of {'COPY' if backend == 'postgres' else 'executemany'}{extra}"
                    )
        print("postgres scale-out: 12 kiosks, batches of 50, serve --workers N:")
        base = None
        for workers in (1, 2, 4):
            db = create_database(server, f"scale_{workers}")
            ledger = Ledger(root / f"scale-{workers}", db, workers=workers)
            try:
                rate = push_all(ledger, 12, max(small * 2, 500 if not args.quick else 100), 50)
            finally:
                ledger.stop()
            base = base or rate
            print(
                f"  {workers} process(es): {rate:9,.0f} events/s  = {rate / base:.2f} x one process"
            )
    finally:
        server.remove()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
