"""Every screen of the screenshot tour (devtools.screenshots.tour), in every language, at
the kiosk's 1280x800 and on the 7-inch 1024x600 display, as people read them (#18 items 2
and 8): no screen shows a code meant for programs (tests/gui/test_words.py), no label
breaks inside a word or before a comma, no button's words wrap, no text is cut off, and
every label and button is in the window or can be scrolled into it.

Kivy sizes its window once per process, so each size runs the tour in a child process of
its own (``child`` below) under the same Xvfb display and writes what it found as JSON.
The two run side by side: the GUI suite is serial, and each child keeps one core busy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.child_env import child_env

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1280, 800), (1024, 600)]
# What a screen's work needs is in view as it opens, at both sizes, in every language: the
# rest of a page may be one scroll away, these may not.
IN_VIEW = {
    "staff-points-adjust": ("points_reason", "points_step", "points_type", "confirm_points"),
    "staff-points-refused": ("points_reason", "points_preview", "confirm_points"),
    "staff-settings": ("exit_kiosk", "leave_staff", "save_settings"),
}


@pytest.fixture(scope="module")
def tours(tmp_path_factory) -> dict[tuple[int, int], dict]:
    work = tmp_path_factory.mktemp("fit")
    env = child_env(ROOT)
    children = {}
    for w, h in SIZES:
        report = work / f"{w}x{h}.json"
        proc = subprocess.Popen(
            [sys.executable, "-c", "from tests.gui.test_fit import child; child()", f"{w}x{h}"]
            + [str(report)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        children[(w, h)] = (proc, report)
    found = {}
    try:
        for size, (proc, report) in children.items():
            output, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0 and report.exists(), f"{size}: {output[-4000:]}"
            found[size] = json.loads(report.read_text(encoding="utf-8"))
    finally:
        for proc, _report in children.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return found


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_screen_in_every_language_shows_no_code_and_fits(tours, size):
    found = tours[size]
    assert found["window"] == list(size)
    assert found["density"] == 1.0  # never scaled down: body text keeps its size
    assert len(found["screens"]) == 48 and found["langs"] == ["zh-Hans", "zh-Hant", "en"]
    assert {"staff-sync", "staff-close-app", "my-record", "upcoming", "signed-up"} <= set(
        found["screens"]
    )
    assert found["problems"] == {}
    assert found["untranslated"] == []


# -- the child process ------------------------------------------------------------------


def child() -> None:
    w, h = (int(v) for v in sys.argv[1].split("x"))
    report = Path(sys.argv[2])
    from devtools.screenshots import open_app, tour

    app, gui, clock, data, _work = open_app((w, h))
    # Layout and text textures are made on the clock's frames, not by drawing, and llvmpipe
    # draws a frame on the CPU in 60-130 ms: the tour runs with nothing drawn.
    steps = gui.step
    gui.step = lambda frames=1, draw=True: steps(frames, draw=False)  # type: ignore[method-assign]
    gui.DRAW_EVERY_S = float("inf")
    from kivy.core.window import Window
    from kivy.metrics import Metrics

    from kiosk.ui.i18n import LANGS
    from tests.gui.fit import layout_problems, reachable
    from tests.gui.test_words import codes_in

    problems: dict[str, list[str]] = {}
    names: list[str] = []

    def shot(n: int, name: str) -> None:
        names.append(name)
        for lang in LANGS:
            app.lang = lang
            # laid out, not drawn: sizes and textures are ready before a frame is drawn
            gui.wait_until(lambda: app.worker.outstanding == 0, what="worker idle")
            gui.step(2, draw=False)
            found = [f"shows {c!r}" for c in codes_in(gui.texts(scrolled=True))]
            found += layout_problems(gui)
            needed = [
                w for w in gui.visible_walk() if getattr(w, "action", "") in IN_VIEW.get(name, ())
            ]
            if {w.action for w in needed} != set(IN_VIEW.get(name, ())):
                found.append(f"not all of {IN_VIEW[name]} on the screen")
            for w in needed:
                found += reachable(gui, w, scrolled_ok=False)
            if found:
                problems[f"{n:02d}-{name} {lang}"] = found

    roster = {p["volunteer_id"]: p for p in data.roster}
    tour(app, gui, clock, roster, data.keys.private_key, shot)
    found = {
        "window": list(Window.size),
        "density": Metrics.density,
        "screens": names,
        "langs": list(LANGS),
        "problems": problems,
        "untranslated": sorted(app.translator.missing),
    }
    report.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
