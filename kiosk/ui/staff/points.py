"""Points adjustment, first step: the volunteer, by card (a card shown on this page picks them)
or by number on the pad."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.staff.page import StaffPage

MAX_DIGITS = 8


def volunteer_number(digits: str) -> str:
    return "V" + digits if digits else "V______"


class PointsPage(StaffPage):
    digits = StringProperty("")
    takes_cards = BooleanProperty(True)

    def reset(self) -> None:
        self.digits = ""

    def key(self, key: str) -> None:
        if key == "del":
            self.digits = ""
        elif key == "go":
            if self.digits:
                self.lookup(volunteer_id="V" + self.digits)
        elif len(self.digits) < MAX_DIGITS:
            self.digits += key

    def scanned(self, text: str) -> None:
        self.lookup(text=text)

    def lookup(self, *, text: str | None = None, volunteer_id: str | None = None) -> None:
        kiosk = app().kiosk

        def found(result: Any) -> None:
            self.digits = ""
            if isinstance(result, flows.PointsTarget):
                self.open("points_adjust", target=result)
                app().sound.play("notice")
                return
            if text is not None:  # a card: why it is not a volunteer's, as the home screen says
                self.say(self.t(f"refusal.{result.reason}.title"), False)
            else:
                self.say(self.error(result.reason), False)

        app().run_job(
            lambda: flows.points_target(kiosk, text=text, volunteer_id=volunteer_id), found
        )
