"""The staff shell: the menu of pages and the ways out, beside the open page."""

from __future__ import annotations

from tests.gui.staff.common import login


def test_the_staff_menu_fits_beside_the_banner(gui, roster):
    """Nine buttons on the left, the pages and leaving staff mode, with the disk warning
    banner shown: at 1280x800 all are in view without scrolling (a shorter display scrolls
    the pages: test_small_screen.py). Closing the kiosk app is not among them."""
    login(gui, roster)
    gui.app.disk_ok = False
    gui.settle()
    try:
        ids = gui.app.screen("staff").ids
        buttons = list(ids.nav.children) + list(ids.nav_exits.children)
        assert len(buttons) == 9
        assert not [b for b in gui.walk() if getattr(b, "action", "") == "exit_kiosk"]
        assert gui.app.root.size == [1280, 800]  # the kiosk's screen (tests/gui/conftest.py)

        def span(w):  # bottom and top in window coordinates (the scroll view moves its content)
            return w.to_window(w.x, w.y)[1], w.to_window(w.x, w.top)[1]

        low, high = span(ids.nav_scroll)
        assert all(
            low - 0.5 <= span(b)[0] and span(b)[1] <= high + 0.5 for b in ids.nav.children
        ), f"a staff page button is cut off: {[span(b) for b in ids.nav.children]} in {low}..{high}"
        assert all(span(b)[0] >= -0.5 for b in ids.nav_exits.children)
        assert gui.app.banner_text
    finally:
        gui.app.disk_ok = True
