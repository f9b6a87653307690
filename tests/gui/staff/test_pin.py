"""Staff mode opens with a staff card and its PIN; five wrong PINs lock that card for five
minutes, across a restart; leaving staff mode forgets everything the pages held."""

from __future__ import annotations

from kiosk.service import Kiosk
from kiosk.store import Store
from tests.gui.staff.common import enter_pin, login, page
from tests.gui.test_attendance import events


def test_five_wrong_pins_lock_staff_mode_for_five_minutes(gui, roster):
    gui.wedge(roster["S0001"]["code"])
    pin = gui.wait_screen("pin")
    for left in (4, 3, 2, 1):
        enter_pin(gui, "111111")
        assert pin.message == f"密码不对，还可以试 {left} 次"
    enter_pin(gui, "111111")
    assert "锁定" in pin.message and "09:05" in pin.message
    assert gui.app.sound.played[-1] == "refusal"
    enter_pin(gui, "246810")  # the right PIN does not open a locked account
    assert gui.app.sm.current == "pin" and "锁定" in pin.message
    gui.press("cancel")
    gui.wedge(roster["S0001"]["code"])  # nor does showing the card again
    gui.wait_screen("pin")
    assert "锁定" in pin.message
    gui.press("cancel")
    gui.wedge(roster["S0002"]["code"])  # a colleague is not locked out by S0001's mistakes
    gui.wait_screen("pin")
    assert pin.message == ""
    enter_pin(gui, "135790")
    gui.wait_screen("staff")
    gui.press("leave_staff")
    gui.wait_screen("home")
    gui.clock.advance(minutes=5, seconds=1)
    login(gui, roster)
    opened = events(gui.store, "staff.session_open")
    assert [e.actor for e in opened] == ["S0002", "S0001"]
    [closed] = events(gui.store, "staff.session_close")
    assert closed.payload == {"session_id": opened[0].payload["session_id"], "reason": "leave"}


def test_a_restart_keeps_the_lock(gui, roster):
    gui.wedge(roster["S0001"]["code"])
    pin = gui.wait_screen("pin")
    for _ in range(5):
        enter_pin(gui, "111111")
    assert "锁定" in pin.message
    gui.press("cancel")
    gui.wait_screen("home")
    # A new Kiosk and gate on the same file, as after a power cut.
    again = Kiosk(Store(gui.store.path), gui.kiosk.config, clock=gui.clock)
    gui.app.use_kiosk(again)
    gui.kiosk, gui.store = again, again.store
    gui.settle()
    gui.wedge(roster["S0001"]["code"])
    gui.wait_screen("pin")
    assert "锁定" in pin.message and "09:05" in pin.message


def test_a_card_shown_during_staff_mode_is_not_a_sign_in(gui, roster):
    login(gui, roster)
    gui.wedge(roster["V000101"]["code"])
    gui.settle()
    assert gui.app.sm.current == "staff"
    assert [e.type for e in events(gui.store)] == ["staff.session_open"]  # and no sign-in


def test_leaving_staff_mode_forgets_who_was_logged_in_and_what_was_open(gui, roster):
    login(gui, roster)
    gui.press("tab", "points")
    for digit in "000105":
        gui.press("points_digit", digit, settle=False)
    gui.press("points_go")
    gui.wait_until(lambda: page(gui).name == "points_adjust", what="volunteer found")
    gui.press("leave_staff")
    gui.wait_screen("home")
    assert gui.app.staff_id == "" and page(gui) is None
    login(gui, roster)
    assert page(gui).name == "stock" and gui.app.screen("staff").tab == "stock"
    gui.press("tab", "points")
    assert "V______" in gui.texts()  # the number typed before is gone


def test_ok_and_clear_are_greyed_until_a_digit_is_typed(gui, roster):
    gui.wedge(roster["S0001"]["code"])
    gui.wait_screen("pin")
    assert gui.find("pin_ok").disabled and gui.find("pin_clear").disabled
    gui.press("pin_digit", "2")
    assert not gui.find("pin_ok").disabled and not gui.find("pin_clear").disabled
    gui.press("pin_clear")
    assert gui.find("pin_ok").disabled
    gui.press("cancel")
    gui.wait_screen("home")
