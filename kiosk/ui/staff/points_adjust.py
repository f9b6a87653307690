"""Points adjustment, second step: how many points to give or take back, and why; never below zero."""

from __future__ import annotations

import dataclasses
from typing import Any

from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)

from kiosk.core import reasons
from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.staff.page import StaffPage, signed
from kiosk.ui.staff.parts import NumberPopup

STEPS = (-10, -1, 1, 10)
MAX_CHANGE = 10000  # points in one change; more is a typing slip


class PointsAdjustPage(StaffPage):
    menu = StringProperty("points")
    takes_cards = BooleanProperty(True)
    target = ObjectProperty(None, allownone=True)  # flows.PointsTarget
    delta = NumericProperty(0)
    reason = ObjectProperty(None, allownone=True)
    who = StringProperty("")
    amount = StringProperty("")
    preview = StringProperty("")
    preview_ink = StringProperty("muted_ink")
    reasons = ListProperty()
    steps = ListProperty([(n, signed(n)) for n in STEPS])
    ready = BooleanProperty(False)  # the change can be confirmed

    def prepare(self, target: flows.PointsTarget | None = None, **_kw: Any) -> None:
        self.target, self.delta, self.reason = target, 0, None

    def reset(self) -> None:
        self.target, self.delta, self.reason = None, 0, None

    def on_delta(self, *_a) -> None:
        if self.delta:
            self.message = ""  # a new change: the last one's message is history
        self.render()

    def on_reason(self, *_a) -> None:
        self.render()

    def render(self) -> None:
        super().render()
        self.reasons = [(r, self.t(f"staff.points.reasons.{r}")) for r in reasons.POINTS]
        target = self.target
        if target is None:
            return
        self.who = self.t(
            "staff.points.who", name=target.name, id=target.volunteer_id, balance=target.balance
        )
        delta = int(self.delta)
        self.amount = self.t("staff.points.amount", delta=signed(delta))
        # One line under the form: what is still missing, else what the change will do.
        # Confirm is greyed until nothing is missing.
        self.ready = False
        if delta == 0:
            self.preview, self.preview_ink = self.t("staff.points.pick_amount"), "muted_ink"
        elif target.balance + delta < 0:
            self.preview = self.t("staff.points.below_zero", balance=target.balance)
            self.preview_ink = "refusal"
        elif self.reason is None:
            self.preview, self.preview_ink = self.t("staff.error.reason_required"), "muted_ink"
        else:
            self.preview = self.t("staff.points.after", balance=target.balance + delta)
            self.preview_ink, self.ready = "success", True

    def type_it(self) -> None:
        """The change typed on a pad, given or taken back; at most what the volunteer has."""
        target = self.target
        if target is None:
            return
        pad = NumberPopup(
            title_key="staff.points.type", signed=True, low=-target.balance, high=MAX_CHANGE
        )
        pad.negative = int(self.delta) < 0
        pad.bind(on_number=lambda _p, n: setattr(self, "delta", n))
        pad.check()
        pad.open()

    def step(self, n: int) -> None:
        self.delta += n

    def scanned(self, text: str) -> None:
        self.other()
        self.shell.page.scanned(text)

    def other(self) -> None:
        self.open("points")

    def confirm(self) -> None:
        target, delta, reason = self.target, int(self.delta), self.reason
        if target is None or not self.ready:
            return
        a = app()
        kiosk, staff = a.kiosk, self.staff_id

        def done(out: Any) -> None:
            if out.ok:
                self.target = dataclasses.replace(target, balance=out.balance)
                self.delta, self.reason = 0, None
                self.reload(
                    self.t(
                        "staff.done.points", name=out.name, delta=signed(delta), balance=out.balance
                    ),
                    True,
                )
                a.sound.play("success")
            elif out.balance is not None:
                # The balance moved meanwhile (a redemption at another kiosk): the line under
                # the form says so with the new figure, and Confirm greys out; no second message.
                self.target = dataclasses.replace(target, balance=out.balance)
                self.render()
                a.sound.play("refusal")
            else:
                self.say(self.error(out.reason), False)

        a.run_job(lambda: kiosk.adjust_points(staff, target.volunteer_id, delta, reason), done)
