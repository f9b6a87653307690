"""我的记录 at the ledger: how long a volunteer's record takes to read on a ledger with
history, on both backends. Prints figures; asserts nothing.

  record     ms for ``records.volunteer_record`` (what ``GET /v1/volunteers/{id}/record``
             does: sessions, the last ten movements, stars), p50 and p95 over volunteers
             with service
  reference  ms for ``LedgerDB.volunteer`` (``GET /v1/volunteers/{id}``: one indexed row),
             for the same volunteers in the same run
  signups    ms for the 台账's sign-up lists of a month (``records.signup_lists``)

The ledger is bench/district.py's district at ``--scale`` (default 0.02: 5,000 volunteers,
100 kiosks, 200,000 events), built once and kept in .bench-cache/ like bench_district.py's.

Run: .venv/bin/python bench/bench_record.py [--scale 0.02] [--backends sqlite,postgres]
                                          [--volunteers 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import district
from bench_district import CACHE, ensure
from ledger_server import bench_postgres

from sync.ledger.db import open_db
from sync.ledger.staff import records


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(backend: str, scale: district.Scale, n: int, server=None) -> None:
    db_url, _key, manifest = ensure(backend, scale, server)
    db = open_db(db_url)
    try:
        rng = random.Random(15)
        pool = [f"V{1_000_000 + i}" for i in range(scale.volunteers)]  # district.volunteer_ids
        vids = [v for v in rng.sample(pool, min(len(pool), n * 3)) if db.volunteer(v)][:n]
        end = district.START + timedelta(days=manifest.days)
        now = datetime.combine(end, datetime.min.time(), district.TZ)
        for v in vids[:5]:  # warm the caches both ways alike
            db.volunteer(v)
            records.volunteer_record(db, v, now)
        ref = [timed(db.volunteer, v) for v in vids]
        rec = [timed(records.volunteer_record, db, v, now) for v in vids]
        sessions = [len(records.volunteer_record(db, v, now)["sessions"]) for v in vids[:20]]
        month = date(end.year, end.month, 1) - timedelta(days=1)
        lists = [timed(records.signup_lists, db, month.replace(day=1), month) for _ in range(5)]
    finally:
        db.close()
    print(
        f"{backend:8} {scale.label}: record p50 {statistics.median(rec):7.2f} ms"
        f" p95 {pct(rec, 0.95):7.2f} ms | reference p50 {statistics.median(ref):6.2f} ms"
        f" p95 {pct(ref, 0.95):6.2f} ms | ratio {statistics.median(rec) / statistics.median(ref):5.1f}x"
        f" | {len(vids)} volunteers, ~{statistics.median(sessions):.0f} sessions listed each"
        f" | month's sign-up lists p50 {statistics.median(lists):.1f} ms",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--volunteers", type=int, default=200)
    args = ap.parse_args(argv)
    scale = district.Scale.of(args.scale)
    for backend in args.backends.split(","):
        if backend == "postgres":
            server = bench_postgres(CACHE / "pg")
            try:
                run(backend, scale, args.volunteers, server)
            finally:
                server.stop()
        else:
            run(backend, scale, args.volunteers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
