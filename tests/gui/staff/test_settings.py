"""The settings page: the start language and the idle time outlive staff mode."""

from __future__ import annotations

from tests.gui.staff.common import login


def test_staff_settings_change_the_start_language(gui, roster):
    login(gui, roster)
    gui.press("tab", "settings")
    gui.press("default_lang", "en")
    gui.press("idle_up")
    gui.press("save_settings")
    gui.wait_until(lambda: gui.store.setting("ui.language") == "en", what="saved setting")
    assert gui.store.setting("ui.idle_timeout_seconds") == "40"  # 30 s in the tests, +10
    gui.press("leave_staff")
    gui.wait_screen("home")
    assert gui.app.lang == "en" and "Show your volunteer card" in gui.texts()
    assert gui.app.idle_timeout == 40


def test_the_settings_page_shows_the_version(gui, roster):
    from kiosk import __version__
    from sync.agent import PROTOCOL_VERSION

    login(gui, roster)
    gui.press("tab", "settings")
    gui.settle()
    text = gui.texts()
    assert f"软件版本 {__version__}" in text and f"通信协议 {PROTOCOL_VERSION}" in text
