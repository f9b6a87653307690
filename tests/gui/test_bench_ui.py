"""bench/bench_ui.py fails loudly: a scan left unanswered ends the run with its message
on stderr and a non-zero status. Kivy's logger takes stderr over, and with the console
log off (as the benchmarks run) the message and any traceback went nowhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.gui.child_env import child_env

ROOT = Path(__file__).resolve().parents[2]

# The camera is shown a card without a code: no scan is ever answered.
CHILD = """
import sys

import numpy as np

import devtools.driver as driver

driver.code_frame = lambda *_a, **_k: np.full((480, 640, 3), 128, np.uint8)
from bench import bench_ui

sys.exit(bench_ui.main(["--scans", "1", "--timeout", "1"]))
"""


def test_an_unanswered_scan_fails_the_run_with_its_message():
    proc = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=child_env(ROOT),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "scan 0 not answered in 1 s (screen home)" in proc.stderr
