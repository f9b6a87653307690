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

STEPS = (-10, -1, 1, 10)


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

    def prepare(self, target: flows.PointsTarget | None = None, **_kw: Any) -> None:
        self.target, self.delta, self.reason = target, 0, None

    def reset(self) -> None:
        self.target, self.delta, self.reason = None, 0, None

    def on_delta(self, *_a) -> None:
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
        if delta == 0:
            self.preview, self.preview_ink = self.t("staff.points.pick_amount"), "muted_ink"
        elif target.balance + delta < 0:
            self.preview = self.t("staff.points.below_zero", balance=target.balance)
            self.preview_ink = "refusal"
        else:
            self.preview = self.t("staff.points.after", balance=target.balance + delta)
            self.preview_ink = "success"

    def step(self, n: int) -> None:
        self.delta += n

    def scanned(self, text: str) -> None:
        self.other()
        self.shell.page.scanned(text)

    def other(self) -> None:
        self.open("points")

    def confirm(self) -> None:
        target, delta, reason = self.target, int(self.delta), self.reason
        if target is None or delta == 0:
            return
        if reason is None:
            self.say(self.t("staff.error.reason_required"), False)
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
            else:
                if out.balance is not None:
                    self.target = dataclasses.replace(target, balance=out.balance)
                self.say(self.t(f"staff.error.{out.reason}"), False)
                self.render()

        a.run_job(lambda: kiosk.adjust_points(staff, target.volunteer_id, delta, reason), done)
