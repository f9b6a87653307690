"""Redemptions: the latest redemptions at this kiosk; one handed over by mistake can be
cancelled (the points go back, the item back into stock)."""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, StringProperty

from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import pick
from kiosk.ui.staff.page import StaffPage
from kiosk.ui.staff.parts import FitRow


class RedemptionRow(FitRow):
    """A redemption that can still be cancelled."""

    redemption_id = StringProperty("")


class RedemptionsPage(StaffPage):
    rows = ListProperty()

    def load(self, kiosk: Any) -> list[dict[str, Any]]:
        return flows.staff_redemptions(kiosk)

    def loaded(self, redemptions: list[dict[str, Any]]) -> None:
        self.redemptions = redemptions

    def render(self) -> None:
        super().render()
        rows = []
        for r in getattr(self, "redemptions", []):
            text = self.t(
                "staff.redemptions.row",
                no=r["pickup_no"],
                item=pick(r["item_names"], self.lang),
                name=r["name"],
                day=r["day"],
                status=self.t(f"staff.redemptions.{r['status']}"),
            )
            row = {"text": text, "page": self, "redemption_id": r["redemption_id"]}
            row["viewclass"] = "RedemptionRow" if r["status"] == "done" else "StaffRow"
            rows.append(row)
        self.rows = rows

    def cancel(self, redemption_id: str) -> None:
        kiosk, staff = app().kiosk, self.staff_id
        self.act(
            lambda: kiosk.cancel_redemption(staff, redemption_id, "staff_cancel"),
            "staff.done.cancelled",
        )
