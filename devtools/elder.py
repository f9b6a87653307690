"""Elder mode, held to numbers: what a screen must meet for a 75-year-old at arm's length.

``check(root)`` walks the widget tree as it is drawn (Kivy, in a real window) and returns
one line per problem:

- body text at least 24 sp (MIIT's 2021 elder-mode rule asks for 18);
- the main action's text (a widget with ``main`` true) at least 30 sp;
- every touch target at least 60 x 60 dp;
- line spacing at least 1.3 (a text line's pitch over its font size);
- nothing drawn outside its box: a label's laid-out text within the label, every widget
  within the window and within the widget holding it (a scrolled list within its view);
- no sideways scrolling;
- no Chinese line starting with a closing mark (，。、；：？！）」…) or ending with an
  opening one, in what Kivy actually laid out.

Text contrast (>= 7:1) is a property of the palette, checked in tests/gui/test_appearance.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from kivy.core.window import Window
from kivy.metrics import dp, sp
from kivy.uix.behaviors import ButtonBehavior, ToggleButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from kiosk.core.linebreak import bad_breaks

BODY_SP = 24
MAIN_SP = 30
TARGET_DP = 60
LINE_SPACING = 1.3
SLACK = 0.5  # px: layouts round to half pixels


def visible(root: Widget) -> Iterator[Widget]:
    """The widgets a person can see: not faded out, not folded to nothing."""
    stack = [root]
    while stack:
        w = stack.pop()
        if w.opacity <= 0 or w.width <= 0 or w.height <= 0:
            continue
        yield w
        stack.extend(reversed(w.children))


def rect(w: Widget) -> tuple[float, float, float, float]:
    x, y = w.to_window(w.x, w.y)
    right, top = w.to_window(w.right, w.top)
    return x, y, right, top


def _scroll_view_of(w: Widget) -> ScrollView | None:
    parent = w.parent
    while parent is not None and parent is not parent.parent:
        if isinstance(parent, ScrollView):
            return parent
        parent = parent.parent
    return None


def laid_out_lines(label: Label) -> list[str]:
    """The lines Kivy drew for ``label``, as text."""
    core = getattr(label, "_label", None)
    lines = getattr(core, "_cached_lines", None) or []
    return ["".join(word.text for word in line.words) for line in lines]


def _name(screen: str, w: Widget) -> str:
    text = getattr(w, "text", "")
    text = text if isinstance(text, str) else ""
    return f"{screen}: {type(w).__name__} {text[:24]!r}"


def is_target(w: Widget) -> bool:
    return isinstance(w, ButtonBehavior | ToggleButtonBehavior | TextInput)


def _label_problems(screen: str, w: Label) -> list[str]:
    out = []
    name = _name(screen, w)
    if w.font_size < sp(BODY_SP) - 0.01:
        out.append(f"{name}: text at {w.font_size / sp(1):.1f} sp, under {BODY_SP}")
    if getattr(w, "main", False) and w.font_size < sp(MAIN_SP) - 0.01:
        out.append(f"{name}: main action at {w.font_size / sp(1):.1f} sp, under {MAIN_SP}")
    core = getattr(w, "_label", None)
    lines = getattr(core, "_cached_lines", None) or []
    heights = [line.h for line in lines if line.words]
    if heights and min(heights) / w.font_size < LINE_SPACING - 0.005:
        out.append(f"{name}: line spacing {min(heights) / w.font_size:.2f}, under {LINE_SPACING}")
    tw, th = w.texture_size
    if not getattr(w, "shorten", False) and (tw > w.width + 1 or th > w.height + 0.3 * w.font_size):
        # a line's box holds the font's gap above and below the glyphs: up to 0.3 em of it
        # may lie outside the label without any ink doing so
        out.append(f"{name}: text needs {tw:.0f}x{th:.0f}, has {w.width:.0f}x{w.height:.0f}")
    bad = bad_breaks(laid_out_lines(w))
    if bad:
        out.append(f"{name}: a line starts or ends badly: {bad[0]!r}")
    return out


def check(root: Widget, screen: str = "") -> list[str]:
    """Every problem on the screen drawn under ``root``, one line each."""
    problems: list[str] = []
    win_w, win_h = Window.size
    for w in visible(root):
        name = _name(screen, w)
        if isinstance(w, Label) and w.text:
            problems += _label_problems(screen, w)
        if is_target(w) and (w.width < dp(TARGET_DP) - 0.01 or w.height < dp(TARGET_DP) - 0.01):
            problems.append(
                f"{name}: touch target {w.width / dp(1):.0f}x{w.height / dp(1):.0f} dp, "
                f"under {TARGET_DP}x{TARGET_DP}"
            )
        if isinstance(w, ScrollView) and w.do_scroll_x and w.children:
            content = w.children[0]
            if content.width > w.width + 1 and not getattr(w, "sideways_ok", False):
                problems.append(f"{name}: scrolls sideways ({content.width:.0f} > {w.width:.0f})")
        if _scroll_view_of(w) is not None:
            continue  # in a list that scrolls: its size counts, its place is the list's
        x, y, right, top = rect(w)
        if x < -SLACK or y < -SLACK or right > win_w + SLACK or top > win_h + SLACK:
            problems.append(
                f"{name}: outside the window at ({x:.0f}, {y:.0f}, {right:.0f}, {top:.0f})"
            )
            continue
        parent = w.parent
        if (
            isinstance(parent, Widget)
            and parent is not w
            and not isinstance(parent, ScrollView)
            and parent.width > 0
            and parent.height > 0
        ):
            px, py, pr, pt = rect(parent)
            if x < px - SLACK or y < py - SLACK or right > pr + SLACK or top > pt + SLACK:
                problems.append(f"{name}: outside {type(parent).__name__}'s box")
    return problems
