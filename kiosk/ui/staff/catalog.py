"""The catalog page: every reward in the catalog, listed or not; add one, or open one to edit."""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, StringProperty

from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import pick
from kiosk.ui.staff.page import StaffPage
from kiosk.ui.staff.parts import FitRow


class CatalogRow(FitRow):
    item_id = StringProperty("")


class CatalogPage(StaffPage):
    rows = ListProperty()

    def load(self, kiosk: Any) -> list[flows.ItemView]:
        return flows.staff_items(kiosk, app().image_dirs)

    def loaded(self, items: list[flows.ItemView]) -> None:
        self.items = items

    def render(self) -> None:
        super().render()
        self.rows = [
            {
                "text": self.t(
                    "staff.catalog.row",
                    name=pick(i.names, self.lang),
                    cost=i.cost,
                    kind=self.t(f"item.kind.{i.kind}"),
                    state=self.t("staff.catalog.active" if i.active else "staff.catalog.inactive"),
                ),
                "item_id": i.item_id,
                "page": self,
            }
            for i in getattr(self, "items", [])
        ]

    def add(self) -> None:
        self.open("catalog_edit", item=None)

    def edit(self, item_id: str) -> None:
        item = next((i for i in getattr(self, "items", []) if i.item_id == item_id), None)
        if item is not None:
            self.open("catalog_edit", item=item)
