"""Decode benchmark: the kiosk's pipeline against pyzbar and zxing-cpp alone.

    .venv/bin/python bench/bench_decode.py           # full run, about a minute and a half
    .venv/bin/python bench/bench_decode.py --quick   # a few frames per category

Frames come from devtools.synth (seeded, generated here, never downloaded): cards
and phone screens with codes signed by a fresh key, at 640x480 and 1280x720. For each
category it prints the success rate and the median and p95 CPU time of the decoding
thread per frame (on a shared machine a frame's wall time is mostly other processes'
turns; the p95 target is held to CPU time, the wall p95 printed beside it), and the
pipeline's per-frame budget is counted in that CPU time too, so that reads and times are
what a quiet machine gives whatever else runs. On
"empty" frames success means nothing was reported. A "wrong" is any reported text that
is not the code in the frame; the target is zero.

Beside them, "every frame": the same pipeline with its whole-frame fallbacks run on
every frame zxing-cpp does not read, as before they waited for evidence that the frame
could hold a code. The gated pipeline must read every category as often as it does,
and cost an empty 640x480 frame at most 2 ms (median).

The categories after "empty" are the hard single frames (issue 14, item 5: defocus
past half a module, long motion blur, a thumb over 15 % of an M-level code); they are
shown in the table but left out of "ALL codes" and the p95 target, which stay about
the everyday frames. A budget-free pass then compares the pipeline with and without
its hard-case stages. Kept, because they read more: erasure decoding of the module
grid (kiosk.scanner.erasure) and deconvolution of the near-miss region
(kiosk.scanner.deblur). Tried and not kept: rectifying the near-miss quad before
decoding (steep tilts: nothing more read), super-sampling the region to 600-900 px with
Lanczos (one dim frame in 50), and deconvolving the whole frame for defocus with no
near-miss (2 of 15 at a fixed kernel, none with the estimated one).

The last table is the multi-frame experiment: the same card over consecutive frames
(independent noise, shake and blur), read by the kiosk's scanner loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bench import figures
from devtools import synth
from kiosk.scanner import decoders
from kiosk.scanner.pipeline import DecodePipeline, to_gray

Reader = Callable[[np.ndarray], list[str]]


def _pipeline_reader(gated: bool = True) -> Reader:
    # The per-frame budget on this thread's CPU time, as a quiet machine would spend it: on
    # wall time, other processes' turns used up the budget and the hard-case stages were
    # skipped at random (at load 10: thumb 1 of 30 read instead of 8, blur 13 instead of
    # 23), which also flattered the p95. The kiosk itself budgets wall time.
    pipe = DecodePipeline(gated=gated, clock=time.thread_time)
    return lambda frame: [c.text for c in pipe.decode(frame).codes]


def _zxing_alone(frame: np.ndarray) -> list[str]:
    return [c.text for c in decoders.zxing(to_gray(frame))]


def _pyzbar_alone(frame: np.ndarray) -> list[str]:
    return [c.text for c in decoders.zbar(to_gray(frame))]


READERS: dict[str, Callable[[], Reader]] = {
    "pipeline": _pipeline_reader,
    "every frame": lambda: _pipeline_reader(gated=False),
    "zxing-cpp": lambda: _zxing_alone,
    "pyzbar": lambda: _pyzbar_alone,
}


@dataclass
class Tally:
    ok: int = 0
    n: int = 0
    wrong: int = 0
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # the decoding thread's own CPU time

    @property
    def rate(self) -> float:
        return self.ok / self.n if self.n else 0.0


def _p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95)) if xs else 0.0


def run_size(size: tuple[int, int], per_category: int, seed: int) -> dict[str, dict[str, Tally]]:
    readers = {name: make() for name, make in READERS.items()}
    tallies = {name: {c: Tally() for c in synth.CATEGORIES} for name in readers}
    for frame in synth.frames(synth.CATEGORIES, per_category, size, seed):
        # The pipeline gets the grey conversion inside its own timing; so do the others.
        for name, read in readers.items():
            t0, c0 = time.perf_counter(), time.thread_time()
            texts = read(frame.image)
            ms = (time.perf_counter() - t0) * 1000
            t = tallies[name][frame.category]
            t.n += 1
            t.ms.append(ms)
            t.cpu_ms.append((time.thread_time() - c0) * 1000)
            wrong = [x for x in texts if x not in frame.texts]
            t.wrong += len(wrong)
            if frame.texts:
                t.ok += frame.texts[0] in texts
            else:
                t.ok += not texts
    return tallies


def print_table(size: tuple[int, int], tallies: dict[str, dict[str, Tally]]) -> list[str]:
    names = list(tallies)
    print(
        f"\n{size[0]}x{size[1]}  (success %, median/p95 ms of CPU per frame; empty: % with no"
        f" read; load {os.getloadavg()[0]:.1f})"
    )
    head = f"{'category':<12}" + "".join(f"{n:>22}" for n in names)
    print(head)
    print("-" * len(head))
    for c in synth.CATEGORIES:
        cells = []
        for n in names:
            t = tallies[n][c]
            cells.append(
                f"{100 * t.rate:4.0f}% {statistics.median(t.cpu_ms):5.1f}/{_p95(t.cpu_ms):5.1f}"
                + (f" W{t.wrong}" if t.wrong else "   ")
            )
        print(f"{c:<12}" + "".join(f"{x:>22}" for x in cells))
    problems = []
    totals = {}
    for n in names:
        coded = [tallies[n][c] for c in synth.EVERYDAY if c != "empty"]
        ok = sum(t.ok for t in coded)
        total = sum(t.n for t in coded)
        all_ms = [m for c in synth.EVERYDAY for m in tallies[n][c].cpu_ms]
        wall_ms = [m for c in synth.EVERYDAY for m in tallies[n][c].ms]
        totals[n] = ok
        print(
            f"{'ALL codes':<12}" + f"{n:>14}: {ok}/{total} = {100 * ok / total:5.1f}%  "
            f"CPU median {statistics.median(all_ms):.1f} ms  p95 {_p95(all_ms):.1f} ms  "
            f"(wall p95 {_p95(wall_ms):.1f} ms)  "
            f"wrong {sum(tallies[n][c].wrong for c in synth.CATEGORIES)}"
        )
    pipe = tallies["pipeline"]
    label = f"{size[0]}x{size[1]}"
    for c in synth.CATEGORIES:
        best = max(tallies["zxing-cpp"][c].ok, tallies["pyzbar"][c].ok)
        if pipe[c].ok < best:
            problems.append(f"{size}: {c}: pipeline {pipe[c].ok} < best single {best}")
    if totals["pipeline"] <= max(totals["zxing-cpp"], totals["pyzbar"]):
        problems.append(f"{size}: pipeline not better overall")
    wrong = sum(pipe[c].wrong for c in synth.CATEGORIES)
    figures.report("decode", f"{label}: wrong payloads", wrong, "", target=("<=", 0))
    if wrong:
        problems.append(f"{size}: pipeline reported {wrong} wrong payloads")
    # The p95 target is held to the decoding thread's CPU time: on a shared machine the
    # wall time of a slow frame is mostly time another process had the core (at load 14,
    # a 1 ms zxing-cpp read showed a 19 ms p95). Both are reported, with the load.
    budget = 16.0 if size[1] <= 480 else 33.0
    everyday = [m for c in synth.EVERYDAY for m in pipe[c].cpu_ms]
    p95 = _p95(everyday)
    wall = _p95([m for c in synth.EVERYDAY for m in pipe[c].ms])
    zx = tallies["zxing-cpp"]
    figures.report(
        "decode",
        f"{label}: every frame, p95 CPU",
        p95,
        "ms",
        target=("<=", budget),
        reference=f"zxing-cpp alone {_p95([m for c in synth.EVERYDAY for m in zx[c].cpu_ms]):.1f} ms;"
        f" wall p95 {wall:.1f} ms (zxing-cpp {_p95([m for c in synth.EVERYDAY for m in zx[c].ms]):.1f})"
        f" at load {os.getloadavg()[0]:.1f}; the everyday categories (the hard ones apart)",
    )
    if p95 > budget:
        problems.append(f"{size}: pipeline p95 {p95:.1f} ms CPU > {budget} ms")
    empty = statistics.median(pipe["empty"].ms)
    ref = statistics.median(tallies["zxing-cpp"]["empty"].ms)
    before = statistics.median(tallies["every frame"]["empty"].ms)
    figures.report(
        "decode",
        f"{label}: empty frame, median",
        empty,
        "ms",
        target=("<=", 2.0) if size == (640, 480) else None,
        reference=f"zxing-cpp alone {ref:.2f} ms ({empty / ref:.1f}x); fallbacks on every"
        f" frame {before:.2f} ms",
    )
    if size == (640, 480) and empty > 2.0:
        problems.append(f"{size}: empty frame median {empty:.2f} ms > 2 ms")
    return problems


def compare_stages(size: tuple[int, int], per_category: int, seed: int) -> None:
    """Reads per category, without a time budget (on a loaded machine the budget skips
    stages at random, and these figures are about the stages alone): the gated pipeline
    against the fallbacks on every frame, and against itself without the hard-case
    stages (erasures, deconvolution)."""
    from kiosk.scanner import pipeline as pl

    plain = tuple(s for s in pl.DEFAULT_STAGES if s not in (pl.stage_erasures, pl.stage_deblur))
    pipes = (
        DecodePipeline(budget_ms=1e9),
        DecodePipeline(budget_ms=1e9, gated=False),
        DecodePipeline(budget_ms=1e9, stages=plain),
    )
    ok = {c: [0, 0, 0] for c in synth.CATEGORIES}
    for frame in synth.frames(synth.CATEGORIES, per_category, size, seed):
        for i, pipe in enumerate(pipes):
            texts = [c.text for c in pipe.decode(frame.image).codes]
            ok[frame.category][i] += (frame.texts[0] in texts) if frame.texts else not texts
    label = f"{size[0]}x{size[1]}"
    fewer = [f"{c} {g}<{e}" for c, (g, e, _) in ok.items() if g < e]
    figures.report(
        "decode",
        f"{label}: categories read less often than with the fallbacks on every frame",
        len(fewer),
        "",
        target=("<=", 0),
        reference=", ".join(fewer)
        or f"all {len(ok)} alike; {sum(g for g, _, _ in ok.values())} vs"
        f" {sum(e for _, e, _ in ok.values())} frames right, no time budget",
    )
    print(
        f"\n{label}, no time budget: gated vs every frame: "
        + (", ".join(fewer) or "the same reads in every category")
    )
    print(f"{label}, no time budget: with the hard-case stages (erasures, deblur) / without")
    for c in ("blur", "occlusion", *synth.HARD):
        g, _, p = ok[c]
        print(f"  {c:<12} {g:3}/{per_category}  {p:3}/{per_category}")
        figures.report(
            "decode",
            f"{label}: {c}, frames read",
            100.0 * g / per_category,
            "%",
            reference=f"without erasures and deblur {100.0 * p / per_category:.0f} %; no time budget",
        )


def run_bursts(size: tuple[int, int], bursts: int, frames_per_burst: int, seed: int) -> None:
    """Consecutive-frame evidence: a card counts as read if any frame of the burst reads.

    A burst is the same shot with new sensor noise, a pixel of hand shake and a new
    direction of motion blur in each frame (synth.render's ``variant``). Columns: the
    pipeline on the first frame, on any frame alone, and the scanner's multi-frame reader
    (kiosk.scanner.evidence: region tracking and stacking) over the burst.
    """
    from kiosk.scanner.evidence import BurstReader

    hard = ("blur", "motion_blur", "occlusion", "glare", "dim", "noise")
    print(
        f"\nconsecutive frames at {size[0]}x{size[1]}: {frames_per_burst} frames per burst "
        f"(~{frames_per_burst * 33} ms at 30 fps)"
    )
    print(f"{'category':<12}{'1st frame':>12}{'any frame':>12}{'scanner':>12}")
    pipe = DecodePipeline()
    for c in hard:
        first = anyf = scanner = 0
        for b in range(bursts):
            text = synth.demo_codes(1, seed=b)[0]
            shots = [
                synth.render(c, seed * 1000 + b, size, text=text, variant=k).image
                for k in range(frames_per_burst)
            ]
            hits = [text in [d.text for d in pipe.decode(img).codes] for img in shots]
            first += hits[0]
            anyf += any(hits)
            reader = BurstReader(pipe)
            scanner += any(text in [d.text for d in reader.feed(img).codes] for img in shots)
        print(
            f"{c:<12}{100 * first / bursts:11.0f}%{100 * anyf / bursts:11.0f}%{100 * scanner / bursts:11.0f}%"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="a few frames per category")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)  # the kiosk decodes on one thread; measure that
    per = {(640, 480): 8 if args.quick else 40, (1280, 720): 4 if args.quick else 16}
    started = time.perf_counter()
    problems: list[str] = []
    for size in synth.SIZES:
        problems += print_table(size, run_size(size, per[size], args.seed))
        compare_stages(size, per[size], args.seed)
    run_bursts((640, 480), 4 if args.quick else 12, 5, args.seed)
    print(f"\ntotal bench time {time.perf_counter() - started:.0f} s")
    for p in problems:
        print("TARGET MISSED:", p)
    if not problems:
        print("all targets met")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
