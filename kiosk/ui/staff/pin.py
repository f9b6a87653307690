"""The PIN screen: a staff card was shown; the card and the PIN together open staff
mode. The lockout (five wrong PINs, five minutes, per staff member, kept in the store)
is kiosk.staff.StaffGate's, checked on the store worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.properties import BooleanProperty, DictProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.ui.context import app
from kiosk.ui.i18n import time_text

MAX_PIN = 8


class PinScreen(Screen):
    staff_id = StringProperty("")
    staff_name = StringProperty("")
    pin = StringProperty("")
    dots = StringProperty("–")
    title = StringProperty("")
    message = StringProperty("")
    message_key = StringProperty("")
    message_args = DictProperty({})
    checking = BooleanProperty(False)
    _card = ""

    def on_pin(self, *_a) -> None:
        self.dots = "● " * len(self.pin) if self.pin else "–"

    def begin(self, staff_id: str, name: str, card: str) -> None:
        """A staff card was shown: ask for the PIN, or say until when it is locked.
        ``card``: the card's text, needed with the PIN (it keys the PIN's hash); held here
        for this login only, never stored or shown."""
        self.staff_id, self.staff_name, self.pin = staff_id, name, ""
        self._card = card
        self.message_key, self.message_args = "", {}
        a = app()
        gate = a.gate
        a.run_job(lambda: gate.locked_until(staff_id), self._lock_checked)

    def _lock_checked(self, until: datetime | None) -> None:
        if until is not None:
            self.message_key, self.message_args = "pin.locked", {"time": self._time(until)}
        self.render()
        a = app()
        a.go("pin")
        a.sound.play("staff")

    def key(self, action: str, value: str | None = None) -> None:
        if self.checking:
            return
        if action == "pin_digit" and value and len(self.pin) < MAX_PIN:
            self.pin += value
        elif action == "pin_clear":
            self.pin = ""
        elif action == "pin_ok" and self.pin:
            self.checking = True
            a = app()
            gate, card, pin = a.gate, self._card, self.pin
            a.run_job(
                lambda: gate.try_pin(card, pin),
                self._pin_checked,
                failed=lambda _e: setattr(self, "checking", False),
            )

    def _pin_checked(self, verdict: Any) -> None:
        self.checking = False
        self.pin = ""
        a = app()
        if verdict.ok:
            self._card = ""
            a.open_staff(self.staff_id)
            return
        if verdict.locked_until is not None:
            self.message_key = "pin.locked"
            self.message_args = {"time": self._time(verdict.locked_until)}
        elif verdict.reason == "wrong_pin":
            self.message_key, self.message_args = "pin.wrong", {"left": verdict.attempts_left}
        elif verdict.reason == "no_pin":
            self.message_key, self.message_args = "pin.no_pin", {}
        else:  # the card itself is no longer good (replaced or suspended meanwhile)
            self.message_key, self.message_args = "pin.card_refused", {}
        self.render()
        a.sound.play("refusal")

    def _time(self, dt: datetime) -> str:
        return time_text(dt, app().lang)

    def render(self) -> None:
        a = app()
        self.title = a.t("pin.title", name=self.staff_name)
        self.message = a.t(self.message_key, **self.message_args) if self.message_key else ""
