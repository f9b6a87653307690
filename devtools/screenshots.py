"""Save every screen in each language as a PNG, for people to look at.

    xvfb-run -a -s '-screen 0 1280x800x24' python -m devtools.screenshots --out test-output/screenshots

``--size 1024x600`` (the common 7-inch touch display) or ``--size 1920x1080`` gives the window
that size instead of 1280x800 (the X screen must be at least as large).

Runs the real app on demo data with a fixed clock (10:30 on the demo day, so two
activities run at once), driving it with the same touches, camera frames and wedge
bursts as the GUI tests. Files are named ``<lang>/<nn>-<screen>.png``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 30)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(DAY.year, DAY.month, DAY.day, 10, 30, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.now


def build_demo(work: Path):
    from kiosk.store import Store, apply_changes
    from sync.ledger.ops import demo

    data = demo.write(work / "demo", DAY)
    base = work / "base"
    store = Store.in_dir(base, create=True)
    store.set_settings(kiosk_id="K-SHOT-01", site_id="service-center")
    apply_changes(
        store, data.snapshot["changes"], public_key=data.snapshot["public_key"], reset=True
    )
    store.close()
    return data


def fresh_kiosk(work: Path, name: str, clock: Clock):
    from kiosk.config import KioskConfig
    from kiosk.service import Kiosk
    from kiosk.store import Store

    d = work / name
    d.mkdir(parents=True, exist_ok=True)
    shutil.copy(work / "base" / "kiosk.db", d / "kiosk.db")
    return Kiosk(
        Store.in_dir(d), KioskConfig(mirror_preview=False, scan_debounce_seconds=0.5), clock=clock
    )


def tour(app, g, clock, roster: dict, private_key, shot) -> None:
    """Every screen, in the order a visitor and then staff meet them: ``shot(n, name)`` is
    called on each, with the app settled there (it may switch the language and back).
    The screenshots and the wording test (tests/gui/test_words.py) take the same tour."""
    from kiosk.core.codes import sign
    from kiosk.store import iso

    app.idle_timeout = 3600
    app.result_seconds = 3600
    work_lang = app.lang
    count = 0
    clock.now = datetime(DAY.year, DAY.month, DAY.day, 10, 30, tzinfo=TZ)
    g.settle()

    def snap(name: str) -> None:
        nonlocal count
        count += 1
        # A choice waits ten seconds for a tap, then takes the default: not while we look.
        app._choice_deadline = time.monotonic() + 3600
        g.settle()
        shot(count, name)
        app.lang = work_lang
        g.settle()

    def scan(text: str, expect: str) -> None:
        g.forget_scans()
        g.wedge(text)
        g.wait_until(lambda: app.sm.current == expect, what=expect)

    g.wait_screen("home")
    g.wait_until(lambda: app.preview_texture is not None, what="preview")
    snap("home")
    g.show_code(roster["V000101"]["code"])
    g.wait_until(lambda: app.sm.current == "choose", what="choose")
    g.take_away()
    snap("choose-activity")
    g.press("activity", app.screen("choose").choice.default_id)
    g.wait_screen("result")
    snap("signed-in")
    clock.now += timedelta(minutes=1)
    scan(roster["V000101"]["code"], "result")
    snap("already-signed-in")
    # Signed in at the canteen now; back after it ended, below: a forgotten session.
    scan(roster["V000102"]["code"], "choose")
    g.press("activity", app.screen("choose").choice.default_id)
    g.wait_screen("result")
    clock.now += timedelta(hours=2)
    scan(roster["V000101"]["code"], "result")
    snap("signed-out")
    # 我的记录, one tap from the result; 近期活动 from there, and a sign-up with the card
    # already shown; from the home screen the same asks for the card first.
    g.press("record")
    rec = g.wait_screen("record")
    g.wait_until(lambda: rec.record and rec.record["sessions"], what="the record")
    snap("my-record")
    g.press("upcoming")
    up = g.wait_screen("upcoming")
    g.wait_until(
        lambda: any(r["activity_id"] and r["button_action"] == "signup" for r in up.rows),
        what="activities to sign up for",
    )
    snap("upcoming")
    row = next(r for r in up.rows if r["activity_id"] and r["button_action"] == "signup")
    g.press("signup", row["activity_id"])
    g.wait_screen("result")
    snap("signed-up")
    g.press("ok")
    g.wait_screen("home")
    g.press("record")
    g.wait_screen("who")
    snap("show-your-card")
    g.press("back")
    g.wait_screen("home")
    clock.now = clock.now.replace(hour=14, minute=30)
    scan(roster["V000102"]["code"], "result")
    snap("forgotten-session")
    refusals = {
        "not-ours": "wxp://f2f0Q3V8mTzGkXy1-payment-code",
        "malformed": "VK1.V.V000101.1.short",
        "forged": roster["V000103"]["code"][:-4] + "AAAA",
        "replaced": sign(private_key, "V", "V000101", 0),
        "suspended": roster["V000108"]["code"],
        "unknown": sign(private_key, "V", "V999999", 1),
    }
    for name, text in refusals.items():
        scan(text, "result")
        snap(f"refused-{name}")
    g.press("ok")
    g.press("help")
    snap("how-to-get-a-card")
    g.press("back")
    g.press("rewards")
    snap("rewards-scan")
    scan(roster["V000102"]["code"], "catalog")
    snap("catalog")
    g.press("item")
    g.wait_screen("result")
    snap("redeem-refused-out-of-stock")
    g.press("ok")
    g.press("rewards")
    scan(roster["V000102"]["code"], "catalog")
    rice = next(
        w for w in g.walk() if getattr(w, "action", "") == "item" and w.item.item_id == "rice-5kg"
    )
    g.tap(rice)
    snap("confirm")
    g.press("confirm")
    g.wait_screen("result")
    snap("redeemed")
    g.press("ok")
    g.press("rewards")
    scan(roster["V000105"]["code"], "catalog")
    towel = next(
        w for w in g.walk() if getattr(w, "action", "") == "item" and w.item.item_id == "towel"
    )
    g.tap(towel)
    g.wait_screen("result")
    snap("redeem-refused-balance")
    app.kiosk.store.set_settings(
        ledger_url="http://127.0.0.1:9", last_contact_at=iso(clock.now - timedelta(hours=3))
    )
    g.press("ok")
    g.press("rewards")
    scan(roster["V000110"]["code"], "catalog")
    snap("catalog-offline")
    towel = next(
        w for w in g.walk() if getattr(w, "action", "") == "item" and w.item.item_id == "towel"
    )
    g.tap(towel)
    g.press("confirm")
    g.wait_screen("result")
    snap("redeemed-offline")
    app.kiosk.store.set_settings(ledger_url="")
    g.press("ok")
    scan(roster["S0001"]["code"], "pin")
    for d in "1234":
        g.press("pin_digit", d, settle=False)
    g.settle()
    snap("staff-pin")
    for d in "56":
        g.press("pin_digit", d, settle=False)
    g.press("pin_ok")
    g.wait_until(lambda: not app.screen("pin").checking)
    snap("staff-pin-wrong")
    g.press("pin_clear")
    for d in "246810":
        g.press("pin_digit", d, settle=False)
    g.press("pin_ok")
    g.wait_screen("staff")
    snap("staff-stock")
    g.press("restock", ("rice-5kg", 10))
    snap("staff-restocked")
    for tab in ("catalog", "sessions", "points", "assist", "redemptions", "sync", "settings"):
        g.press("tab", tab)
        snap(f"staff-{tab}")
        if tab == "catalog":
            g.press("edit_item", "rice-5kg")
            snap("staff-catalog-edit")
            g.press("cancel_edit")
        elif tab == "sessions":
            # V000102's canteen session, closed as forgotten at 13:00: she really left at 13:45.
            forgotten = next(
                r
                for r in app.kiosk.store.recent_sessions(DAY.isoformat())
                if r["status"] == "auto_closed"
            )
            g.press("correct_session", forgotten["session_id"])
            for _ in range(3):
                g.press("correct_step", 15)
            snap("staff-correct-session")
            g.press("correct_step", 60)
            g.press("correct_step", 60)
            snap("staff-correct-refused-future")
            g.press("correct_step", -60)
            g.press("correct_step", -60)
            g.press("confirm_correction")
            g.wait_until(lambda: app.screen("staff").page.message, what="corrected")
            snap("staff-corrected")
        elif tab == "points":
            for d in "000105":
                g.press("points_digit", d, settle=False)
            g.settle()
            snap("staff-points-number")
            g.press("points_go")
            g.wait_until(
                lambda: app.screen("staff").page.name == "points_adjust", what="volunteer found"
            )
            for step in (10, 10, 1):
                g.press("points_step", step)
            g.press("points_reason", "bonus")
            snap("staff-points-adjust")
            g.press("confirm_points")
            g.wait_until(lambda: app.screen("staff").page.message, what="adjusted")
            snap("staff-points-done")
            for step in (-10, -10, -10, -10):
                g.press("points_step", step)
            g.press("points_reason", "mistake")
            snap("staff-points-refused")  # more than she has: Confirm greyed, one line says why
    g.press("leave_staff")
    g.wait_screen("home")
    g.camera.unplug()
    g.wait_until(lambda: app.banner_text, timeout=10, what="camera banner")
    snap("camera-banner")
    g.camera.plug()
    g.wait_until(lambda: not app.banner_text, timeout=15, what="banner gone")
    # Five wrong PINs: the lock screen.
    scan(roster["S0002"]["code"], "pin")
    for _ in range(5):
        for d in "000000":
            g.press("pin_digit", d, settle=False)
        g.press("pin_ok")
        g.wait_until(lambda: not app.screen("pin").checking)
    snap("staff-locked")
    g.press("cancel")
    # Numbers typed on a pad; and closing the kiosk app asks first.
    scan(roster["S0001"]["code"], "pin")
    for d in "246810":
        g.press("pin_digit", d, settle=False)
    g.press("pin_ok")
    g.wait_screen("staff")
    g.press("tab", "catalog")
    g.press("edit_item", "towel")
    g.press("cost_type")
    for d in "200":
        g.press("numpad_digit", d, settle=False)
    snap("staff-number-pad")
    g.press("numpad_cancel")
    g.press("cancel_edit")
    g.press("tab", "settings")
    g.press("exit_kiosk")
    snap("staff-close-app")
    g.press("exit_kiosk_no")
    g.press("leave_staff")
    g.wait_screen("home")


def open_app(size: tuple[int, int]):
    """The app on demo data in a window of ``size``, started and ready for ``tour``:
    (app, driver, clock, demo data, work folder). Kivy sizes its window once per process,
    so this is called once, before anything else imports Kivy."""
    from kiosk.ui import env

    env.prepare(width=size[0], height=size[1])
    from devtools.driver import Driver, start_embedded
    from kiosk.scanner.sources import SimulatedCamera
    from kiosk.ui.app import KioskApp, load_demo_cards

    work = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    data = build_demo(work)
    clock = Clock()
    app = KioskApp(
        fresh_kiosk(work, "k0", clock),
        source=SimulatedCamera(),
        demo_cards=load_demo_cards(work / "demo" / "roster.json"),
        sounds=False,
        image_dirs=(work / "demo",),
        result_seconds=3600,
    )
    app.idle_timeout = 3600
    start_embedded(app)
    app.use_kiosk(fresh_kiosk(work, "k1", clock))
    return app, Driver(app), clock, data, work


def window_size(text: str) -> tuple[int, int]:
    """``1024x600`` -> (1024, 600)."""
    try:
        w, h = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not WIDTHxHEIGHT: {text!r}") from None
    if w < 320 or h < 240:
        raise argparse.ArgumentTypeError(f"too small a window: {text!r}")
    return w, h


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("test-output/screenshots"))
    parser.add_argument("--lang", action="append", help="only these languages (default: all three)")
    parser.add_argument(
        "--size",
        type=window_size,
        default=(1280, 800),
        metavar="WxH",
        help="window size in pixels (default: 1280x800)",
    )
    args = parser.parse_args(argv)

    app, g, clock, data, work = open_app(args.size)
    saved: list[Path] = []
    from kiosk.ui.i18n import LANGS

    langs = args.lang or list(LANGS)
    roster = {p["volunteer_id"]: p for p in data.roster}

    def shot(n: int, name: str) -> None:
        for lang in langs:
            app.lang = lang
            g.settle()
            g.step(3)
            saved.append(g.screenshot(args.out / lang / f"{n:02d}-{name}.png"))

    tour(app, g, clock, roster, data.keys.private_key, shot)
    app.stop()
    shutil.rmtree(work, ignore_errors=True)
    missing = sorted(app.translator.missing)
    for path in saved:
        print(path)
    if missing:
        print(f"untranslated keys: {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
