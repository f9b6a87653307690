"""Every screen in every language, as the screenshots show them (devtools.screenshots.tour):
no screen shows a code meant for programs (an event type such as attendance.sign_in, a
snake_case reason, a catalog key), and every label breaks where a reader expects, at the
kiosk's 1280x800 (the 7-inch 1024x600 display: test_small_screen.py)."""

from __future__ import annotations

import re

from devtools.screenshots import tour
from kiosk.ui.i18n import LANGS
from tests.gui.fit import screen_breaks

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
DOTTED = re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+\b")


def codes_in(text: str) -> list[str]:
    return SNAKE.findall(text) + DOTTED.findall(text)


def test_the_patterns_catch_codes_and_spare_words():
    assert codes_in("#3 attendance.sign_in 10:30 V000101") == ["sign_in", "attendance.sign_in"]
    assert codes_in("staff.sync.kind.rejected") and codes_in("payload.qty must be")
    assert codes_in("out_before_in") == ["out_before_in"]
    assert codes_in("Signed in at 10:30. Cost: 200 points; V000101, K-SC-01 · 3.5 h") == []


def test_no_screen_in_any_language_shows_a_code_and_labels_break_well(gui, roster, keys):
    found: dict[str, list[str]] = {}
    names: list[str] = []

    def shot(n: int, name: str) -> None:
        names.append(name)
        for lang in LANGS:
            gui.app.lang = lang
            gui.settle()
            where = f"{n:02d}-{name} {lang}: "
            problems = [f"shows {c!r}" for c in codes_in(gui.texts(scrolled=True))]
            problems += screen_breaks(gui, where)
            if problems:
                found[where] = problems

    tour(gui.app, gui, gui.clock, roster, keys.private_key, shot)
    assert len(names) == 48 and "staff-sync" in names and "staff-close-app" in names
    assert {"my-record", "upcoming", "signed-up", "show-your-card"} <= set(names)
    assert found == {}
    assert not gui.app.translator.missing
