"""What a code meant for programs looks like (an event type such as attendance.sign_in, a
snake_case reason, a catalog key): no screen may show one. tests/gui/test_fit.py takes the
screenshot tour (devtools.screenshots.tour) at both display sizes, in every language, and
looks for these on every screen, with where each label breaks."""

from __future__ import annotations

import re

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
DOTTED = re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+\b")


def codes_in(text: str) -> list[str]:
    return SNAKE.findall(text) + DOTTED.findall(text)


def test_the_patterns_catch_codes_and_spare_words():
    assert codes_in("#3 attendance.sign_in 10:30 V000101") == ["sign_in", "attendance.sign_in"]
    assert codes_in("staff.sync.kind.rejected") and codes_in("payload.qty must be")
    assert codes_in("out_before_in") == ["out_before_in"]
    assert codes_in("Signed in at 10:30. Cost: 200 points; V000101, K-SC-01 · 3.5 h") == []
