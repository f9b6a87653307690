"""The few widget classes the .kv file lays out; their looks live in kiosk.kv."""

from __future__ import annotations

from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.ui.cjkwrap import CJKWrap


class KLabel(CJKWrap, Label):
    """Body text: wraps to its width (by the Chinese line-breaking rule) and grows to its
    text's height."""

    ink = StringProperty("ink")
    action = StringProperty("")  # what tests and the driver look a line up by


class KButton(CJKWrap, ButtonBehavior, Label):
    """A touch target at least 64 dp high with a solid, high-contrast background. ``main``:
    the screen's main action (its text at least 30 sp, devtools.elder)."""

    main = BooleanProperty(False)

    bg = StringProperty("accent")
    ink = StringProperty("accent_ink")
    action = StringProperty("")  # what tests and the driver look the button up by
    value = ObjectProperty(None)
    selected = BooleanProperty(False)


def _bind_inactive_bar_color(self: ScrollView, *_a) -> None:
    """A list's scroll bar goes to its resting colour at once, half a second after the
    list last scrolled, instead of fading for another half second: each step of a fade
    redraws the whole window, fifteen frames that under a software renderer take the UI
    thread's whole half second, and a card shown meanwhile waits for the frame in flight."""
    self.funbind("bar_color", self._change_bar_color)
    self.fbind("bar_inactive_color", self._change_bar_color)
    self._bar_color = self.bar_inactive_color


_kivy_update_from_scroll = ScrollView.update_from_scroll


def update_from_scroll(self: ScrollView, *largs) -> None:
    """Kivy lights the bar up on every new layout of the list too, not only when it
    scrolls: every return to the home screen (its activities rebuilt) then redrew the
    window once more half a second later, for a bar often not even shown. Laid out again
    but not scrolled, the bar stays at rest; its colour changes in the frame the new
    layout is drawn in anyway."""
    _kivy_update_from_scroll(self, *largs)
    at = (self.scroll_x, self.scroll_y)
    if at == getattr(self, "_kiosk_scrolled_to", None):
        self._bind_inactive_bar_color_ev.cancel()
        _bind_inactive_bar_color(self)
    self._kiosk_scrolled_to = at


# Every scrolling list in the kiosk (ScrollView and RecycleView alike) takes them, under
# Kivy's own names: its clock looks a bound method up again by name when it fires.
ScrollView._bind_inactive_bar_color = _bind_inactive_bar_color
ScrollView.update_from_scroll = update_from_scroll


class Panel(BoxLayout):
    bg = StringProperty("panel")
    radius = NumericProperty(12)


class PreviewFrame(FloatLayout):
    """The live camera picture with a guide frame to hold the card in."""

    texture = ObjectProperty(None, allownone=True)
    guide_colour = ListProperty([1, 1, 1, 1])


class SyncLight(Widget):
    state = StringProperty("standalone")  # online | offline | standalone


class ItemTile(ButtonBehavior, BoxLayout):
    item = ObjectProperty(None, allownone=True)
    name = StringProperty("")
    cost_text = StringProperty("")
    stock_text = StringProperty("")
    limit_text = StringProperty("")
    state_text = StringProperty("")
    image = StringProperty("")
    glyph = StringProperty("")
    available = BooleanProperty(True)
    action = StringProperty("item")


class DemoCard(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """A demo card in the home screen's strip (a RecycleView: the roster can be long)."""

    card = ObjectProperty(None, allownone=True)
    label = StringProperty("")
    image = StringProperty("")
    action = StringProperty("demo_card")


class RowText(CJKWrap, Label):
    """The text of a staff list's row."""
