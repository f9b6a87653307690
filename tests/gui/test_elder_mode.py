"""Elder mode held to numbers on every screen, in the three languages and on both display
sizes (devtools.elder: text >= 24 sp, the main action >= 30 sp, targets >= 60x60 dp, line
spacing >= 1.3, nothing outside its box, no sideways scrolling, no Chinese line starting
with a closing mark). The 1024x600 window runs in a child process, as Kivy sizes its
window once per process (see test_small_screen)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# home, help, rewards, catalog, confirm, 6 results, choose, record, upcoming, who, PIN, 8 staff
# pages, and one tap further: a reward's editor, its number pad, a correction, a volunteer's
# points, the question before closing the app
SCREENS = 29


def assert_met(found: dict[str, list[str]]) -> None:
    assert len(found) >= SCREENS * 3, sorted(found)
    problems = [p for ps in found.values() for p in ps]
    assert problems == [], "\n".join(problems[:40])


@pytest.mark.timeout(900)
def test_every_screen_at_1280x800(gui, roster, keys):
    from tests.gui.elder_walk import walk

    assert_met(walk(gui, roster, keys))


@pytest.fixture(scope="module")
def small(demo_dir, tmp_path_factory):
    """The walk in a child process with the 7-inch window: a fresh Kivy, the demo, then 29
    screens in three languages; on a loaded machine that is minutes, hence the timeouts."""
    out, data = demo_dir
    work = tmp_path_factory.mktemp("elder-small")
    report = work / "report.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1",
           "SDL_AUDIODRIVER": "dummy"}  # fmt: skip
    env.pop("KIVY_METRICS_DENSITY", None)
    (work / "key").write_text(data.keys.private_key, encoding="ascii")
    proc = subprocess.run(
        [sys.executable, "-c", "from tests.gui.test_elder_mode import child; child()",
         str(out), str(work), str(report)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=840,
    )  # fmt: skip
    assert proc.returncode == 0 and report.exists(), (proc.stdout + proc.stderr)[-4000:]
    return json.loads(report.read_text(encoding="utf-8"))


@pytest.mark.timeout(900)
def test_every_screen_at_1024x600(small):
    assert small["window"] == [1024, 600]
    assert_met(small["found"])


def child() -> None:
    demo, work, report = (Path(p) for p in sys.argv[1:4])
    from kiosk.ui import env

    env.prepare(width=1024, height=600)  # before anything imports Kivy
    from datetime import datetime

    from kivy.core.window import Window

    from devtools.driver import Driver, start_embedded
    from kiosk.core.codes import KeyPair, public_key_of
    from kiosk.scanner.sources import SimulatedCamera
    from kiosk.ui.app import KioskApp, load_demo_cards
    from tests.gui.conftest import TZ, FakeClock, new_kiosk
    from tests.gui.elder_walk import walk

    roster = {
        p["volunteer_id"]: p for p in json.loads((demo / "roster.json").read_text(encoding="utf-8"))
    }
    private = (work / "key").read_text(encoding="ascii").strip()
    keys = KeyPair(private, public_key_of(private))
    clock = FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=TZ))
    kiosk = new_kiosk((demo, None), work, clock)
    app = KioskApp(kiosk, source=SimulatedCamera(), demo_cards=load_demo_cards(demo / "roster.json"),
                   sounds=False, image_dirs=(demo,), result_seconds=600)  # fmt: skip
    app.idle_timeout = 600
    start_embedded(app)
    gui = Driver(app)
    gui.kiosk, gui.store, gui.clock = kiosk, kiosk.store, clock
    found = walk(gui, roster, keys)
    report.write_text(
        json.dumps({"window": list(Window.size), "found": found}, ensure_ascii=False), "utf-8"
    )
    app.stop()
