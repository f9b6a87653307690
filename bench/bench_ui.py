"""UI latency: from a camera frame handed to the simulated camera to the answer drawn on
the result screen, over 50 scans, in a real window (run under xvfb-run). Target: p95 <=
66 ms from the home screen on a quiet machine (issue 14); back to back on the result
screen, p95 <= 100 ms.

    xvfb-run -a -s '-screen 0 1280x800x24' python bench/bench_ui.py [--scans 50] [--json]
        [--start home|result] [--burn] [--tail N] [--timeout S]

Scans start from the home screen at rest, where the camera preview is live, as a volunteer
meets the kiosk: the previous answer gone, the home screen redrawn and its preview back
(``--start result``: back to back on the result screen, no preview).
``--burn`` runs a CPU burner beside, so the kiosk has one core of the two. ``--tail N``
prints the N slowest scans leg by leg, with what the UI thread was drawing when their
answer was decided.

Each scan shows a different card (sign-ins, then sign-outs as the clock moves on), so
every one goes through decode, the store's fsync'd write and a redraw. The answer is
drawn once decided, while its commit runs; the confirmation (words, colour, sound)
once committed (kiosk.service.Kiosk.attend, ``decided``). Reported per scan: to the UI
thread (frame shown -> scan on the UI thread), decide (-> the answer, before commit),
commit wait (-> committed), draw (answer -> the end of the first buffer swap begun after
it), and both totals: the answer drawn (the target) and the confirmation drawn.

"Drawn" is when the swap returns: under software GL the swap is where the frame is
rendered, tens of milliseconds. (Until December 2026 the clock stopped where Kivy
dispatches on_flip, before the swap, which left that frame's rendering out.) The legs
then follow one scan through the kiosk: the camera reading the card's first frame, the
decode thread taking and reading it, the store worker deciding the answer, the answer
reaching the UI thread (a frame the UI thread is still rendering holds it there), and
its own frame.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


# p95 targets (ms) by (start screen, burner): issue 14 asks for 66 ms from the home screen
# on a quiet machine; back to back on the result screen the earlier 100 ms stands; with
# the other core busy the figure is reported against none.
TARGETS = {
    ("home", False): 66,
    ("result", False): 100,
    ("home", True): None,
    ("result", True): None,
}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--burn",
        action="store_true",
        help="with one CPU burner running beside (the other core busy)",
    )
    parser.add_argument(
        "--start",
        choices=["home", "result"],
        default="home",
        help="scan from the home screen (as a volunteer walks up: the camera preview"
        " is live there) or back to back on the result screen",
    )
    parser.add_argument("--tail", type=int, default=0, help="print the N slowest scans' legs")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds a scan may take before the run fails"
    )
    args = parser.parse_args(argv)

    from kiosk.ui import env

    env.prepare()
    # Kivy's logger takes sys.stderr over to log stray output, and with the console log off
    # that log goes nowhere: a failed run's message and traceback would vanish.
    sys.stderr = sys.__stderr__
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from bench import figures
    from devtools.driver import Driver, code_frame, start_embedded
    from devtools.screenshots import Clock, build_demo, fresh_kiosk
    from kiosk.scanner.sources import SimulatedCamera
    from kiosk.ui.app import KioskApp

    work = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    data = build_demo(work)
    clock = Clock()
    clock.now = clock.now.replace(hour=6, minute=0)  # general duty only: no activity choice
    app = KioskApp(
        fresh_kiosk(work, "k", clock), source=SimulatedCamera(), sounds=False, result_seconds=3600
    )
    start_embedded(app)
    g = Driver(app)
    g.settle()
    codes = [p["code"] for p in data.roster if p["kind"] == "V" and p["status"] == "active"]
    frames = [code_frame(c) for c in codes]

    # (start, end) of every buffer swap. The picture is on screen when the swap returns:
    # under software GL the swap is where the frame is rendered (tens of milliseconds),
    # and Kivy calls handlers bound to on_flip before it, so they cannot time it.
    swaps: list[tuple[float, float]] = []
    swap = Window.flip

    def timed_swap():
        start = time.perf_counter()
        swap()
        swaps.append((start, time.perf_counter()))

    Window.flip = timed_swap
    # When each frame's drawing begins (the window's on_draw, before Kivy's own handler):
    # the answer's own frame splits into getting it ready (text, layout) and rendering it.
    draws: list[float] = []
    Window.bind(on_draw=lambda *_a: draws.append(time.perf_counter()))
    shows: list[tuple[float, bool]] = []  # (time, committed) of every result screen shown
    original_show = app.show

    def timed_show(shown, committed=True):
        original_show(shown, committed)
        shows.append((time.perf_counter(), committed))

    app.show = timed_show
    legs = _Legs(app)

    burner = _burn() if args.burn else None
    rows = []
    try:
        for i in range(args.scans):
            g.take_away()
            # The decoder done with a frame without the card, so it cannot be read again
            # once the debouncer forgets it.
            seq = app.scanner.frame_seq
            g.wait_until(lambda s=seq: app.scanner.preview_frame()[0] > s, what="the card gone")
            g.forget_scans()
            if args.start == "home":
                app.go_home()
                # A volunteer meets the home screen at rest: its refresh drawn, the last
                # answer's preview hold over, the live preview drawn again.
                drawn = app.preview_pacer.shown
                g.settle()
                g.wait_until(lambda d=drawn: app.preview_pacer.shown > d, what="the preview")
            if i and i % len(codes) == 0:
                clock.now += timedelta(minutes=20)
            for _ in range(3):
                EventLoop.idle()
            n_scans, n_shows = len(app.scan_log), len(shows)
            legs.clear()
            t0 = time.perf_counter()
            g.show(frames[i % len(frames)])
            while not _confirmed_drawn(shows[n_shows:], swaps):
                EventLoop.idle()
                if time.perf_counter() - t0 > args.timeout:
                    raise SystemExit(
                        f"scan {i} not answered in {args.timeout:g} s (screen {app.sm.current})"
                    )
            mine = shows[n_shows:]
            t_first = mine[0][0]
            t_commit = next(t for t, committed in mine if committed)
            t_scan = app.scan_log[n_scans][0] if len(app.scan_log) > n_scans else t0
            # scan_log holds time.monotonic(); convert to the perf_counter timeline.
            t_scan_pc = t_scan - time.monotonic() + time.perf_counter()
            answer = _drawn_after(t_first, swaps)
            confirmed = _drawn_after(t_commit, swaps)
            busy = _in_flight(legs.decided or t_first, swaps, legs.all_previews, t0)
            rows.append(
                {
                    "scan": i,
                    "busy": busy,
                    "answer": (answer - t0) * 1000,
                    "confirmed": (confirmed - t0) * 1000,
                    "to_ui": max(0.0, (t_scan_pc - t0) * 1000),
                    "decide": max(0.0, (t_first - t_scan_pc) * 1000),
                    "commit_wait": (t_commit - t_first) * 1000,
                    "draw": (answer - t_first) * 1000,
                    "draw_ready": (next(t for t in draws if t >= t_first) - t_first) * 1000,
                    **legs.split(t0, t_first, answer),
                    "early": t_first < t_commit,
                }
            )
    finally:
        if burner is not None:
            burner.kill()
            burner.wait()
    app.stop()
    col = {k: [r[k] for r in rows] for k in rows[0] if k not in ("early", "scan", "busy")}
    report = {
        "scans": args.scans,
        "start": args.start,
        "burn": args.burn,
        "window": list(Window.size),
        "last_result": app.screen("result").kind,
        "load_average": os.getloadavg()[0],
        "answered_before_commit": sum(r["early"] for r in rows),
        **{
            f"{k}_ms": {"p50": round(pct(v, 50), 1), "p95": round(pct(v, 95), 1)}
            for k, v in col.items()
        },
        "max_answer_ms": round(max(col["answer"]), 1),
        # The floor's two parts, from the same run: a camera frame interval and one swap.
        "swap_ms": {
            "p50": round(pct([(e - b) * 1000 for b, e in swaps], 50), 1),
            "p95": round(pct([(e - b) * 1000 for b, e in swaps], 95), 1),
        },
    }
    target = TARGETS[(args.start, args.burn)]
    name = f"scan-to-screen from the {args.start} screen" + (
        ", other core busy" if args.burn else ""
    )
    parts = (
        f"p95 legs: camera {report['capture_ms']['p95']}, decode {report['decode_ms']['p95']},"
        f" decided {report['store_decide_ms']['p95']}, to UI thread {report['to_ui_thread_ms']['p95']},"
        f" own frame {report['draw_ms']['p95']} ms; any frame's swap p50 {report['swap_ms']['p50']} ms"
    )
    figures.report(
        "ui",
        name + ", p95",
        report["answer_ms"]["p95"],
        "ms",
        target=("<=", target) if target else None,
        reference=f"p50 {report['answer_ms']['p50']} ms; confirmed p95 {report['confirmed_ms']['p95']} ms;"
        f" {parts}; load {report['load_average']:.1f}",
    )
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"UI scan latency over {args.scans} scans from the {args.start} screen"
            f" ({Window.size[0]}x{Window.size[1]}{', the other core busy' if args.burn else ''}):"
            f" answer drawn p50 {report['answer_ms']['p50']} ms, p95 {report['answer_ms']['p95']} ms,"
            f" max {report['max_answer_ms']} ms"
            + (f" (target p95 <= {target} ms)" if target else "")
        )
        print(
            f"  confirmed (committed, drawn) p50 {report['confirmed_ms']['p50']} ms,"
            f" p95 {report['confirmed_ms']['p95']} ms; {report['answered_before_commit']} of"
            f" {args.scans} answers were drawn before their commit ended"
        )
        for key, label in (
            ("to_ui", "camera frame shown -> scan on the UI thread"),
            ("decide", "-> answer decided (store, before commit)"),
            ("commit_wait", "-> commit done"),
            ("draw", "answer -> drawn"),
            ("capture", "legs: frame shown -> read by the camera"),
            ("decode_wait", "  -> taken by the decode thread"),
            ("decode", "  -> decoded"),
            ("store_decide", "  -> answer decided on the store worker"),
            ("to_ui_thread", "  -> answer on the UI thread"),
            ("draw_ready", "  -> its frame begun (text, layout)"),
            ("draw", "  -> drawn"),
            ("previews_between", "preview frames uploaded meanwhile"),
        ):
            print(
                f"  {label:<46} p50 {report[key + '_ms']['p50']:6.1f} ms  p95 {report[key + '_ms']['p95']:6.1f} ms"
            )
        print(
            f"  one frame's buffer swap (any frame)             p50 {report['swap_ms']['p50']:6.1f} ms"
            f"  p95 {report['swap_ms']['p95']:6.1f} ms"
        )
        print(f"  (load average {report['load_average']:.2f})")
        if args.tail:
            _print_tail(rows, args.tail)
    return 0


def _print_tail(rows: list[dict], n: int) -> None:
    keys = ("capture", "decode_wait", "decode", "store_decide", "to_ui_thread", "draw")
    print(
        f"  the {n} slowest scans (ms): answer = " + " + ".join(keys) + " (of which until"
        " its frame began)"
    )
    for r in sorted(rows, key=lambda r: r["answer"], reverse=True)[:n]:
        legs = " ".join(f"{r[k]:5.1f}" for k in keys) + f" ({r['draw_ready']:.1f})"
        print(f"    scan {r['scan']:3d}: {r['answer']:6.1f} = {legs}; at the decision {r['busy']}")


def _in_flight(
    t: float, swaps: list[tuple[float, float]], previews: list[tuple[float, float]], t0: float
) -> str:
    """What the UI thread was drawing at ``t``: a frame's swap, whose frame (a preview
    picture uploaded just before it, or anything else), and how long it still had to go."""
    for start, end in swaps:
        if start <= t <= end:
            earlier = [s for s, e in previews if e <= start]
            before = max((b for b, _e in swaps if b < start), default=float("-inf"))
            kind = "a preview frame" if earlier and earlier[-1] > before else "another frame"
            return (
                f"{kind}'s swap begun {(start - t0) * 1000:.1f} ms after the card,"
                f" {(end - t) * 1000:.1f} ms to go"
            )
    return "no swap"


class _Legs:
    """Timestamps of one scan's way through the kiosk, leg by leg (perf_counter): the
    camera's read of the card's first frame, the decode thread taking it and reading it,
    the answer decided on the store worker, and what the UI thread drew meanwhile."""

    def __init__(self, app) -> None:
        self.app = app
        self.all_previews: list[tuple[float, float]] = []  # every preview upload of the run
        self.clear()
        source, reader = app.source, app.scanner._reader
        read, feed = source.read, reader.feed
        decided, preview = app._decided_from_thread, app._update_preview

        def timed_read():
            frame = read()
            if self.captured is None and source._shown is not None:
                self.captured = time.perf_counter()
                self.card_frame = frame
            return frame

        def timed_feed(frame):
            start = time.perf_counter()
            out = feed(frame)
            if out.ok and self.decoded is None:
                self.decode_start, self.decoded = start, time.perf_counter()
            return out

        def timed_decided(shown):
            if self.decided is None:
                self.decided = time.perf_counter()
            decided(shown)

        def timed_preview(dt):
            start, drawn = time.perf_counter(), app.preview_pacer.shown
            preview(dt)
            if app.preview_pacer.shown != drawn:
                self.previews.append((start, time.perf_counter()))
                self.all_previews.append(self.previews[-1])

        source.read, reader.feed = timed_read, timed_feed
        app._decided_from_thread = timed_decided
        # The clock event holds the bound method it was given: reschedule the timed one.
        for ev in app._events:
            if ev.get_callback() == preview:
                ev.cancel()
        app._events.append(_clock().schedule_interval(timed_preview, 0))

    def clear(self) -> None:
        self.captured = self.decode_start = self.decoded = self.decided = None
        self.card_frame = None
        self.previews: list[tuple[float, float]] = []

    def split(self, t0: float, t_first: float, answer: float) -> dict[str, float]:
        def ms(a, b):
            return max(0.0, (b - a) * 1000) if a is not None and b is not None else 0.0

        after = self.decided or self.decoded or t0
        return {
            "capture": ms(t0, self.captured),
            "decode_wait": ms(self.captured, self.decode_start),
            "decode": ms(self.decode_start, self.decoded),
            "store_decide": ms(self.decoded, self.decided),
            "to_ui_thread": ms(self.decided, t_first),
            # preview frames the UI thread uploaded between the decode and the answer's draw
            "previews_between": sum(1 for s, _e in self.previews if after - 0.1 <= s <= answer),
        }


def _clock():
    from kivy.clock import Clock

    return Clock


def _drawn_after(t: float, swaps: list[tuple[float, float]]) -> float:
    """When what the UI thread did at ``t`` was on screen: the end of the first swap
    begun after it."""
    return next(end for start, end in swaps if start >= t)


def _confirmed_drawn(shows: list[tuple[float, bool]], swaps: list[tuple[float, float]]) -> bool:
    committed = [t for t, c in shows if c]
    return bool(committed) and bool(swaps) and swaps[-1][0] >= committed[0]


def _burn() -> subprocess.Popen:
    """One process spinning on a core: the other engineer's build, the sync agent's catch-up."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


if __name__ == "__main__":
    sys.exit(main())
