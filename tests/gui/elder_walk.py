"""Visit every kiosk screen in every language and check it against the elder-mode numbers
(devtools.elder). Used in this session's 1280x800 window and in a child process with the
7-inch 1024x600 one (tests/gui/test_elder_mode.py)."""

from __future__ import annotations

from devtools import elder
from kiosk.ui.i18n import LANGS


def problems_here(gui, label: str) -> list[str]:
    gui.settle()
    gui.step(3)
    found = elder.check(gui.app.root, label)
    for modal in gui.modals():  # a pop-up sits on the window, above the app's tree
        found += elder.check(modal, f"{label} (pop-up)")
    return found


def walk(gui, roster, keys) -> dict[str, list[str]]:
    """{"zh-Hans/home": [...problems], ...} for every screen the walk reaches."""
    from tests.gui.test_attendance import result

    app = gui.app
    found: dict[str, list[str]] = {}

    def visit(name: str) -> None:
        for lang in LANGS:
            app.lang = lang
            found[f"{lang}/{name}"] = problems_here(gui, f"{lang}/{name}")
        app.lang = "zh-Hans"

    app.result_seconds = app.idle_timeout = 600  # three languages take a while to look at
    app.demo_mode = False  # the demo cards' strip is for trying the product, not the kiosk
    app._build_demo_cards()
    gui.wait_screen("home")
    gui.wait_until(lambda: app.screen("home").ids.activities.children, what="today's activities")
    visit("home")
    gui.press("help")
    visit("help")
    gui.press("back")
    gui.press("rewards")
    visit("rewards_scan")
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("catalog")
    visit("catalog")
    item = next(w for w in gui.walk() if getattr(w, "action", "") == "item" and w.available)
    gui.tap(item)
    gui.wait_screen("confirm")
    visit("confirm")
    gui.press("confirm")
    result(gui, "redeemed")
    visit("result:redeemed")
    gui.press("ok")
    gui.forget_scans()
    gui.wedge(roster["V000103"]["code"])
    result(gui, "signed_in")
    visit("result:signed_in")
    gui.press("ok")
    gui.clock.advance(hours=2)
    gui.forget_scans()
    gui.wedge(roster["V000103"]["code"])
    result(gui, "signed_out")
    visit("result:signed_out")
    gui.press("record")
    scr = gui.wait_screen("record")
    gui.wait_until(lambda: scr.record and scr.record["sessions"], what="the record")
    visit("record")
    gui.press("upcoming")
    gui.wait_screen("upcoming")
    visit("upcoming")
    row = next(r for r in app.screen("upcoming").rows if r["button_action"] == "signup")
    gui.press("signup", row["activity_id"])
    result(gui, "signed_up")
    visit("result:signed_up")
    gui.press("ok")
    gui.press("upcoming")
    gui.wait_screen("upcoming")
    gui.press("signup", row["activity_id"])
    gui.wait_screen("who")
    visit("who")
    gui.press("back")
    from datetime import date

    from kiosk.core import certificate as cert

    fig = cert.CertificateFigures("VC-2026-000009-ABCDEF", "V000102", "欧阳喆", date(2026, 1, 1),
                                  date(2026, 11, 30), 750, 9, date(2026, 11, 30))  # fmt: skip
    gui.forget_scans()
    gui.show_code(cert.sign(keys.private_key, fig), module_px=4)  # held up to the camera
    result(gui, "certificate")
    gui.take_away()
    visit("result:certificate")
    gui.press("ok")
    gui.forget_scans()
    gui.wedge("https://weixin.qq.com/r/not-a-card")
    result(gui, "refused:not_ours")
    visit("result:refused")
    gui.press("ok")
    gui.clock.set(10, 30)
    gui.forget_scans()
    gui.wedge(roster["V000101"]["code"])
    gui.wait_screen("choose")
    import time

    app._choice_deadline = time.monotonic() + 600  # no default taken while we look
    visit("choose")
    gui.press("cancel")
    gui.wedge(roster["S0001"]["code"])
    gui.wait_screen("pin")
    for d in "24":
        gui.press("pin_digit", d, settle=False)
    visit("pin")
    for d in "6810":
        gui.press("pin_digit", d, settle=False)
    gui.press("pin_ok")
    gui.wait_screen("staff")
    for tab in staff_tabs(gui):
        gui.press("tab", tab)
        visit(f"staff:{tab}")
    staff_subpages(gui, visit)
    app.demo_mode = bool(app.demo_cards)
    app._build_demo_cards()
    return found


def staff_subpages(gui, visit) -> None:
    """The staff pages and pop-ups one tap further: a reward's editor and its number pad,
    a session's correction, a volunteer's points, and the question before closing the app."""
    staff = gui.app.screen("staff")
    gui.press("tab", "catalog")
    gui.press("edit_item", "towel")
    visit("staff:catalog_edit")
    gui.press("cost_type")
    visit("staff:number_pad")
    gui.press("numpad_cancel")
    gui.press("cancel_edit")
    gui.press("tab", "sessions")
    gui.wait_until(lambda: staff.page.rows, what="the day's sessions")
    gui.press("correct_session", staff.page.rows[0]["session_id"])
    visit("staff:correct")
    gui.press("cancel_correction")
    gui.press("tab", "points")
    for d in "000105":
        gui.press("points_digit", d, settle=False)
    gui.press("points_go")
    gui.wait_until(lambda: staff.page.name == "points_adjust", what="the volunteer's points")
    visit("staff:points_adjust")
    gui.press("tab", "settings")
    gui.press("exit_kiosk")
    visit("staff:close_app")
    gui.press("exit_kiosk_no")


def staff_tabs(gui) -> list[str]:
    return [w.value for w in gui.app.root.walk(restrict=True) if getattr(w, "action", "") == "tab"]
