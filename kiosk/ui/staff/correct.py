"""Correcting one sign-in: staff move its sign-out time in steps and pick a reason; the
new figures are previewed with the rule the service applies (kiosk.core.correction)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.core import reasons
from kiosk.core.correction import CorrectionRefusal
from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import pick
from kiosk.ui.staff.page import StaffPage, signed
from kiosk.ui.staff.parts import NumberPopup

STEPS = (-60, -15, 15, 60)  # minutes; a quarter-hour step lands on :00 :15 :30 :45


class CorrectPage(StaffPage):
    menu = StringProperty("sessions")
    who = StringProperty("")
    was = StringProperty("")
    out_text = StringProperty("")
    preview = StringProperty("")
    refused = BooleanProperty(False)
    reason = StringProperty("")
    reasons = ListProperty()
    steps = ListProperty()  # [(minutes, words)]
    session_id = StringProperty("")

    draft: flows.CorrectionDraft | None = None

    def prepare(self, draft: flows.CorrectionDraft | None = None, **_kw: Any) -> None:
        self.draft = draft
        if draft is not None:
            self.session_id = draft.row["session_id"]
            self.reason = draft.reason
        self.ids.scroll.scroll_y = 1

    def reset(self) -> None:
        self.draft = None

    def render(self) -> None:
        super().render()
        self.reasons = [(r, self.t(f"staff.correct.reasons.{r}")) for r in reasons.CORRECTION]
        self.steps = [
            (n, self.t(f"staff.correct.step.{k}"))
            for n, k in zip(STEPS, ("minus_hour", "minus_15", "plus_15", "plus_hour"), strict=True)
        ]
        d = self.draft
        if d is None:
            return
        row = d.row
        self.who = self.t(
            "staff.correct.who",
            name=row["name"],
            id=row["volunteer_id"],
            activity=pick(row["titles"], self.lang),
        )
        start = self.when(row["signed_in_at"])
        if row["signed_out_at"] is None:
            self.was = self.t("staff.correct.was_open", start=start)
        else:
            self.was = self.t(
                "staff.correct.was_closed",
                start=start,
                end=self.when(row["signed_out_at"], row["signed_in_at"]),
                minutes=row["minutes"] or 0,
                points=row["points"] or 0,
            )
        self.out_text = self.t(
            "staff.correct.out", time=self.when(d.signed_out_at, row["signed_in_at"])
        )
        verdict = d.verdict(app().kiosk.now())
        self.refused = isinstance(verdict, CorrectionRefusal)
        if self.refused:
            self.preview = self.t(f"staff.error.{verdict.value}")
        else:
            self.preview = self.t(
                "staff.correct.preview",
                minutes=verdict.minutes,
                credited=verdict.credited_minutes,
                points=verdict.points,
                delta=signed(verdict.points - (row["points"] or 0)),
            )

    def step(self, minutes: int) -> None:
        d = self.draft
        if d is None:
            return
        out = d.signed_out_at
        if abs(minutes) == 15:  # to the next (or previous) quarter hour: 12:07 -> 12:15 or 12:00
            past = out.minute % 15
            out += timedelta(minutes=15 - past) if minutes > 0 else -timedelta(minutes=past or 15)
        else:
            out += timedelta(minutes=minutes)
        d.signed_out_at = out
        self.render()

    def type_time(self) -> None:
        """The sign-out time typed on a pad, on the sign-in's day."""
        if self.draft is None:
            return
        pad = NumberPopup(title_key="staff.correct.out_label", clock=True)
        pad.bind(on_number=lambda _p, minutes: self.set_time(minutes))
        pad.check()
        pad.open()

    def set_time(self, minutes: int) -> None:
        d = self.draft
        if d is None:
            return
        day = self.local(d.row["signed_in_at"])
        d.signed_out_at = day.replace(
            hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0
        )
        self.render()

    def on_reason(self, *_a) -> None:
        if self.draft is not None:
            self.draft.reason = self.reason

    def cancel(self) -> None:
        self.open("sessions")

    def confirm(self) -> None:
        d = self.draft
        if d is None or self.refused:
            return
        a = app()
        kiosk, staff = a.kiosk, self.staff_id
        old_points = d.row["points"] or 0

        def done(out: Any) -> None:
            if out.ok:
                self.open(
                    "sessions",
                    message=self.t(
                        "staff.done.corrected",
                        name=out.name,
                        minutes=out.minutes,
                        points=out.points,
                        delta=signed(out.points - old_points),
                        balance=out.balance,
                    ),
                )
                a.sound.play("success")
            else:
                self.say(self.error(out.reason), False)

        a.run_job(
            lambda: kiosk.correct_attendance(staff, d.row["session_id"], d.signed_out_at, d.reason),
            done,
        )
