"""Kill -9 at random points: every confirmed action is in the store exactly once, seq
has no gap, the file is intact and replay equals the projections."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.store import Store

CHILD = Path(__file__).with_name("durability_child.py")
ROOT = Path(__file__).resolve().parents[2]
KILLS = 30  # kill points per run; VK_DURABILITY_SEED draws another set


def wait_ready(proc: subprocess.Popen, timeout: float) -> None:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline().strip() if ready else ""
    if line != "READY":
        proc.kill()
        raise AssertionError(f"child did not start: {line!r} {proc.stderr.read()[-2000:]}")


def test_sigkill_at_random_points_loses_nothing(tmp_path, store_factory, demo_dir):
    store_factory(tmp_path / "kiosk").close()
    rng = random.Random(int(os.environ.get("VK_DURABILITY_SEED", "20261130")))
    confirmed: list[str] = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Every step is bounded (the child's start, its output), so the loop needs no deadline:
    # a deadline failed the test on a loaded machine with nothing lost.
    for kills in range(1, KILLS + 1):
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(tmp_path / "kiosk"), str(demo_dir / "roster.json")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            wait_ready(proc, 30)
            # A random kill point is the point of this test, so here a delay is the event.
            time.sleep(rng.uniform(0.0, 0.08))
        finally:
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=10)
        lines = out.splitlines()  # each was written after its commit returned
        confirmed += [ln.split()[1] for ln in lines if ln.startswith("ACK ")]

        store = Store.in_dir(tmp_path / "kiosk")
        try:
            ids = [r[0] for r in store.conn.execute("SELECT id FROM events")]
            assert len(ids) == len(set(ids))
            missing = set(confirmed) - set(ids)
            assert not missing, f"confirmed but lost after kill {kills}: {sorted(missing)[:3]}"
            seqs = [r[0] for r in store.conn.execute("SELECT seq FROM events ORDER BY seq")]
            assert seqs == list(range(1, len(seqs) + 1))
            assert store.integrity_ok()
            assert store.replay_matches()
        finally:
            store.close()
    assert len(confirmed) > kills  # the child really did work between kills
