"""What text may be stored: the one rule for names, titles, ids and reasons, wherever
they come in (a roster file, an activity form, a kiosk's event).

Refused: control characters (C0 but tab and, where asked, newlines; DEL; C1), lone
surrogates (not Unicode at all: no UTF-8 file or database can hold them),
noncharacters, and the bidirectional overrides that make a name read differently from
what it holds. Any of them in a 台账 cell either breaks the file (the XLSX format has
no way to hold U+0000 to U+001F) or misleads the person reading it.
"""

from __future__ import annotations

import re
import unicodedata

_BAD = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, LF, CR; DEL; C1
    "\ud800-\udfff"  # lone surrogates
    "\ufdd0-\ufdef\ufffe\uffff"  # noncharacters
    "\u202a-\u202e\u2066-\u2069"  # bidirectional embeddings, overrides and isolates
    "]"
)
_BREAKS = re.compile("[\t\n\r\u2028\u2029\x85]")
# One search for single-line text (names, ids): the refused characters and line breaks.
_BAD_LINE = re.compile(_BAD.pattern[:-1] + "\t\n\r\u2028\u2029]")


def line_ok(text: str) -> bool:
    """True if ``text`` may be stored as a name or id (the fast check: no reason given)."""
    return _BAD_LINE.search(text) is None


def bad_char(text: str, *, multiline: bool = False) -> str | None:
    """The first character that may not be stored, as ``U+0007``, or None if all are fine.

    Tab, CR and LF are allowed only in ``multiline`` text (a note); never in a name or id."""
    m = _BAD.search(text)
    if m is None and not multiline:
        m = _BREAKS.search(text)
    if m is None:
        return None
    return f"U+{ord(m.group()):04X}"


def refusal(text: object, *, multiline: bool = False) -> str | None:
    """Why this value may not be stored as text, in Chinese then English, or None."""
    if not isinstance(text, str):
        return "不是文字 / not text"
    bad = bad_char(text, multiline=multiline)
    if bad is None:
        return None
    code = int(bad[2:], 16)
    name = "" if 0xD800 <= code <= 0xDFFF else unicodedata.name(chr(code), "")
    what = f"{bad} {name}".strip()
    return f"含有不可见的控制字符 {what}，请删除后重试 / contains a control character ({what}): remove it"


def escape(text: str) -> str:
    """Any character ``bad_char`` refuses, written as ``\\u0007`` so the text can always be
    written out (a value stored before this rule, or read from an old backup)."""
    return _BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
