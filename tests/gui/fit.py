"""Labels written to fit: where a label's text breaks onto another line, and whether that
break is one a reader accepts. Shared by the wording test (1280x800) and the small-screen
test (1024x600)."""

from __future__ import annotations

import re

from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.ui import cjkwrap
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
        for word in split_words(a_end, b_start):
            problems.append(f"{name}: {a_end[-6:]!r} | {b_start[:6]!r} splits {word!r}")
    return problems


def split_words(a_end: str, b_start: str) -> list[str]:
    """The glossary's Chinese words (義工卡, 掃描器 ...) that the break between these two
    lines cuts in two."""
    k = len(a_end)
    joined = a_end + b_start
    return [
        w
        for w in cjkwrap._KEEP
        if any(joined.startswith(w, i) for i in range(max(0, k - len(w) + 1), k))
    ]


def screen_breaks(gui, where: str = "") -> list[str]:
    """Every visible label's breaks on the current screen (pop-ups included)."""
    found = []
    for w in gui.visible_walk():
        if isinstance(w, Label) and w.opacity > 0 and w.text:
            found += breaks(w, where)
    return found


# -- where things lie: in the window, or one scroll away; and all of a label's text shows --


def window_rect(w: Widget) -> tuple[float, float, float, float]:
    x, y = w.to_window(w.x, w.y)
    right, top = w.to_window(w.right, w.top)
    return x, y, right, top


def _name(gui, w: Widget) -> str:
    return (
        f"{gui.app.sm.current} {gui.app.lang}: {type(w).__name__} {getattr(w, 'text', '')[:30]!r}"
    )


def _within(a, b, slack: float = 0.5) -> bool:
    return (
        a[0] >= b[0] - slack
        and a[1] >= b[1] - slack
        and a[2] <= b[2] + slack
        and a[3] <= b[3] + slack
    )


def reachable(gui, w: Widget, *, scrolled_ok: bool = True) -> list[str]:
    """``w`` lies in the window, or a person can scroll it there: outside a scroll view's
    visible part is fine (with ``scrolled_ok``) only if that view scrolls that way and ``w``
    lies within what it scrolls. A widget drawn past the edge of a page that does not scroll
    cannot be reached at all."""
    box = window_rect(w)
    outer: Widget = w
    parent = w.parent
    while parent is not None and parent is not parent.parent:
        if isinstance(parent, ScrollView):
            view = window_rect(parent)
            if not _within(box, view):
                content = parent.children[0] if parent.children else None
                across = box[0] < view[0] - 0.5 or box[2] > view[2] + 0.5
                along = box[1] < view[1] - 0.5 or box[3] > view[3] + 0.5
                scrolls = (
                    content is not None
                    and _within(box, window_rect(content))
                    and (not across or (parent.do_scroll_x and content.width > parent.width + 0.5))
                    and (not along or (parent.do_scroll_y and content.height > parent.height + 0.5))
                )
                if not scrolls:
                    return [f"{_name(gui, w)} lies outside its scroll view, out of reach"]
                if not scrolled_ok:
                    return [f"{_name(gui, w)} scrolled out of view"]
            outer = parent
        parent = parent.parent
    edge = (0.0, 0.0, float(Window.width), float(Window.height))
    if not _within(window_rect(outer) if outer is not w else box, edge):
        return [f"{_name(gui, w)} outside the window at {tuple(round(v) for v in box)}"]
    return []


def text_fits(gui, label: Label) -> list[str]:
    """All of the label's text shows: laid out at the label's wrapping width, its lines
    need no more room than the label has, so a fixed height, ``shorten`` or a too narrow
    label cut nothing off and nothing runs into its neighbours. A line's box holds the
    font's line gap (0.45 em in Noto Sans CJK) around the glyphs: up to 0.3 em of it
    may lie outside the label."""
    wrap = label.text_size[0]
    core = CoreLabel(
        text=label.text,
        font_size=label.font_size,
        font_name=label.font_name,
        bold=label.bold,
        halign=label.halign,
        text_size=(wrap, None),
    )
    core.refresh()
    need_w, need_h = core.content_size
    if (
        need_h > label.height + 0.3 * label.font_size
        or need_w > (wrap or label.width) + 1
        or (wrap or 0) > label.width + 1
    ):
        return [
            f"{_name(gui, label)} needs {need_w:.0f}x{need_h:.0f}, has {label.width:.0f}x{label.height:.0f}"
        ]
    return []


def _inside(w: Widget, containers) -> bool:
    containers = [getattr(c, "__self__", c) for c in containers]  # ids are weak proxies
    while w is not None:
        if any(w is c for c in containers):
            return True
        w = w.parent if w.parent is not w else None
    return False


def layout_problems(gui, *, skip=(), scrolled_ok: bool = True) -> list[str]:
    """Every shown label's and button's fit on the current screen (pop-ups included): where
    its lines break, that its text is not cut off, that it can be seen or scrolled to."""
    problems = screen_breaks(gui, f"{gui.app.sm.current} {gui.app.lang}: ")
    for w in gui.visible_walk():
        if w.opacity == 0 or w.width <= 0 or w.height <= 0 or (skip and _inside(w, skip)):
            continue
        if isinstance(w, Label) and w.text:
            problems += reachable(gui, w, scrolled_ok=scrolled_ok) or text_fits(gui, w)
        elif getattr(w, "action", ""):
            problems += reachable(gui, w, scrolled_ok=scrolled_ok)
    return problems
