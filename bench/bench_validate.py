"""How long the ledger takes to check one pushed event against its schema, beside the
hand-written validator it replaced (``validate_before.py``), in the same run, on the same
events: bench_sync's realistic day (what kiosks send all day) and the same events each
broken in one field (what a rejection costs). Prints CPU µs per event, medians of several
rounds, and the ratio (schema / hand-written: below 1 is faster).

Run: .venv/bin/python bench/bench_validate.py [--events N] [--rounds R]
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import validate_before
from bench_sync import realistic_events

from sync.ledger.rules import validate

KIOSK = "K-SC-01"


def broken(events: list[dict], seed: int = 7) -> list[dict]:
    """Each event with one thing wrong: a payload field of the wrong type, missing, or a
    time without its offset."""
    rng = random.Random(seed)
    out = []
    for ev in events:
        ev = copy.deepcopy(ev)
        p = ev["payload"]
        choice = rng.randrange(3)
        if choice == 0 and p:
            p[rng.choice(sorted(p))] = [1]
        elif choice == 1 and p:
            del p[rng.choice(sorted(p))]
        else:
            ev["occurred_at"] = ev["occurred_at"][:19]
        out.append(ev)
    return out


def per_event_us(checks: list, events: list[dict], rounds: int) -> list[float]:
    """CPU µs per event of each check, median of ``rounds``; the checks take turns in each
    round, so a busy machine slows both alike."""
    times: list[list[float]] = [[] for _ in checks]
    for _ in range(rounds):
        for i, check in enumerate(checks):
            t0 = time.process_time()
            for ev in events:
                check(ev, KIOSK)
            times[i].append((time.process_time() - t0) / len(events) * 1e6)
    return [statistics.median(t) for t in times]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    good = realistic_events(KIOSK, "service-center", args.events, 0)
    bad = broken(good)
    for name, events in (("realistic day", good), ("each event broken once", bad)):
        # Both must decide alike before their speed means anything.
        before = [validate_before.check(ev, KIOSK) is None for ev in events]
        after = [validate.check(ev, KIOSK) is None for ev in events]
        agree = sum(a == b for a, b in zip(before, after, strict=True)) / len(events)
        old, new = per_event_us([validate_before.check, validate.check], events, args.rounds)
        print(
            f"validate, {name} ({len(events):,} events, {sum(after):,} valid):"
            f" schema {new:6.2f} µs/event, hand-written {old:6.2f} µs/event,"
            f" ratio {new / old:4.2f}; same verdict on {agree:.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
