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
