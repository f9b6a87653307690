"""Widgets the staff pages share: rows for their RecycleViews, a row of choices, a number
pad, a number field with its pad, and a question before closing the app. Their looks are
in parts.kv; each page's own rows are in the page's kv."""

from __future__ import annotations

from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from kiosk.ui.context import app
from kiosk.ui.widgets import KButton


class FitRow(RecycleDataViewBehavior, BoxLayout):
    """A RecycleView row at least ``least`` high that grows with its text when the text
    wraps (long names, English, the small display). Its label has the id ``text``."""

    text = StringProperty("")
    ink = StringProperty("ink")
    least = NumericProperty(dp(76))
    # the page whose methods the buttons call (rebind: a row's kv may read its properties)
    page = ObjectProperty(None, allownone=True, rebind=True)

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


def text_width(label) -> float:
    """How wide the label's text is on one line, at its font."""
    core = CoreLabel(
        text=label.text, font_size=label.font_size, font_name=label.font_name, bold=label.bold
    )
    core.refresh()
    return float(core.content_width)


class ChoiceButton(KButton):
    """One of a row of choices; the chosen one is filled and outlined (parts.kv)."""


class Choices(BoxLayout):
    """A label, then one button per option; ``chosen`` marks one. The buttons are made
    when the options change (a language change), never when the choice does. When an
    option's words would wrap beside the label (English on the 1024x600 display), the
    label goes above the buttons instead (``stacked``), so each button has the row's
    whole width and the text keeps its size."""

    label = StringProperty("")
    action = StringProperty("")  # the buttons' action, for tests and the driver
    options = ListProperty()  # [(value, text), ...]
    chosen = ObjectProperty(None, allownone=True)
    label_width = NumericProperty(dp(120))
    button_height = NumericProperty(dp(72))
    button_width = NumericProperty(None, allownone=True)
    stacked = BooleanProperty(False)

    __events__ = ("on_choose",)

    def on_kv_post(self, *_a) -> None:
        self.bind(width=self._restack, label_width=self._restack)

    def _restack(self, *_a) -> None:
        buttons = self.ids.buttons.children
        if not buttons or self.width <= 0 or self.button_width is not None:
            self.stacked = False
            return
        gaps = self.ids.buttons.spacing * (len(buttons) - 1)
        beside = (self.width - self.label_width - self.spacing - gaps) / len(buttons)
        self.stacked = any(text_width(b) > beside - dp(16) for b in buttons)  # KButton's padding

    def on_options(self, *_a) -> None:
        buttons = self.ids.buttons
        values = [b.value for b in reversed(buttons.children)]
        if values == [v for v, _t in self.options]:
            for button, (_v, text) in zip(reversed(buttons.children), self.options, strict=True):
                button.text = text
            self._restack()
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
        self._restack()

    def on_chosen(self, *_a) -> None:
        for button in self.ids.buttons.children:
            button.selected = button.value == self.chosen

    def on_choose(self, value: Any) -> None:
        self.chosen = value


class NumberPad(BoxLayout):
    """Digits, clear and one action key (``<prefix>_digit``, ``<prefix>_clear``,
    ``<prefix>_go``): the keys are in parts.kv; a press dispatches ``on_key``."""

    prefix = StringProperty("")
    go_text = StringProperty("")
    filled = BooleanProperty(True)  # something typed: clear and the action key have work

    __events__ = ("on_key",)

    def on_key(self, key: str) -> None:
        pass


class KioskPopup(ModalView):
    """A pop-up over the page; ``closing`` from the moment it is dismissed (it fades out
    over a frame or two), so nothing takes it for open meanwhile."""

    closing = BooleanProperty(False)

    def open(self, *a, **kw) -> None:
        self.closing = False
        super().open(*a, **kw)

    def dismiss(self, *a, **kw) -> None:
        self.closing = True
        super().dismiss(*a, **kw)


class ConfirmPopup(KioskPopup):
    """Asks before something that cannot be taken back on the spot (closing the kiosk
    app): a title, what it means, and two buttons far apart, the safe one first."""

    # catalog keys, so the words follow a change of language while it is open
    title_key = StringProperty("")
    body_key = StringProperty("")
    yes_key = StringProperty("")
    no_key = StringProperty("")
    action = StringProperty("confirm")  # the buttons' actions: ``<action>_yes``, ``_no``

    __events__ = ("on_yes",)

    def on_yes(self) -> None:
        pass

    def answer(self, yes: bool) -> None:
        self.dismiss()
        if yes:
            self.dispatch("on_yes")


class NumberPopup(KioskPopup):
    """A number typed on a pad: digits, clear, OK (and give or take back, for a change
    of points). OK is greyed, with one line saying why, until the number is in range."""

    title = StringProperty("")  # what the number is (or title_key, a catalog key)
    title_key = StringProperty("")
    digits = StringProperty("")
    low = NumericProperty(0)
    high = NumericProperty(99999)
    signed = BooleanProperty(False)  # a change: the pad has give / take back
    negative = BooleanProperty(False)
    add_key = StringProperty("number.add")  # the words of the two signs (catalog keys)
    take_key = StringProperty("number.take")
    zero_ok = BooleanProperty(True)  # False: a change of nothing is nothing to confirm
    clock = BooleanProperty(False)  # a time of day, typed as four digits (1345: 13:45)
    ready = BooleanProperty(False)  # OK has a number to give
    hint = StringProperty("")  # why OK is greyed, or ""
    shown = StringProperty("")  # the number as typed, with its sign

    __events__ = ("on_number",)

    def on_number(self, value: int) -> None:
        pass

    def value(self) -> int | None:
        """The number typed; for a time of day, its minutes after midnight."""
        if not self.digits:
            return None
        if self.clock:
            if len(self.digits) < 4:
                return None
            hh, mm = int(self.digits[:2]), int(self.digits[2:])
            return hh * 60 + mm if hh < 24 and mm < 60 else -1
        n = int(self.digits)
        return -n if self.negative else n

    def key(self, key: str) -> None:
        if key == "del":
            self.digits = ""
        elif self.clock:
            if len(self.digits) < 4:
                self.digits += key
        elif len(self.digits) < 6:
            self.digits = (self.digits + key).lstrip("0") or "0"

    def on_digits(self, *_a) -> None:
        self.check()

    def on_negative(self, *_a) -> None:
        self.check()

    def check(self) -> None:
        n = self.value()
        if self.clock:
            d = self.digits.ljust(4, "_")
            self.shown = f"{d[:2]}:{d[2:]}"
            self.hint = "number.time" if n == -1 else ""
            self.ready = n is not None and n >= 0
            return
        sign = ("-" if self.negative else "+") if self.signed else ""
        self.shown = f"{sign}{self.digits}" if self.digits else "_"
        if n is None:
            self.hint = ""
        elif not self.low <= n <= self.high:
            self.hint = "number.range"
        elif n == 0 and not self.zero_ok:
            self.hint = "number.nonzero"
        else:
            self.hint = ""
        self.ready = n is not None and not self.hint

    def hint_text(self, hint: str, _lang: str) -> str:
        return app().t(hint, low=int(self.low), high=int(self.high)) if hint else ""

    def ok(self) -> None:
        n = self.value()
        if self.ready and n is not None:
            self.dismiss()
            self.dispatch("on_number", n)


class NumberField(BoxLayout):
    """A number on a form: its caption, a button showing it (tap: type it on a pad), and
    steps down and up. ``action``: the buttons' actions are ``<action>_down``, ``_type``,
    ``_up``; the steps grey out at the ends of the range."""

    caption = StringProperty("")
    value = NumericProperty(0)
    step = NumericProperty(1)
    low = NumericProperty(0)
    high = NumericProperty(99999)
    action = StringProperty("")

    def bump(self, sign: int) -> None:
        self.value = min(self.high, max(self.low, int(self.value) + sign * int(self.step)))

    def type_it(self) -> None:
        pad = NumberPopup(title=self.caption, low=self.low, high=self.high)
        self.bind(caption=pad.setter("title"))  # the caption follows a change of language
        pad.bind(on_number=lambda _p, n: setattr(self, "value", n))
        pad.bind(on_dismiss=lambda _p: self.unbind(caption=pad.setter("title")))
        pad.check()
        pad.open()
