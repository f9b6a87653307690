"""Sync: whether the kiosk reaches the ledger, what is waiting to be sent, and the
exceptions the ledger found for this site (as the sync agent last read them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.properties import ListProperty

from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import pick, short_date, time_text
from kiosk.ui.staff.page import StaffPage

OUTBOX_ROWS = 30
EXCEPTION_KINDS = (
    "overdraft",
    "overlapping_sessions",
    "conflict",
    "rejected",
    "stock_below_zero",
    "over_capacity",
)
MAX_EXCEPTION_ROWS = 50  # the newest; the ledger's 台账 has them all


class SyncPage(StaffPage):
    rows = ListProperty()

    def load(self, kiosk: Any) -> flows.SyncView:
        return flows.sync_view(kiosk, app().sync_agent, outbox_rows=OUTBOX_ROWS)

    def loaded(self, view: flows.SyncView) -> None:
        self.view = view

    def tick(self) -> None:
        """Read again when the agent has read a newer list from the ledger."""
        agent, view = app().sync_agent, getattr(self, "view", None)
        if (
            agent is not None
            and view is not None
            and getattr(agent, "exceptions_at", None) != view.exceptions_at
        ):
            self.reload()

    def render(self) -> None:
        super().render()
        s: flows.SyncView | None = getattr(self, "view", None)
        if s is None:
            return
        rows: list[dict[str, Any]] = []

        def row(text: str, ink: str = "ink") -> None:
            rows.append({"viewclass": "StaffRow", "text": text, "ink": ink})

        def note(text: str) -> None:
            rows.append({"viewclass": "StaffNote", "text": text, "ink": "ink"})

        if not s.connected:
            row(self.t("staff.sync.not_connected"))
        else:
            row(self.t("staff.sync.online" if s.online else "staff.sync.offline"))
        row(self.t("staff.sync.pending", n=s.pending, minutes=int(s.oldest_age_s // 60)))
        row(self.t("staff.sync.last_success", when=s.last_success or self.t("staff.sync.never")))
        if s.last_error:
            row(self.t("staff.sync.last_error", error=s.last_error), "refusal")
        note(self.t("staff.sync.outbox"))
        for ev in s.outbox:
            row(f"#{ev['seq']}  {ev['type']}  {ev['at'][11:19]}  {ev['actor']}")
        note(self.t("staff.sync.exceptions"))
        if s.exceptions_at:
            at = self.local(datetime.fromisoformat(s.exceptions_at))
            note(
                self.t(
                    "staff.sync.exceptions_as_of",
                    time=f"{short_date(at, self.lang)} {time_text(at, self.lang)}",
                )
            )
        if s.exceptions is None:
            row(self.t("staff.sync.exceptions_unavailable"))
        elif not s.exceptions:
            row(self.t("staff.sync.exceptions_none"))
        else:
            for exc in s.exceptions[:MAX_EXCEPTION_ROWS]:
                row(self.exception_text(exc), "refusal")
            if len(s.exceptions) > MAX_EXCEPTION_ROWS:
                note(self.t("staff.sync.exceptions_more", n=len(s.exceptions) - MAX_EXCEPTION_ROWS))
        self.rows = rows

    def exception_text(self, exc: dict[str, Any]) -> str:
        """One line: when, what kind, whose (a volunteer id, else the kiosk), the figures."""
        lang, kind, d = self.lang, exc["kind"], exc["detail"]
        known = kind in EXCEPTION_KINDS
        figures = {
            "balance": d.get("balance", ""),
            "cost": d.get("cost", ""),
            "seq": d.get("seq", ""),
            "delta": d.get("delta", ""),
            "reason": d.get("reason", ""),
            "qty": d.get("qty", ""),
            "kiosk": exc["kiosk_id"],
            "kiosks": ", ".join(str(k) for k in d.get("kiosks") or [exc["kiosk_id"]]),
            "item": pick(exc["item_names"], lang) if exc["item_names"] else "",
        }
        when = exc["when"]
        # An overdraft made by a staff adjustment or correction, not by a redemption.
        detail_key = (
            {"points.adjust": "overdraft_adjust", "attendance.correct": "overdraft_correct"}.get(
                d.get("cause"), kind
            )
            if kind == "overdraft"
            else kind
        )
        return self.t(
            "staff.sync.exception_row",
            when=f"{short_date(when, lang)} {time_text(when, lang)}" if when else "",
            kind=self.t(f"staff.sync.kind.{kind}") if known else self.t("staff.sync.kind.other"),
            who=exc["volunteer_id"] or exc["kiosk_id"],
            detail=self.t(f"staff.sync.detail.{detail_key}", **figures) if known else "",
        )
