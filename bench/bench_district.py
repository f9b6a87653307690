"""A district-sized ledger (bench/district.py: 200,000 volunteers, 100 kiosks, 10 million
events) on both backends. Prints figures; asserts nothing.

  pull     seconds for a new kiosk to enroll and pull its full snapshot (the whole roster,
           balances, activities, catalog) into a fresh kiosk store
  export   seconds for a month's 台账 (`kiosk-ledger export --month`, the last full month
           of the history), as the command
  push     p50 / p95 / p99 of `POST /v1/events` with 5 events while all 100 kiosks push,
           each every --interval seconds (goal: p95 <= 50 ms); beside it, the same pushes
           into an empty ledger (the demo data) in the same run

The district is built once per scale and kept in .bench-cache/ (a SQLite file, and a
PostgreSQL cluster of its own); later runs reuse it and only add the pushes' events.

Run: .venv/bin/python bench/bench_district.py [--scale 1] [--backends sqlite,postgres]
                                            [--interval 2] [--duration 60]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import district
from ledger_server import Ledger, bench_postgres, create_database

from kiosk.store import Store
from sync.agent import enroll
from sync.ledger.db import open_db
from sync.ledger.ops.cli import main as ledger_main

CACHE = Path(__file__).resolve().parent.parent / ".bench-cache"


def cache_name(scale: district.Scale) -> str:
    return f"district_{scale.label.replace('-', '_')}_v{district.VERSION}"


def manifest_path(backend: str, scale: district.Scale) -> Path:
    return CACHE / f"{cache_name(scale)}-{backend}.json"


def ensure(backend: str, scale: district.Scale, server=None) -> tuple[str, Path, district.Manifest]:
    """The district's database (built if missing), its key file and its manifest."""
    CACHE.mkdir(exist_ok=True)
    name = cache_name(scale)
    key = CACHE / f"{name}-{backend}.signing-key"
    db = str(CACHE / f"{name}.db") if backend == "sqlite" else server.url(name)
    manifest = district.Manifest.load(manifest_path(backend, scale))
    if manifest is not None:
        return db, key, manifest
    print(f"building the {backend} district {scale.label} (kept for later runs) ...", flush=True)
    if backend == "sqlite":
        Path(db).unlink(missing_ok=True)
    else:
        create_database(server, name)
    import os

    os.environ["KIOSK_LEDGER_KEY"] = str(key)
    key.unlink(missing_ok=True)
    assert ledger_main(["init", "--db", db]) == 0
    manifest = district.build(
        db, scale, manifest_path(backend, scale), jobs=2 if backend == "postgres" else 1
    )
    print(f"  built in {manifest.seconds:,.0f} s; {manifest.rejected:,} events not accepted")
    return db, key, manifest


def full_pull(ledger: Ledger, db: str, root: Path) -> tuple[float, int]:
    store_db = open_db(db)
    try:
        code = store_db.create_enrollment_code("c01-center", datetime.now(UTC))
    finally:
        store_db.close()
    store = Store(root / "pull" / "kiosk.db", create=True)
    t0 = time.perf_counter()
    result = enroll(store, ledger.url, code, "bench-pull")
    elapsed = time.perf_counter() - t0
    assert result["ok"], result
    count = store.conn.execute("SELECT COUNT(*) FROM volunteers").fetchone()[0]
    store.close()
    return elapsed, count


def month_export(db: str, key: Path, month: str, root: Path) -> float:
    out = root / f"export-{month}.xlsx"
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sync.ledger",
            "export",
            "--db",
            db,
            "--month",
            month,
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "KIOSK_LEDGER_KEY": str(key)},
    )
    return time.perf_counter() - t0


def pushes(
    url: str, kiosks: list[tuple[str, str, list[dict]]], interval: float, duration: float
) -> list[float]:
    """Every kiosk pushes its next 5 events every ``interval`` s (an open loop, starts
    spread over the first interval) for ``duration`` s; the latencies in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    t_start = time.monotonic() + 1.0

    def run(i: int, kid: str, token: str, events: list[dict]) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        due = t_start + interval * i / len(kiosks)
        j = 0
        while due < t_start + duration and j < len(events):
            time.sleep(max(0.0, due - time.monotonic()))  # the open loop's schedule
            body = {"kiosk_id": kid, "events": events[j : j + 5]}
            t0 = time.perf_counter()
            r = http.post(url + "/v1/events", json=body, headers=headers, timeout=60)
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code == 200 and r.json()["acked_seq"] >= body["events"][-1]["seq"]:
                j += 5
                with lock:
                    latencies.append(ms)
            due += interval

    threads = [threading.Thread(target=run, args=(i, *k)) for i, k in enumerate(kiosks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def percentiles(ms: list[float]) -> str:
    if len(ms) < 20:
        return f"only {len(ms)} pushes"
    q = statistics.quantiles(ms, n=100)
    return f"p50 {q[49]:6.1f} ms, p95 {q[94]:6.1f} ms, p99 {q[98]:6.1f} ms ({len(ms):,} pushes)"


def bench_backend(backend: str, scale, server, args, root: Path) -> None:
    db, key, manifest = ensure(backend, scale, server)
    ledger = Ledger(
        root / f"{backend}-district", db, demo=False, env={"KIOSK_LEDGER_KEY": str(key)}
    )
    try:
        pull_s, people = full_pull(ledger, db, root / backend)
        print(f"  {backend:8} full pull into a new kiosk: {pull_s:7.2f} s ({people:,} people)")
        # The last full month of the history; a short history (a small --scale): its month.
        last_day = district.START + timedelta(days=manifest.days - 1)
        month_day = last_day.replace(day=1) - timedelta(days=1)
        if month_day < district.START:
            month_day = district.START
        month = month_day.strftime("%Y-%m")
        print(f"  {backend:8} 台账 export of {month}: {month_export(db, key, month, root):7.2f} s")
        ledger_db = open_db(db)
        try:
            held = {k.kiosk_id: k.acked_seq for k in ledger_db.kiosks()}
        finally:
            ledger_db.close()
        run = manifest.bench_runs = manifest.bench_runs + 1
        manifest.save(manifest_path(backend, scale))  # the next run's events are new ones
        kiosks = []
        for k in manifest.kiosks:
            gen = district.KioskDay(
                scale,
                k["index"],
                k["kiosk_id"],
                first_seq=held[k["kiosk_id"]] + 1,
                tag=f"bench-{run}",
            )
            kiosks.append((k["kiosk_id"], k["token"], gen.day(manifest.days + run)))
        lat = pushes(ledger.url, kiosks, args.interval, args.duration)
        print(
            f"  {backend:8} 5-event pushes, 100 kiosks each every {args.interval:g} s: {percentiles(lat)}"
        )
    finally:
        ledger.stop()
    # The same load into an empty ledger: what the district's size costs.
    empty_db = str(root / "empty.db") if backend == "sqlite" else create_database(server, "empty")
    empty = Ledger(root / f"{backend}-empty", empty_db)
    try:
        kiosks = []
        for i in range(scale.kiosks):
            kid, token = empty.enroll_raw(("service-center", "xiangshan-study")[i % 2])
            site = "xiangshan-study" if kid.startswith("K-XS") else "service-center"
            n = int(args.duration / args.interval) * 5 + 5
            kiosks.append((kid, token, restocks(kid, site, n)))
        lat = pushes(empty.url, kiosks, args.interval, args.duration)
        print(f"  {backend:8}   the same into an empty ledger: {percentiles(lat)}")
    finally:
        empty.stop()


def restocks(kiosk_id: str, site: str, n: int) -> list[dict]:
    import uuid

    at = datetime(2026, 11, 29, 9, tzinfo=UTC)
    return [
        {
            "id": str(uuid.uuid4()),
            "kiosk_id": kiosk_id,
            "seq": i + 1,
            "type": "stock.restock",
            "occurred_at": (at + timedelta(seconds=i)).isoformat(timespec="milliseconds"),
            "clock_offset_ms": 0,
            "actor": "S0001",
            "payload": {"site_id": site, "item_id": "towel", "qty": 1, "reason": "restock"},
        }
        for i in range(n)
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between a kiosk's pushes")
    ap.add_argument("--duration", type=float, default=60.0)
    args = ap.parse_args()
    scale = district.Scale.of(args.scale)
    print(
        f"district: {scale.volunteers:,} volunteers, {scale.kiosks} kiosks,"
        f" {scale.events:,} events (scale {args.scale:g})"
    )
    root = Path(tempfile.mkdtemp(prefix="vk-bench-district-"))
    server = None
    try:
        for backend in args.backends.split(","):
            if backend == "postgres":
                server = bench_postgres(CACHE / "pg")
            bench_backend(backend, scale, server, args, root)
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
