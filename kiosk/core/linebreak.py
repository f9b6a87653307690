"""Line breaking for Chinese text (禁则): no line starts with a closing mark (，。、；：？！）」…)
and none ends with an opening one (（「《…).

Kivy breaks a line only at spaces and, inside a run with no spaces, at whatever character
fills the line, so a comma lands at the start of the next line. ``wrap`` finds the breaks
itself: between any two Chinese characters, at spaces in Latin text, never inside a Latin
word or a number unless it is wider than the line, and never where the rules forbid; the
character before a closing mark moves down with it. ``measure`` is the width of a string
in the caller's units (the kiosk passes its font's), so the rule stays free of any toolkit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

# Marks that close or trail: never the first character of a line.
CLOSING = frozenset(
    "，。、；：？！）」』】〕〗〙〛〉》〞”’．・…‥～ー％‰℃"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"
    ",.;:?!)]}%"
    "\u3001\u3002\uff0c\uff0e\uff1a\uff1b\uff1f\uff01\uff09\uff3d\uff5d\u2014"
)
# Marks that open: never the last character of a line.
OPENING = frozenset("（「『【〔〖〘〚〈《〝“‘([{＄￥$¥£€")


def is_cjk(ch: str) -> bool:
    """A character a line may break before or after (ideographs, kana, CJK punctuation,
    fullwidth forms, hangul)."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF  # radicals, CJK symbols and punctuation, kana, ideographs
        or 0xAC00 <= o <= 0xD7AF  # hangul
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= o <= 0xFE4F  # CJK compatibility forms
        or 0xFF00 <= o <= 0xFFEF  # fullwidth forms
        or 0x20000 <= o <= 0x3FFFF  # extension B and beyond: rare surnames
        or ch in "…‥—“”‘’·"
    )


def has_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


def units(text: str, keep: tuple[str, ...] = ()) -> list[str]:
    """Split one paragraph into pieces no line may break inside: a Chinese character or a
    Latin word, with the opening marks before it and the closing marks after it; runs of
    spaces are units of their own (a line may break there, and drops them). A word of
    ``keep`` (longest first) is one piece: 掃描器 never ends a line as 掃描 and starts the
    next with 器."""
    out: list[str] = []
    starting = _by_first(keep)
    i, n = 0, len(text)
    while i < n:
        word = next((w for w in starting.get(text[i], ()) if text.startswith(w, i)), None)
        if word is not None:
            j = i + len(word)
            while j < n and text[j] in CLOSING:
                j += 1
            out.append(text[i:j])
            i = j
            continue
        if text[i] == " ":
            j = i
            while j < n and text[j] == " ":
                j += 1
            out.append(text[i:j])
            i = j
            continue
        j = i
        while j < n and text[j] in OPENING:
            j += 1
        if j < n:
            ch = text[j]
            if is_cjk(ch) and ch not in CLOSING and ch not in OPENING:
                j += 1  # one Chinese character
            elif not is_cjk(ch) and ch != " ":
                while j < n and text[j] != " " and not is_cjk(text[j]):
                    j += 1  # a Latin word or a number, whole
        while j < n and text[j] in CLOSING:
            j += 1
        if j == i:  # a stray opening mark at the very end
            j = i + 1
        if text[i] in CLOSING and len(out) >= 2 and out[-1].isspace():
            # "好 ，": a space before a closing mark is no place to break either
            spaces = out.pop()
            out[-1] += spaces + text[i:j]
            i = j
            continue
        out.append(text[i:j])
        i = j
    return out


@lru_cache(maxsize=8)
def _by_first(keep: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """``keep``'s words by their first character, longest first: a label is wrapped on the UI
    thread at every layout, so each character looks at the few words that start with it."""
    out: dict[str, list[str]] = {}
    for w in keep:
        out.setdefault(w[0], []).append(w)
    return {c: tuple(sorted(ws, key=len, reverse=True)) for c, ws in out.items()}


def _hard_break(piece: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A piece wider than a whole line (a long number, a URL): cut it where it must, still
    keeping closing marks off a line's start where the piece allows."""
    lines: list[str] = []
    cur = ""
    for ch in piece:
        if cur and measure(cur + ch) > width:
            if ch in CLOSING and len(cur) > 1:
                lines.append(cur[:-1])
                cur = cur[-1]
            else:
                lines.append(cur)
                cur = ""
        cur += ch
    if cur:
        lines.append(cur)
    return lines


def wrap_paragraph(
    text: str, width: float, measure: Callable[[str], float], keep: tuple[str, ...] = ()
) -> list[str]:
    lines: list[str] = []
    cur = ""
    for unit in units(text, keep):
        if unit.isspace():
            if cur:
                cur += unit
            continue
        candidate = cur + unit
        if measure(candidate.rstrip(" ")) <= width:
            cur = candidate
            continue
        if cur.strip():
            lines.append(cur.rstrip(" "))
        if measure(unit) <= width:
            cur = unit
        else:
            pieces = _hard_break(unit, width, measure)
            lines.extend(pieces[:-1])
            cur = pieces[-1]
    if cur.strip() or not lines:
        lines.append(cur.rstrip(" "))
    return lines


def wrap(
    text: str, width: float, measure: Callable[[str], float], keep: tuple[str, ...] = ()
) -> list[str]:
    """The lines ``text`` is drawn in within ``width``; its own newlines are kept; the words
    of ``keep`` are not broken where they fit on a line."""
    if width <= 0:
        return text.split("\n")
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(wrap_paragraph(para, width, measure, keep) if para else [""])
    return out


def whole_words(words: list[str]) -> tuple[str, ...]:
    """The Chinese words of ``words`` (a glossary's terms) as ``keep`` wants them: two
    characters or more, no spaces, longest first so 自助服務機 wins over 服務."""
    found = {w for w in words if len(w) >= 2 and " " not in w and all(is_cjk(c) for c in w)}
    return tuple(sorted(found, key=lambda w: (-len(w), w)))


def bad_breaks(lines: list[str]) -> list[str]:
    """For checks: each line after the first that starts with a closing mark, and each
    line but the last that ends with an opening one, in a text holding Chinese."""
    if not has_cjk("".join(lines)):
        return []
    bad = [line for line in lines[1:] if line and line[0] in CLOSING]
    return bad + [line for line in lines[:-1] if line and line[-1] in OPENING]
