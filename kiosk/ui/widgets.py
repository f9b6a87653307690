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
