"""The elder-mode check (devtools.elder) finds each kind of problem it is there for, in a
real window: a screen that passes it passes because it meets the numbers."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label

from devtools.elder import check
from kiosk.ui.widgets import KButton, KLabel


def probe(gui, *widgets) -> list[str]:
    box = BoxLayout(orientation="vertical", size_hint=(None, None), size=(800, 600))
    for w in widgets:
        box.add_widget(w)
    gui.app.root.add_widget(box)
    try:
        gui.step(3)
        return check(box, "probe")
    finally:
        gui.app.root.remove_widget(box)


def test_good_widgets_pass(gui):
    assert (
        probe(gui, KLabel(text="签到成功"), KButton(text="完成", main=True, font_size="30sp")) == []
    )


def test_each_number_is_checked(gui):
    found = probe(
        gui,
        KLabel(text="小字", font_size="20sp"),
        KButton(text="主要操作", main=True, font_size="26sp"),
        Button(text="小", font_size="30sp", size_hint=(None, None), size=(dp(50), dp(50))),
        Label(text="行距太紧", font_size="30sp", line_height=0.8, size_hint_y=None, height=dp(80)),
    )
    text = "\n".join(found)
    assert "'小字': text at 20.0 sp, under 24" in text
    assert "'主要操作': main action at 26.0 sp, under 30" in text
    assert "'小': touch target 50x50 dp, under 60x60" in text
    assert "'行距太紧': line spacing" in text and "under 1.3" in text


def test_something_drawn_outside_its_box(gui):
    holder = FloatLayout(size_hint_y=None, height=100)
    holder.add_widget(KLabel(text="出界", size_hint=(None, None), size=(200, 80), pos=(-300, 0)))
    found = probe(gui, holder)
    assert any("'出界'" in p and "outside" in p for p in found), found
