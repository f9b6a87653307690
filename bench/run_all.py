"""`make bench`: every benchmark, each in its own process, whether or not an earlier one
missed its target or failed, then one summary of every figure against its target.

    xvfb-run -a -s '-screen 0 1280x800x24' .venv/bin/python bench/run_all.py [--quick] [--only NAME ...]

The UI and idle benchmarks need a display (run under xvfb-run, as make does). Each
benchmark reports its figures through bench.figures; the summary lists them with the
reference measured in the same run (the raw engine, the single decoder) and the
machine's load average, since other work on a shared machine moves every figure.
The exit status is 1 if any figure missed its target or any benchmark failed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

# (name, arguments, arguments for --quick)
BENCHES: list[tuple[str, list[str], list[str]]] = [
    ("store", ["bench/bench_store.py"], ["bench/bench_store.py", "--n", "500"]),
    ("decode", ["bench/bench_decode.py"], ["bench/bench_decode.py", "--quick"]),
    ("video", ["bench/bench_video.py"], ["bench/bench_video.py", "--quick"]),
    ("sync", ["bench/bench_sync.py"], ["bench/bench_sync.py", "--repeat", "1"]),
    ("staff_tools", ["bench/bench_staff_tools.py"], ["bench/bench_staff_tools.py"]),
    ("health", ["bench/bench_health.py"], ["bench/bench_health.py", "--rows", "5000"]),
    ("pin", ["bench/bench_pin.py"], ["bench/bench_pin.py", "--runs", "3"]),
    ("ui home", ["bench/bench_ui.py"], ["bench/bench_ui.py", "--scans", "20"]),
    (
        "ui home, other core busy",
        ["bench/bench_ui.py", "--burn"],
        ["bench/bench_ui.py", "--burn", "--scans", "20"],
    ),
    (
        "ui result",
        ["bench/bench_ui.py", "--start", "result"],
        ["bench/bench_ui.py", "--start", "result", "--scans", "20"],
    ),
    ("idle", ["bench/bench_idle.py"], ["bench/bench_idle.py", "--seconds", "15"]),
    ("postgres", ["bench/bench_postgres.py"], ["bench/bench_postgres.py", "--quick"]),
    (
        "district",
        ["bench/bench_district.py", "--scale", os.environ.get("DISTRICT_SCALE", "1")],
        ["bench/bench_district.py", "--scale", "0.01"],
    ),
    (
        "console",
        ["bench/bench_console.py", "--scale", os.environ.get("DISTRICT_SCALE", "1")],
        ["bench/bench_console.py", "--scale", "0.01", "--rounds", "5"],
    ),
]


# How long a benchmark may run before it is stopped and listed as failed, so one that hangs
# (a window that never answers, a server that never starts) cannot hold up the rest. The
# district's first run builds 10 million events on each backend.
LIMITS = {"district": 4 * 3600.0, "console": 2 * 3600.0}
DEFAULT_LIMIT = 1800.0


def _call(cmd: list[str], env: dict, limit: float) -> int | None:
    """The command's exit status, or None when it ran past ``limit`` seconds (then it and
    everything it started are killed)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    try:
        return proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def fmt(value: float, unit: str) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}" if abs(value) < 10 else f"{value:.1f} {unit}"


def summary(rows: list[dict], failed: list[str], loads: tuple[str, str]) -> bool:
    print("\n" + "=" * 100)
    print(
        f"SUMMARY: every figure against its target (load average before {loads[0]}, after"
        f" {loads[1]}; {os.cpu_count()} cores)"
    )
    print("=" * 100)
    ok = not failed
    width = max([len(r["name"]) for r in rows] + [20])
    bench_w = max([len(r["bench"]) for r in rows] + [6])
    for r in rows:
        target = f"{r['target'][0]} {fmt(r['target'][1], r['unit'])}" if r["target"] else ""
        mark = {"ok": "ok", "MISSED": "MISSED", "info": ""}[r["verdict"]]
        ok &= r["verdict"] != "MISSED"
        print(
            f"{r['bench']:<{bench_w}}  {r['name']:<{width}}  {fmt(r['value'], r['unit']):>12}"
            f"  {target:>12}  {mark:<6}  {r['reference']}"
        )
    for f in failed:
        print(f"FAILED: {f}")
    print("all targets met" if ok else "some targets missed or benchmarks failed (see above)")
    return ok


def run(
    benches: list[tuple[str, list[str], list[str]]],
    quick: bool,
    only=None,
    limits: dict[str, float] | None = None,
) -> bool:
    """Run ``benches`` one after another, each to its end whatever the others did (or to
    its time limit), then print the summary; True if every figure met its target and none
    failed."""
    limits = LIMITS if limits is None else limits
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        figures_file = Path(tmp) / "figures.jsonl"
        env["BENCH_FIGURES"] = str(figures_file)
        failed = []
        loads = (load(), "")
        for name, full, quick_args in benches:
            if only and name not in only:
                continue
            cmd = [PY, *(quick_args if quick else full)]
            print(f"\n== {name}: {' '.join(cmd[1:])}   (load average {load()})", flush=True)
            started = time.monotonic()
            before = len(_rows(figures_file))
            limit = limits.get(name, DEFAULT_LIMIT)
            code = _call(cmd, env, limit)
            took = time.monotonic() - started
            print(f"== {name}: exit {code} after {took:.0f} s", flush=True)
            new = _rows(figures_file)[before:]
            if code is None:
                failed.append(f"{name}: stopped after {limit:g} s, not finished")
            elif not new:
                failed.append(f"{name}: exit {code}, reported no figures")
            elif code != 0 and not any(r["verdict"] == "MISSED" for r in new):
                # Exit 1 with a figure missed is a miss (listed); otherwise it broke.
                failed.append(f"{name}: exit {code} (a crash or a failed check: see its output)")
        return summary(_rows(figures_file), failed, (loads[0], load()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="fewer samples in every benchmark")
    ap.add_argument("--only", nargs="*", help="benchmark names to run (default: all)")
    args = ap.parse_args(argv)
    return 0 if run(BENCHES, args.quick, args.only) else 1


if __name__ == "__main__":
    raise SystemExit(main())
