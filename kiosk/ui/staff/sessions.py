"""Sessions: the last week's sign-ins, newest first, each with its figures and a button to
correct it; and closing the sign-ins people forgot to end."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.properties import ListProperty, NumericProperty, StringProperty

from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import pick, time_text
from kiosk.ui.staff.page import StaffPage
from kiosk.ui.staff.parts import FitRow


def session_status(s: dict[str, Any]) -> str:
    """open | forgotten | closed | auto_closed (not yet reviewed) | corrected"""
    if s["status"] == "open":
        return "forgotten" if s.get("forgotten") else "open"
    if s["corrected"]:
        return "corrected"
    return "auto_closed" if s["status"] == "auto_closed" else "closed"


class SessionRow(FitRow):
    session_id = StringProperty("")


class SessionsPage(StaffPage):
    rows = ListProperty()
    forgotten = NumericProperty(0)  # open sign-ins past their activity's end

    def load(self, kiosk: Any) -> list[dict[str, Any]]:
        return flows.staff_sessions(kiosk)

    def loaded(self, sessions: list[dict[str, Any]]) -> None:
        self.sessions = sessions
        self.forgotten = sum(1 for s in sessions if s["status"] == "open" and s["forgotten"])

    def render(self) -> None:
        super().render()
        rows = []
        for s in getattr(self, "sessions", []):
            status = session_status(s)
            rows.append(
                {
                    "text": self.session_text(s, status),
                    "session_id": s["session_id"],
                    "ink": "refusal" if status in ("forgotten", "auto_closed") else "ink",
                    "least": dp(100),
                    "page": self,
                }
            )
        self.rows = rows

    def session_text(self, s: dict[str, Any], status: str) -> str:
        lang = self.lang
        common = {
            "name": s["name"],
            "id": s["volunteer_id"],
            "activity": pick(s["titles"], lang),
            "status": self.t(f"staff.sessions.status.{status}"),
            "day": f"{self.local(s['signed_in_at']):%m-%d}",
            "start": time_text(self.local(s["signed_in_at"]), lang),
        }
        if s["signed_out_at"] is None:
            return self.t("staff.sessions.row_open", **common)
        return self.t(
            "staff.sessions.row_closed",
            end=self.when(s["signed_out_at"], s["signed_in_at"]),
            minutes=s["minutes"] or 0,
            points=s["points"] or 0,
            **common,
        )

    def correct(self, session_id: str) -> None:
        kiosk = app().kiosk

        def loaded(draft: flows.CorrectionDraft | None) -> None:
            if draft is None:
                self.say(self.t("staff.error.unknown_session"), False)
                return
            self.open("correct", draft=draft)

        app().run_job(lambda: flows.correction_draft(kiosk, session_id), loaded)

    def close_forgotten(self) -> None:
        kiosk = app().kiosk

        def done(closed: list) -> None:
            self.reload(self.t("staff.done.closed", n=len(closed)), True)

        app().run_job(kiosk.close_forgotten_sessions, done)
