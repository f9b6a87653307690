"""The kiosk on the common 7-inch 1024x600 touch display: every staff page can be reached
and pressed, and the home screen and a scan's answer fit the window, with no text cut off.

Kivy sizes its window once per process, and this session's window is 1280x800
(tests/gui/conftest.py), so the app runs once in a child process with a 1024x600 window
(``child`` below, under the same Xvfb display). The child drives it as the other GUI tests
do, writes what it found as JSON, and the tests assert on that.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.child_env import child_env

ROOT = Path(__file__).resolve().parents[2]
SIZE = (1024, 600)


@pytest.fixture(scope="module")
def small_screen(demo_dir, tmp_path_factory):
    out, _ = demo_dir
    work = tmp_path_factory.mktemp("small-screen")
    report = work / "report.json"
    env = child_env(ROOT)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests.gui.test_small_screen import child; child()",
            str(out),
            str(work),
            str(report),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0 and report.exists(), (proc.stdout + proc.stderr)[-4000:]
    return json.loads(report.read_text(encoding="utf-8"))


def test_the_child_ran_at_the_small_size_in_compact_mode(small_screen):
    assert small_screen["window"] == list(SIZE)
    assert small_screen["density"] == 1.0  # never scaled down: body text keeps its size
    assert small_screen["room"] == 0.0  # compact titles and spacing in full


def test_the_home_screen_fits_with_nothing_cut_off(small_screen):
    assert small_screen["home"] == []
    assert small_screen["home_demo"] == []  # with the demo cards' strip too
    assert small_screen["home_banner"] == []  # and with the camera warning shown


def test_a_scan_result_fits_with_nothing_cut_off(small_screen):
    assert small_screen["signed_in"] == []
    assert small_screen["signed_in_en"] == []
    assert small_screen["forgotten_en"] == []  # the longest: a notice about a forgotten sign-out


def test_every_staff_menu_button_can_be_reached_and_pressed(small_screen):
    assert small_screen["staff_tabs_pressed"] == [
        "stock",
        "catalog",
        "sessions",
        "points",
        "assist",
        "redemptions",
        "sync",
        "settings",
    ]
    assert small_screen["staff"] == []
    assert small_screen["left_staff_mode"] is True
    assert small_screen["close_button"] == []
    assert small_screen["close_asks"] is True and small_screen["close_dialog"] == []
    assert small_screen["left_kiosk"] is True


def test_a_1920x1080_screen_scales_the_design_up_and_a_short_one_never_scales_down():
    from kiosk.ui.theme import between, density_for, room_for

    assert density_for(1920, 1080) == 1.35 and room_for(1080 / 1.35) == 1.0  # 1422x800 dp: as drawn
    assert density_for(1280, 800) == 1.0 and room_for(800) == 1.0
    assert density_for(1024, 600) == 1.0 and room_for(600) == 0.0
    assert between(40, 52, room_for(700)) == 46


# -- the child process ------------------------------------------------------------------


def child() -> None:
    demo, work, report = (Path(p) for p in sys.argv[1:4])
    from kiosk.ui import env

    env.prepare(width=SIZE[0], height=SIZE[1])  # before anything imports Kivy
    from datetime import datetime

    from kivy.core.window import Window
    from kivy.metrics import Metrics

    from devtools.driver import Driver, start_embedded
    from kiosk.scanner.sources import SimulatedCamera
    from kiosk.ui.app import KioskApp, load_demo_cards
    from kiosk.ui.i18n import LANGS
    from kiosk.ui.staff import MENU as TABS
    from kiosk.ui.widgets import PreviewFrame
    from tests.gui.conftest import TZ, FakeClock, new_kiosk
    from tests.gui.fit import layout_problems, reachable, window_rect
    from tests.gui.fit import text_fits as fit_text
    from tests.gui.staff.common import login
    from tests.gui.test_appearance import check_screen
    from tests.gui.test_attendance import result

    roster = {
        p["volunteer_id"]: p for p in json.loads((demo / "roster.json").read_text(encoding="utf-8"))
    }
    clock = FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=TZ))
    kiosk = new_kiosk((demo, None), work, clock)
    app = KioskApp(
        kiosk,
        source=SimulatedCamera(),
        demo_cards=load_demo_cards(demo / "roster.json"),
        sounds=False,
        image_dirs=(demo,),
        result_seconds=600,
    )
    app.idle_timeout = 600
    start_embedded(app)
    gui = Driver(app)
    gui.kiosk, gui.store, gui.clock = kiosk, kiosk.store, clock
    found: dict = {"window": list(Window.size), "density": Metrics.density, "room": app.room}

    def in_view(w, skip_scrolled: bool = False) -> list[str]:
        return reachable(gui, w, scrolled_ok=skip_scrolled)

    def text_fits(label) -> list[str]:
        return fit_text(gui, label)

    def screen_problems(*, skip=(), skip_scrolled: bool = False) -> list[str]:
        gui.settle()
        gui.step(3)
        problems = check_screen(gui)  # text >= 24 sp, touch targets >= 48 dp
        return problems + layout_problems(gui, skip=skip, scrolled_ok=skip_scrolled)

    def demo(on: bool) -> None:
        app.demo_mode = on
        app._build_demo_cards()

    # Home: as installed (no demo cards), then with the demo cards, then with the camera banner.
    demo(False)
    gui.wait_screen("home")
    gui.wait_until(lambda: app.screen("home").ids.activities.children, what="today's activities")
    home = app.screen("home")
    found["home"] = screen_problems()
    gui.press("lang", "en")  # the longer words
    found["home"] += screen_problems()
    gui.press("lang", "zh-Hans")
    preview = next(w for w in gui.walk() if isinstance(w, PreviewFrame))
    if preview.height < 240:  # room to see the card held up to the camera
        found["home"].append(f"home: the camera picture is only {preview.height:.0f} px high")
    demo(True)  # the strip scrolls sideways, and the shorter list of activities scrolls
    found["home_demo"] = screen_problems(skip=(home.ids.activities,), skip_scrolled=True)
    # the cards in view are whole, and the strip's scroll bar runs below them
    strip = home.ids.demo_cards
    left, bottom, right, _top = window_rect(strip)
    cards = [w for w in strip.walk(restrict=True) if getattr(w, "action", "") == "demo_card"]
    for card in cards:
        x, y, r, _t = window_rect(card)
        if x < right - 1 and r > left + 1 and (x < left - 0.5 or r > right + 0.5):
            found["home_demo"].append(f"demo card {card.label} cut off: {x:.0f}..{r:.0f}")
        if y < bottom + strip.bar_width:
            found["home_demo"].append(f"demo card {card.label}: the scroll bar covers it")
    if not cards:
        found["home_demo"].append("no demo cards shown")
    demo(False)
    gui.camera.unplug()
    gui.wait_until(lambda: app.banner_text, timeout=10, what="camera banner")
    found["home_banner"] = screen_problems()
    gui.camera.plug()
    gui.wait_until(lambda: not app.banner_text, timeout=15, what="banner gone")

    # A scan's answer, in Chinese and in English; then the longest one, a forgotten sign-out.
    gui.wedge(roster["V000101"]["code"])
    result(gui, "signed_in")
    found["signed_in"] = screen_problems()
    gui.press("lang", "en")
    found["signed_in_en"] = screen_problems()
    gui.press("ok")
    gui.wait_screen("home")
    clock.set(10, 30)  # V000102 signs in to the canteen (10:00-13:00) and forgets to sign out
    gui.forget_scans()
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("choose")
    gui.press("activity", app.screen("choose").choice.default_id)
    gui.wait_screen("result")
    gui.press("ok")
    clock.set(14, 30)
    gui.forget_scans()
    gui.wedge(roster["V000102"]["code"])
    gui.wait_until(
        lambda: app.sm.current == "result" and app.screen("result").notice, what="forgotten notice"
    )
    found["forgotten_en"] = screen_problems()
    gui.press("ok")
    gui.press("lang", "zh-Hans")

    # Staff mode, with the disk warning banner taking room too: every page's button is
    # scrolled into view, lies in the window and opens its page; the two ways out stay in view.
    gui.forget_scans()
    login(gui, roster)
    app.disk_ok = False
    gui.settle()
    staff = app.screen("staff")
    problems, pressed = [], []
    for tab in TABS:
        button = gui.find("tab", tab, everywhere=True)
        staff.ids.nav_scroll.scroll_to(button, padding=0, animate=False)
        gui.settle()
        gui.step(2)
        button = gui.find("tab", tab, everywhere=True)
        problems += in_view(button) + text_fits(button)
        gui.tap(button)
        gui.wait_until(lambda tab=tab: staff.tab == tab, what=f"staff page {tab}")
        pressed.append(staff.tab)
        for lang in LANGS:  # every page's words fit, in every language
            app.lang = lang
            problems += screen_problems(skip_scrolled=True)
        app.lang = "zh-Hans"
    button = gui.find("leave_staff", everywhere=True)
    problems += in_view(button) + text_fits(button)
    problems += check_screen(gui)
    found["staff_tabs_pressed"] = pressed
    found["staff"] = problems
    gui.press("leave_staff")
    gui.wait_screen("home")
    found["left_staff_mode"] = app.sm.current == "home" and app.staff_id == ""
    app.disk_ok = True
    gui.forget_scans()
    # Closing the kiosk app: on the settings page, far from leaving staff mode; it asks first.
    login(gui, roster)
    gui.press("tab", "settings")
    exit_button = gui.find("exit_kiosk")
    found["close_button"] = in_view(exit_button)  # in view as the page opens: no scrolling
    gui.tap(exit_button)
    asked = [
        problem for b in ("exit_kiosk_no", "exit_kiosk_yes") for problem in in_view(gui.find(b))
    ]
    found["close_asks"] = bool(gui.modals()) and not getattr(app, "_may_close", False)
    found["close_dialog"] = asked + screen_problems(skip_scrolled=True)
    gui.tap(gui.find("exit_kiosk_yes"), settle=False)
    found["left_kiosk"] = bool(getattr(app, "_may_close", False))
    report.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
