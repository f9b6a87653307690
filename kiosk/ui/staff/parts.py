"""Widgets the staff pages share: rows for their RecycleViews, a row of choices, a number
pad. Their looks are in parts.kv; each page's own rows are in the page's kv."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from kiosk.ui.widgets import KButton


class FitRow(RecycleDataViewBehavior, BoxLayout):
    """A RecycleView row at least ``least`` high that grows with its text when the text
    wraps (long names, English, the small display). Its label has the id ``text``."""

    text = StringProperty("")
    ink = StringProperty("ink")
    least = NumericProperty(dp(76))
    page = ObjectProperty(None, allownone=True)  # the page whose methods the buttons call

    def wanted_height(self) -> float:
        label = self.ids.get("text")
        if label is None:
            return self.least
        return max(self.least, label.texture_size[1] + dp(16))

    def refresh_view_layout(self, rv, index, layout, viewport) -> None:
        # The layout sets the size it last knew for this index (the default, for a row not
        # drawn yet); the label knows better once its text is laid out.
        super().refresh_view_layout(rv, index, layout, viewport)
        self.height = self.wanted_height()


class StaffRow(FitRow):
    """A line of text on a panel: sync states, events, exceptions."""


class StaffNote(FitRow):
    """A line of text on the page's background: a section's title or a remark."""


class ChoiceButton(KButton):
    """One of a row of choices; the chosen one is filled and outlined (parts.kv)."""


class Choices(BoxLayout):
    """A label, then one button per option; ``chosen`` marks one. The buttons are made
    when the options change (a language change), never when the choice does."""

    label = StringProperty("")
    action = StringProperty("")  # the buttons' action, for tests and the driver
    options = ListProperty()  # [(value, text), ...]
    chosen = ObjectProperty(None, allownone=True)
    label_width = NumericProperty(dp(120))
    button_height = NumericProperty(dp(72))
    button_width = NumericProperty(None, allownone=True)

    __events__ = ("on_choose",)

    def on_options(self, *_a) -> None:
        buttons = self.ids.buttons
        values = [b.value for b in reversed(buttons.children)]
        if values == [v for v, _t in self.options]:
            for button, (_v, text) in zip(reversed(buttons.children), self.options, strict=True):
                button.text = text
            return
        buttons.clear_widgets()
        for value, text in self.options:
            button = ChoiceButton(
                text=text,
                action=self.action,
                value=value,
                selected=value == self.chosen,
                height=self.button_height,
            )
            if self.button_width is not None:
                button.size_hint_x = None
                button.width = self.button_width
            button.bind(on_release=lambda b: self.dispatch("on_choose", b.value))
            buttons.add_widget(button)

    def on_chosen(self, *_a) -> None:
        for button in self.ids.buttons.children:
            button.selected = button.value == self.chosen

    def on_choose(self, value: Any) -> None:
        self.chosen = value


class NumberPad(GridLayout):
    """Digits, clear and one action key (``<prefix>_digit``, ``<prefix>_clear``,
    ``<prefix>_go``): the keys are in parts.kv; a press dispatches ``on_key``."""

    prefix = StringProperty("")
    go_text = StringProperty("")
    go_enabled = BooleanProperty(True)

    __events__ = ("on_key",)

    def on_key(self, key: str) -> None:
        pass
