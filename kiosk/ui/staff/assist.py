"""Assisted sign-in: staff sign a volunteer in by number, for someone without their card; the event
records who helped."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import pick
from kiosk.ui.staff.page import StaffPage
from kiosk.ui.staff.points import MAX_DIGITS


class AssistPage(StaffPage):
    digits = StringProperty("")

    def reset(self) -> None:
        self.digits = ""

    def key(self, key: str) -> None:
        if key == "del":
            self.digits = ""
        elif key == "go":
            self.go()
        elif len(self.digits) < MAX_DIGITS:
            self.digits += key

    def go(self) -> None:
        if not self.digits:
            return
        vid = "V" + self.digits
        a = app()
        kiosk, staff = a.kiosk, self.staff_id

        def job():
            default, _cands = kiosk.candidates(vid)
            return flows.attendance(
                kiosk,
                volunteer_id=vid,
                assisted_by=staff,
                activity_id=default.activity_id if default else None,
            )

        def done(result: Any) -> None:
            self.digits = ""
            o = result.outcome
            if o.ok:
                words = self.t(
                    f"staff.assist.{o.kind}",
                    name=o.name,
                    id=o.volunteer_id,
                    activity=pick(result.titles, self.lang) if result.titles else "",
                    points=o.points or 0,
                )
                self.reload(words, True)
            else:
                self.reload(self.t(f"refusal.{o.reason}.title"), False)

        a.run_job(job, done)
