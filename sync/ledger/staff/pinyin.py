"""Pinyin initials of a name, for the roster search (张晓明 → zxm). Latin letters and digits
stay as they are (a foreign resident's name, Anna Lee → al); other characters drop out."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def initials(name: str) -> str:
    out = []
    for part in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"):
        part = part.strip().lower()
        if not part:
            continue
        if part.isascii() and part.isalnum() and len(part) == 1:
            out.append(part)
        elif part.isascii():
            # a run of Latin text: each word's first letter
            out.extend(w[0] for w in part.replace("-", " ").split() if w[0].isalnum())
    return "".join(out)
