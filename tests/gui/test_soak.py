"""Soak: 500 scripted scans through the running app; memory must not creep."""

from __future__ import annotations

import gc
import os

import pytest


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_500_scans_keep_memory_flat(gui, roster):
    gui.clock.set(6, 0)  # general duty only: every scan answers at once
    codes = [p["code"] for p in roster.values() if p["kind"] == "V" and p["status"] == "active"]
    codes += ["https://example.com/not-a-card", roster["V000108"]["code"]]  # refusals in the mix
    shown = gui.app.outcomes_shown
    baseline = None
    for i in range(500):
        if i and i % len(codes) == 0:
            gui.clock.advance(minutes=3)
        if i % 25 == 0:
            # Every 25th through the camera and the real decoder; the rest by wedge.
            gui.forget_scans()
            gui.show_code(codes[i % len(codes)])
        else:
            gui.wedge(codes[i % len(codes)])
        gui.wait_until(lambda n=shown: gui.app.outcomes_shown > n, what=f"scan {i}")
        shown = gui.app.outcomes_shown
        gui.take_away()
        if i == 49:
            gui.settle()
            gc.collect()
            baseline = rss_mb()
    gui.settle()
    gc.collect()
    growth = rss_mb() - baseline
    print(
        f"soak: 500 scans, RSS growth after warm-up {growth:.1f} MB, events {gui.store.event_count()}"
    )
    assert growth < 20, f"memory grew {growth:.1f} MB over 450 scans"
    assert gui.store.event_count() > 300
    assert gui.store.replay_matches()
