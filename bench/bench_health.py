"""`/v1/health` while a real ledger process imports a 25,000-row roster and exports the
month's 台账: how often it answers and how long each answer takes, beside the same request
on the idle ledger in the same run. Target: no answer over 1 s (before the imports left
the event loop and reads left the write lock, one import held health for 6 s).

    .venv/bin/python bench/bench_health.py [--rows 25000]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import figures
from bench.bench_staff_tools import roster_rows
from bench.ledger_server import Ledger
from sync.ledger.db import open_db
from sync.ledger.security import new_token

TARGET_MS = 1000.0


def health_ms(url: str) -> float:
    t0 = time.perf_counter()
    requests.get(url + "/v1/health", timeout=60).raise_for_status()
    return (time.perf_counter() - t0) * 1000


def while_running(url: str, job) -> tuple[float, list[float]]:
    """(seconds the job took, health answer times in ms while it ran)."""
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            job()
        except BaseException as exc:  # reported below, in the main thread
            failure.append(exc)
        finally:
            done.set()

    t0 = time.perf_counter()
    threading.Thread(target=run, daemon=True).start()
    waits = []
    while not done.is_set():
        waits.append(health_ms(url))
    took = time.perf_counter() - t0
    if failure:
        raise failure[0]
    return took, waits


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)] if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="vk-bench-health-"))
    db = str(root / "ledger.db")
    ledger = Ledger(root / "ledger", db)
    try:
        token = new_token()
        store = open_db(db)
        store.set_admin_token(token)
        store.close()
        staff = {"Authorization": f"Bearer {token}"}
        buf = io.StringIO()
        csv.writer(buf).writerows(roster_rows(args.rows))
        body = buf.getvalue().encode("utf-8")

        idle = [health_ms(ledger.url) for _ in range(50)]

        def do_import() -> None:
            r = requests.post(
                ledger.url + "/v1/admin/roster/import?filename=roster.csv",
                data=body,
                headers=staff,
                timeout=600,
            )
            assert r.status_code == 200, r.text[:300]

        def do_export() -> None:
            # The ledger's own month (its clock, not this machine's): the demo's records are in it.
            month = requests.get(ledger.url + "/v1/health", timeout=60).json()["server_time"][:7]
            r = requests.get(
                ledger.url + "/v1/admin/export",
                params={"month": month},
                headers=staff,
                timeout=600,
            )
            assert r.status_code == 200, r.text[:300]

        load = os.getloadavg()[0]
        print(f"/v1/health on a ledger process (SQLite), load average {load:.1f}")
        ref = f"idle ledger, same run: median {statistics.median(idle):.1f} ms, max {max(idle):.1f} ms"
        print(f"  {'idle':<36} median {statistics.median(idle):6.1f} ms  max {max(idle):7.1f} ms")
        for label, job in (
            (f"import of {args.rows:,} rows", do_import),
            ("month export", do_export),
        ):
            took, waits = while_running(ledger.url, job)
            print(
                f"  during {label:<29} median {statistics.median(waits):6.1f} ms"
                f"  p95 {p95(waits):7.1f} ms  max {max(waits):7.1f} ms"
                f"  ({len(waits)} answers in {took:.2f} s)"
            )
            figures.report(
                "health",
                f"/v1/health max during {label}",
                round(max(waits), 1),
                "ms",
                target=("<=", TARGET_MS),
                reference=f"{ref}; {len(waits)} answers in {took:.2f} s; load {load:.1f}",
            )
    finally:
        ledger.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
