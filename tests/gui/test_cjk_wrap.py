"""Chinese line breaking on the screen: Kivy alone puts a comma at a line's start; a label
with CJKWrap never does, and the elder-mode check sees the difference."""

from __future__ import annotations

from kivy.uix.label import Label

from devtools.elder import check, laid_out_lines
from kiosk.core.linebreak import bad_breaks
from kiosk.ui.cjkwrap import CJKWrap

TEXT = "签退成功，谢谢您的服务。本次服务两小时，积分二十分，余额一百二十分。"


class Wrapped(CJKWrap, Label):
    pass


def laid_out(cls, width: float, gui) -> Label:
    label = cls(text=TEXT, font_size="30sp", text_size=(width, None), size_hint=(None, None))
    label.bind(texture_size=lambda w, ts: setattr(w, "size", (width, ts[1])))
    label.texture_update()
    gui.step(2)
    return label


def test_kivy_alone_starts_a_line_with_a_comma_and_cjkwrap_never_does(gui):
    # a width where Kivy's own cut lands right before a closing mark
    widths = [w for w in range(200, 900, 7) if bad_breaks(laid_out_lines(laid_out(Label, w, gui)))]
    assert widths, "no width made Kivy break before a closing mark: the check would prove nothing"
    for w in widths:
        label = laid_out(Wrapped, w, gui)
        lines = laid_out_lines(label)
        assert bad_breaks(lines) == [], (w, lines)
        assert "".join(lines) == TEXT
        assert label.texture_size[0] <= w + 1
    plain = laid_out(Label, widths[0], gui)
    assert any("line starts or ends badly" in p for p in check(plain, "probe"))
    assert not any("badly" in p for p in check(laid_out(Wrapped, widths[0], gui), "probe"))


def test_a_glossary_word_is_never_cut_across_lines(gui):
    # the app keeps its catalogs' terms whole (gui starts it); 掃描器 is the zh-Hant scanner
    from kiosk.ui import cjkwrap
    from tests.gui.fit import breaks, split_words

    def cuts(lines):
        return [w for a, b in zip(lines, lines[1:], strict=False) for w in split_words(a, b)]

    assert "掃描器" in cjkwrap._KEEP
    text = "將義工卡或手機上的二維碼對準下面的方框，或用掃描器掃描"
    cut = []
    for w in range(200, 900, 9):
        plain = laid_out_lines(_label(Label, text, w, gui))
        if "掃描器" in cuts(plain):
            cut.append(w)
            wrapped = _label(Wrapped, text, w, gui)
            lines = laid_out_lines(wrapped)
            assert "".join(lines) == text
            assert cuts(lines) == [], (w, lines)
            assert breaks(wrapped) == []
    assert cut, "no width cut 掃描器 without the rule: the test would prove nothing"
    # the checker sees a cut word
    assert "splits '掃描器'" in " ".join(breaks(_label(Label, text, cut[0], gui)))


def _label(cls, text: str, width: float, gui) -> Label:
    label = cls(text=text, font_size="30sp", text_size=(width, None), size_hint=(None, None))
    label.bind(texture_size=lambda w, ts: setattr(w, "size", (width, ts[1])))
    label.texture_update()
    gui.step(2)
    return label
