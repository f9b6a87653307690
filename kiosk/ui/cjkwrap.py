"""Chinese line breaking for Kivy labels.

Kivy breaks lines only at spaces, and a run of Chinese has none, so it cuts wherever the
line is full: a comma or a closing bracket lands at the start of the next line. A label
with ``CJKWrap`` gives Kivy text already broken by the project's rule (kiosk.core.linebreak),
measured with the label's own font, so each line fits and Kivy breaks nothing further.
"""

from __future__ import annotations

from kiosk.core.linebreak import has_cjk, wrap

# Words no line breaks inside (the catalogs' glossary terms: 義工卡, 掃描器, 自助机 ...),
# set once by the app from its catalogs (``keep_whole``).
_KEEP: tuple[str, ...] = ()


def keep_whole(words: tuple[str, ...]) -> None:
    global _KEEP
    _KEEP = words


class CJKWrap:
    """Mix in before Label: ``class KLabel(CJKWrap, Label)``."""

    def texture_update(self, *largs):
        core = self._label
        text = self.text
        width = self.text_size[0] if self.text_size else None
        if text and width and not self.markup and not self.shorten and has_cjk(text):
            pad = core.options.get("padding") or [0, 0, 0, 0]
            room = max(1, int(width - pad[0] - pad[2]))
            extents = core.get_cached_extents()
            core.text = "\n".join(wrap(text, room, lambda s: extents(s)[0], _KEEP))
        elif core.text != text:
            core.text = text
        super().texture_update(*largs)
