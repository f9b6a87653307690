"""Stock: restock and adjust each stocked item's count at this site, with a reason."""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, NumericProperty, StringProperty

from kiosk.core import reasons
from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import pick
from kiosk.ui.staff.page import StaffPage
from kiosk.ui.staff.parts import FitRow, NumberPopup

MAX_TYPED = 9999  # more than any delivery to a community station; a typo stops here


class StockRow(FitRow):
    item_id = StringProperty("")
    stock = NumericProperty(0)


class StockPage(StaffPage):
    rows = ListProperty()
    reason = StringProperty("delivery")
    reasons = ListProperty()  # [(code, words)] for the reason choices

    def reset(self) -> None:
        # The next staff member starts from a delivery, not from what the last one chose.
        self.reason = "delivery"

    def load(self, kiosk: Any) -> list[flows.ItemView]:
        return [i for i in flows.staff_items(kiosk, app().image_dirs) if i.stocked]

    def loaded(self, items: list[flows.ItemView]) -> None:
        self.items = items

    def render(self) -> None:
        super().render()
        self.reasons = [(r, self.t(f"staff.reason.{r}")) for r in reasons.STOCK]
        self.rows = [
            {
                "text": self.t("staff.stock.row", name=pick(i.names, self.lang), n=i.stock or 0),
                "item_id": i.item_id,
                "stock": i.stock or 0,
                "page": self,
            }
            for i in getattr(self, "items", [])
        ]

    def restock(self, item_id: str, qty: int) -> None:
        a = app()
        kiosk, staff, reason = a.kiosk, self.staff_id, self.reason
        self.act(lambda: kiosk.restock(staff, item_id, qty, reason), "staff.done.restock", n=qty)

    def type_change(self, item_id: str) -> None:
        """A number typed on a pad: after a delivery, how many came; with another reason,
        how many to add or take off (never more than are there)."""
        item = next((i for i in getattr(self, "items", []) if i.item_id == item_id), None)
        if item is None:
            return
        delivery = self.reason == "delivery"
        pad = NumberPopup(
            title=self.t("staff.stock.type_title", name=pick(item.names, self.lang)),
            low=1 if delivery else -(item.stock or 0),
            high=MAX_TYPED,
            signed=not delivery,
            add_key="staff.stock.add",
            take_key="staff.stock.take",
            zero_ok=False,
        )
        pad.bind(on_number=lambda _p, n: self.change(item_id, n))
        pad.check()
        pad.open()

    def change(self, item_id: str, n: int) -> None:
        if n > 0:
            self.restock(item_id, n)
        elif n < 0:
            self.adjust(item_id, n)

    def adjust(self, item_id: str, delta: int) -> None:
        if self.reason == "delivery":  # the button is greyed then (stock.kv): a delivery adds
            return
        a = app()
        kiosk, staff, reason = a.kiosk, self.staff_id, self.reason
        self.act(
            lambda: kiosk.adjust_stock(staff, item_id, delta, reason), "staff.done.adjust", n=delta
        )
