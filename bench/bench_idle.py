"""Idle cost: `kiosk run` in front of an empty room, and with a card every ten seconds.

    xvfb-run -a -s '-screen 0 1280x800x24' .venv/bin/python bench/bench_idle.py [--seconds 60]

The kiosk runs as a real process (`kiosk run --camera FILE`, demo data, no ledger), its
camera a Motion-JPEG video generated here (devtools.video): first an empty room with
new sensor noise in every frame, then the same room with a volunteer bringing a card
into view every 10 s (each a different volunteer, so each scan signs someone in). For
each phase it prints CPU seconds per minute for the whole process and per thread
(main: Kivy's loop and its share of GL; decode; capture; GL: Mesa's llvmpipe threads;
the store worker; the rest), the X server's CPU beside it, and resident memory. Every
phase runs twice: free on the machine's cores, then pinned to one core (`taskset -c 0`)
as a stand-in for a small board. Targets while idle: the whole process <= 0.25 core
under Xvfb with software GL, and <= 0.10 core for everything but GL.

Figures are cores (CPU seconds per second): 0.25 is a quarter of one core. Other work
on the machine inflates them; the load average is printed beside each phase.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import figures
from devtools import video

ROOT = Path(__file__).resolve().parents[1]
DAY = "2026-11-30"
# Six in the morning on the demo day: general duty is the only activity, so every card
# signs in at once (no activity choice to wait out).
INSTANT = f"{DAY}T06:00:00+08:00"
TICK = os.sysconf("SC_CLK_TCK")
TARGET_WHOLE = 0.25
TARGET_BUT_GL = 0.10
CARDS = 6
PERIOD_S = 10.0


def thread_kind(comm: str, tid: int, pid: int) -> str:
    if tid == pid:
        return "main"
    if comm.startswith("llvmpipe"):
        return "GL"
    return {"kiosk-decode": "decode", "kiosk-capture": "capture", "kiosk-store": "store"}.get(
        comm, "other"
    )


def thread_times(pid: int) -> dict[int, tuple[str, float]]:
    """{tid: (comm, CPU seconds)} for every thread of ``pid`` now."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(task.name)] = (comm, (int(fields[11]) + int(fields[12])) / TICK)
    return out


def process_cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def x_server_pid() -> int | None:
    """The Xvfb serving $DISPLAY, to show its CPU beside the kiosk's (it copies every frame)."""
    display = os.environ.get("DISPLAY", "")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"Xvfb") and display.encode() in args:
            return int(proc.name)
    return None


def prepare(work: Path) -> tuple[Path, list[str]]:
    """A kiosk data folder with the demo roster, and the volunteer codes to show."""
    env = {**os.environ, "KIOSK_CLOCK": INSTANT}
    cards = work / "cards"
    subprocess.run(
        [sys.executable, "-m", "sync.ledger.ops.demo", "--out", str(cards), "--date", DAY],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    data = work / "kiosk"
    kiosk = [str(Path(sys.executable).with_name("kiosk"))]
    subprocess.run(
        [*kiosk, "load", "--data-dir", str(data), str(cards / "snapshot.json")]
        + ["--site", "service-center"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    roster = json.loads((cards / "roster.json").read_text(encoding="utf-8"))
    codes = [p["code"] for p in roster if p["kind"] == "V" and p.get("status") == "active"]
    return data, codes[:CARDS]


def run_phase(
    data: Path, clip: Path, seconds: float, warmup: float, pinned: bool
) -> dict[str, object]:
    env = {
        **os.environ,
        "KIOSK_CLOCK": INSTANT,
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONSOLELOG": "1",
        "SDL_AUDIODRIVER": "dummy",
    }
    cmd = [str(Path(sys.executable).with_name("kiosk")), "run", "--data-dir", str(data)]
    cmd += ["--camera", str(clip)]
    if pinned:
        cmd = ["taskset", "-c", "0", *cmd]
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(warmup)  # start-up: fonts, kv, the first frames
            if proc.poll() is not None:
                log.seek(0)
                raise SystemExit(f"kiosk run exited {proc.returncode}:\n{log.read()[-3000:]}")
            xpid = x_server_pid()
            x0 = process_cpu(xpid) if xpid else 0.0
            t0, p0, before = time.monotonic(), process_cpu(proc.pid), thread_times(proc.pid)
            load0 = os.getloadavg()[0]
            time.sleep(seconds)
            t1, p1, after = time.monotonic(), process_cpu(proc.pid), thread_times(proc.pid)
            x1 = process_cpu(xpid) if xpid else 0.0
            rss = rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.seek(0)
        text = log.read()
    span = t1 - t0
    kinds: dict[str, float] = {}
    for tid, (comm, cpu) in after.items():
        start = before.get(tid, (comm, 0.0))[1]
        kind = thread_kind(comm, tid, proc.pid)
        kinds[kind] = kinds.get(kind, 0.0) + (cpu - start) / span
    answered = len(set(re.findall(r"signed_in (V\d+)", text)))
    return {
        "whole": (p1 - p0) / span,
        "threads": kinds,
        "x_server": (x1 - x0) / span if xpid else None,
        "rss_mb": rss,
        "answered": answered,
        "load": (load0 + os.getloadavg()[0]) / 2,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=60.0, help="measured time per phase")
    ap.add_argument("--warmup", type=float, default=8.0)
    ap.add_argument("--no-pinned", action="store_true", help="skip the runs on one core")
    args = ap.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        print("bench_idle needs a display: run it under xvfb-run", file=sys.stderr)
        return 2
    pin = [False] if args.no_pinned or not shutil.which("taskset") else [False, True]
    work = Path(tempfile.mkdtemp(prefix="kiosk-idle-"))
    try:
        data, codes = prepare(work)
        idle_clip = video.write_clip(work / "idle.avi", video.empty_room(4.0))
        cards_clip = video.write_clip(work / "cards.avi", video.cards_every(codes, PERIOD_S))
        print(
            f"kiosk run, camera 640x480 at {video.FPS:.0f} fps from a Motion-JPEG file,"
            f" {args.seconds:.0f} s per phase after {args.warmup:.0f} s of start-up"
        )
        head = f"{'phase':<28}{'whole':>7}{'but GL':>8}" + "".join(
            f"{k:>8}" for k in ("main", "decode", "capture", "GL", "store", "other")
        )
        print(head + f"{'Xvfb':>7}{'RSS MB':>8}{'load':>6}{'cards':>8}")
        print("-" * (len(head) + 29))
        failed = False
        for clip, phase in ((idle_clip, "empty room"), (cards_clip, "a card every 10 s")):
            for pinned in pin:
                # Every phase on its own copy of the fresh kiosk: on one used before, the
                # same volunteers at the same instant would be "already signed in".
                run_data = work / f"kiosk-{phase}-{pinned}".replace(" ", "-")
                shutil.copytree(data, run_data)
                r = run_phase(run_data, clip, args.seconds, args.warmup, pinned)
                t = r["threads"]
                # The cards that came into view once the kiosk was up (each a new person).
                expected = sum(
                    args.warmup <= k * PERIOD_S < args.warmup + args.seconds
                    for k in range(len(codes))
                )
                but_gl = r["whole"] - t.get("GL", 0.0)
                name = phase + (", one core" if pinned else "")
                x = f"{r['x_server']:7.3f}" if r["x_server"] is not None else f"{'-':>7}"
                print(
                    f"{name:<28}{r['whole']:7.3f}{but_gl:8.3f}"
                    + "".join(
                        f"{t.get(k, 0.0):8.3f}"
                        for k in ("main", "decode", "capture", "GL", "store", "other")
                    )
                    + f"{x}{r['rss_mb']:8.0f}{r['load']:6.1f}"
                    + (f"{r['answered']:>4}/{expected:<3}" if clip is cards_clip else "")
                )
                ref = (
                    f"main {t.get('main', 0):.3f}, decode {t.get('decode', 0):.3f},"
                    f" capture {t.get('capture', 0):.3f}, GL {t.get('GL', 0):.3f};"
                    f" Xvfb {r['x_server'] or 0:.3f}; RSS {r['rss_mb']:.0f} MB; load {r['load']:.1f}"
                )
                idle = clip is idle_clip and not pinned
                figures.report(
                    "idle",
                    f"{name}: whole process",
                    r["whole"],
                    "cores",
                    target=("<=", TARGET_WHOLE) if idle else None,
                    reference=ref,
                )
                figures.report(
                    "idle",
                    f"{name}: all but GL",
                    but_gl,
                    "cores",
                    target=("<=", TARGET_BUT_GL) if idle else None,
                    reference=f"whole process {r['whole']:.3f}; {ref}",
                )
                if clip is cards_clip:
                    figures.report(
                        "idle",
                        f"{name}: cards answered",
                        r["answered"],
                        "",
                        target=(">=", expected),
                        reference=f"{expected} cards came into view after start-up",
                    )
                    failed |= r["answered"] < expected
                if idle:
                    failed |= r["whole"] > TARGET_WHOLE or but_gl > TARGET_BUT_GL
        print(
            "(cores: CPU seconds per second of the whole process and of each kind of thread;"
            " cards: volunteers signed in / cards that came into view after start-up)"
        )
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
