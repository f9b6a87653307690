"""Assisted sign-in: staff sign a volunteer in by number; the event says who helped."""

from __future__ import annotations

from tests.gui.staff.common import login, wait_message
from tests.gui.test_attendance import events


def test_assisted_sign_in_by_number_is_recorded_as_such(gui, roster):
    login(gui, roster)
    gui.press("tab", "assist")
    for digit in "000103":
        gui.press("assist_digit", digit, settle=False)
    gui.settle()
    assert "V000103" in gui.texts()
    gui.press("assist_go")
    wait_message(gui, "已签到")
    assert "V______" in gui.texts()  # ready for the next person
    [ev] = events(gui.store, "attendance.sign_in")
    assert ev.actor == "V000103" and ev.payload["assisted_by"] == "S0001"
