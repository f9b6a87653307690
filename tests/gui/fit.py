"""Labels written to fit: where a label's text breaks onto another line, and whether that
break is one a reader accepts. Shared by the wording test (1280x800) and the small-screen
test (1024x600)."""

from __future__ import annotations

import re

from kivy.core.text import Label as CoreLabel
from kivy.uix.label import Label

from kiosk.ui.widgets import KButton

CLOSING = "，。、；：！？）」』》〉】%,.;:!?)"  # never first on a line
OPENING = "（「『《〈【("  # never last on a line
WORDISH = re.compile(r"[A-Za-z0-9]")


def rendered_lines(label: Label) -> list[str]:
    """The lines Kivy lays the label's text out in, at the label's wrapping width."""
    width = label.text_size[0] if label.text_size and label.text_size[0] else None
    # what is drawn: a label may set its own breaks (kiosk.ui.cjkwrap.CJKWrap)
    drawn = getattr(getattr(label, "_label", None), "text", None) or label.text
    core = CoreLabel(
        text=drawn,
        font_size=label.font_size,
        font_name=label.font_name,
        bold=label.bold,
        text_size=(width, None),
        halign="left",
    )
    core.refresh()
    return ["".join(w.text for w in line.words) for line in core._cached_lines]


def breaks(label: Label, where: str = "") -> list[str]:
    """What is wrong with how this label's text breaks: a button whose words wrap, a
    word or number split across lines, a line starting with a comma."""
    if not label.text.strip() or label.width <= 0 or label.shorten:
        return []  # a shortened label is test_small_screen's text_fits business
    lines = rendered_lines(label)
    explicit = [line for line in label.text.split("\n")]
    name = f"{where}{type(label).__name__} {label.text[:40]!r}"
    problems = []
    if isinstance(label, KButton) and len([ln for ln in lines if ln.strip()]) > len(explicit):
        problems.append(f"{name}: a button's words wrap onto {len(lines)} lines")
    for a, b in zip(lines, lines[1:], strict=False):
        a_end, b_start = a.rstrip(), b.lstrip()
        if not a_end or not b_start:
            continue
        if b_start[0] in CLOSING or a_end[-1] in OPENING:
            problems.append(f"{name}: a line breaks before {b_start[0]!r} or after {a_end[-1]!r}")
        joined = a_end[-3:] + b_start[:3]
        if (
            WORDISH.match(a_end[-1])
            and WORDISH.match(b_start[0])
            and not a.endswith(" ")
            and joined in label.text
        ):
            problems.append(f"{name}: {a_end[-6:]!r} | {b_start[:6]!r} splits a word")
    return problems


def screen_breaks(gui, where: str = "") -> list[str]:
    """Every visible label's breaks on the current screen (pop-ups included)."""
    found = []
    for w in gui.visible_walk():
        if isinstance(w, Label) and w.opacity > 0 and w.text:
            found += breaks(w, where)
    return found
