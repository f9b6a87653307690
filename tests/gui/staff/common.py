"""What the staff page tests share: logging in with a staff card and PIN, and reading
the open page and its message."""

from __future__ import annotations


def enter_pin(gui, pin: str) -> None:
    for digit in pin:
        gui.press("pin_digit", digit, settle=False)
    gui.press("pin_ok")
    gui.wait_until(lambda: not gui.app.screen("pin").checking, what="PIN checked")
    gui.settle()


def login(gui, roster, pin: str = "246810"):
    gui.wedge(roster["S0001"]["code"])
    scr = gui.wait_screen("pin")
    assert "林*任" in scr.title
    assert gui.app.sound.played[-1] == "staff"
    enter_pin(gui, pin)
    return gui.wait_screen("staff")


def page(gui):
    """The open staff page."""
    return gui.app.screen("staff").page


def message(gui) -> str:
    return page(gui).message


def wait_message(gui, text: str) -> str:
    gui.wait_until(lambda: text in message(gui), what=f"staff message {text!r}")
    gui.settle()
    return message(gui)


def open_page(gui, tab: str):
    gui.press("tab", tab)
    gui.wait_until(lambda: page(gui).name == tab, what=f"staff page {tab}")
    gui.settle()
    return page(gui)
