"""Connection: whether the kiosk reaches the server and what staff can do about it, the
records waiting to be sent, and the problems the server found for this site. Everything
here comes from the app's ``status``, the same reading the top bar shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.properties import ListProperty

from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import time_text
from kiosk.ui.staff.page import StaffPage
from sync.agent import EVENT_TYPES  # one list of event types: the wire schema's

OUTBOX_ROWS = 30
EXCEPTION_KINDS = (
    "overdraft",
    "overlapping_sessions",
    "conflict",
    "rejected",
    "stock_below_zero",
    "over_capacity",
    "figure_recomputed",  # a redemption charged at the catalog's price, not this kiosk's
)
MAX_EXCEPTION_ROWS = 50  # the newest; the server has them all


class SyncPage(StaffPage):
    rows = ListProperty()

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        app().fbind("status", self._status_changed)

    def enter(self, message: str | None = None, ok: bool = True) -> None:
        a = app()
        self.message = ""
        if message is not None:
            self.say(message, ok, sound=False)
        a.status_rows = OUTBOX_ROWS
        a.refresh_status()

    def on_leave(self, *_a) -> None:
        app().status_rows = 0

    def reset(self) -> None:
        app().status_rows = 0

    def _status_changed(self, *_a) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.render()

    def tick(self) -> None:
        """Read again when the agent has read a newer list from the server."""
        a = app()
        agent, view = a.sync_agent, a.status
        if (
            agent is not None
            and view is not None
            and getattr(agent, "exceptions_at", None) != view.exceptions_at
        ):
            a.refresh_status()

    # -- words -------------------------------------------------------------------------

    def at(self, dt: datetime | None) -> str:
        """11-30 10:30: to the minute, in the kiosk's time zone."""
        if dt is None:
            return ""
        local = self.local(dt)
        return f"{local:%m-%d} {time_text(local, self.lang)}"

    def what(self, etype: str) -> str:
        return self.t(f"event.{etype}" if etype in EVENT_TYPES else "event.other")

    def who(self, person: dict[str, str] | None) -> str:
        if not person:
            return ""
        if not person["name"]:
            return person["id"]
        return self.t("staff.sync.who", name=person["name"], id=person["id"])

    def render(self) -> None:
        super().render()
        s: flows.SyncView | None = app().status
        if s is None:
            return
        rows: list[dict[str, Any]] = []

        def row(text: str, ink: str = "ink") -> None:
            rows.append({"viewclass": "StaffRow", "text": text, "ink": ink})

        def note(text: str) -> None:
            rows.append({"viewclass": "StaffNote", "text": text, "ink": "ink"})

        state_ink = {"online": "success", "offline": "refusal"}.get(s.connection, "ink")
        row(self.t(f"staff.sync.state.{s.connection}"), state_ink)
        if s.connection != "standalone" and s.last_contact is not None:
            row(self.t("staff.sync.last_contact", when=self.at(s.last_contact)))
        if s.pending:
            row(self.t("staff.sync.pending", n=s.pending, when=self.at(s.oldest_pending_at)))
        else:
            row(self.t("staff.sync.all_sent"))
        if s.connection != "standalone":
            when = self.at(s.last_success) if s.last_success else self.t("staff.sync.never")
            row(self.t("staff.sync.last_success", when=when))
        if s.last_error and s.connection != "standalone":
            row(self.t(f"staff.sync.error.{s.last_error}"), "refusal")
        if s.outbox:
            note(self.t("staff.sync.outbox"))
            for ev in s.outbox:
                row(
                    self.t(
                        "staff.sync.outbox_row",
                        seq=ev["seq"],
                        what=self.what(ev["type"]),
                        who=self.who(ev["who"]),
                        when=self.at(ev["at"]),
                    )
                )
            if s.pending > len(s.outbox):
                note(self.t("staff.sync.outbox_more", n=s.pending - len(s.outbox)))
        if s.connection != "standalone":
            note(self.t("staff.sync.exceptions"))
            if s.exceptions_at:
                when = self.at(datetime.fromisoformat(s.exceptions_at))
                note(self.t("staff.sync.exceptions_as_of", time=when))
            if s.exceptions is None:
                row(self.t("staff.sync.exceptions_unavailable"))
            elif not s.exceptions:
                row(self.t("staff.sync.exceptions_none"))
            else:
                for exc in s.exceptions[:MAX_EXCEPTION_ROWS]:
                    row(self.exception_text(exc), "refusal")
                if len(s.exceptions) > MAX_EXCEPTION_ROWS:
                    more = len(s.exceptions) - MAX_EXCEPTION_ROWS
                    note(self.t("staff.sync.exceptions_more", n=more))
        self.rows = rows

    def exception_text(self, exc: dict[str, Any]) -> str:
        """One line: when, what kind, whose (the volunteer, else the kiosk), the figures."""
        lang, kind, d = self.lang, exc["kind"], exc["detail"]
        known = kind in EXCEPTION_KINDS
        figures = flows.exception_figures(exc, lang, what=self.what(exc.get("event_type") or ""))
        # An overdraft made by a staff adjustment or correction, not by a redemption.
        detail_key = (
            {"points.adjust": "overdraft_adjust", "attendance.correct": "overdraft_correct"}.get(
                d.get("cause"), kind
            )
            if kind == "overdraft"
            else kind
        )
        if exc.get("who"):
            who = self.who(exc["who"])
        elif exc.get("this_kiosk"):
            who = self.t("staff.sync.this_kiosk")
        else:
            who = exc["kiosk_id"]
        return self.t(
            "staff.sync.exception_row",
            when=self.at(exc["when"]),
            kind=self.t(f"staff.sync.kind.{kind}") if known else self.t("staff.sync.kind.other"),
            who=who,
            detail=self.t(f"staff.sync.detail.{detail_key}", **figures) if known else "",
        )
