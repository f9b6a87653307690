"""A reward's editor: its names in the three languages, cost, monthly limit, kind, and
whether it is listed. Opened from the catalog page for one item, or empty for a new one."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import LANGS
from kiosk.ui.staff.page import StaffPage

KINDS = ("goods", "privilege", "ticket")
MAX_COST = 100_000  # points; more is a typing slip
MAX_LIMIT = 99  # per person a month
FIELDS = {"zh-Hans": "name_zh_hans", "zh-Hant": "name_zh_hant", "en": "name_en"}


class CatalogEditPage(StaffPage):
    menu = StringProperty("catalog")
    item_id = StringProperty("")
    is_new = BooleanProperty(True)
    cost = NumericProperty(10)
    monthly_limit = NumericProperty(0)
    kind = StringProperty("goods")
    active = BooleanProperty(True)
    kinds = ListProperty()  # [(kind, words)]
    hint = StringProperty("")  # what keeps Save greyed, or ""
    can_save = BooleanProperty(False)
    limits = ListProperty([MAX_COST, MAX_LIMIT])

    def prepare(self, item: flows.ItemView | None = None, **_kw: Any) -> None:
        if item is None:
            stamp = app().kiosk.now().strftime("%Y%m%d%H%M%S")
            self.item_id, self.is_new = f"item-{stamp}", True
            names: dict[str, str] = {}
            self.cost, self.monthly_limit, self.kind, self.active = 10, 0, "goods", True
        else:
            self.item_id, self.is_new = item.item_id, False
            names = item.names
            self.cost, self.monthly_limit = item.cost, item.monthly_limit
            self.kind, self.active = item.kind, item.active
        for lang, field in FIELDS.items():
            self.ids[field].text = names.get(lang, "")
        self.original = self.form()
        self.ids.scroll.scroll_y = 1
        self.check()

    def form(self) -> dict[str, Any]:
        return {
            "names": {lang: self.ids[FIELDS[lang]].text.strip() for lang in LANGS},
            "cost": int(self.cost),
            "monthly_limit": int(self.monthly_limit),
            "kind": self.kind,
            "active": bool(self.active),
        }

    def check(self, *_a) -> None:
        """Save is greyed while the form cannot be saved (one line says why) or, for an item
        being edited, while nothing has changed."""
        if not hasattr(self, "original"):
            return
        form = self.form()
        self.hint = "" if form["names"]["zh-Hans"] else self.t("staff.error.name_required")
        self.can_save = not self.hint and (self.is_new or form != self.original)

    def on_cost(self, *_a) -> None:
        self.check()

    def on_monthly_limit(self, *_a) -> None:
        self.check()

    def on_kind(self, *_a) -> None:
        self.check()

    def on_active(self, *_a) -> None:
        self.check()

    def render(self) -> None:
        super().render()
        self.kinds = [(k, self.t(f"item.kind.{k}")) for k in KINDS]
        self.check()

    def toggle_active(self) -> None:
        self.active = not self.active

    def cancel(self) -> None:
        self.open("catalog")

    def save(self) -> None:
        if not self.can_save:
            return
        names = {lang: self.ids[FIELDS[lang]].text for lang in LANGS}
        a = app()
        kiosk, staff, is_new = a.kiosk, self.staff_id, self.is_new
        item_id, cost, limit = self.item_id, int(self.cost), int(self.monthly_limit)
        kind, active = self.kind, bool(self.active)

        def job():
            image = ""
            if not is_new:  # keep the picture it has
                current = kiosk.store.catalog_item(item_id)
                image = current.image if current else ""
            return kiosk.upsert_catalog_item(
                staff, item_id, names, cost, kind, limit, image, active
            )

        def done(outcome: Any) -> None:
            if outcome.ok:
                self.open("catalog", message=self.t("staff.done.saved"))
            else:
                self.say(self.error(outcome.reason), False, sound=False)

        a.run_job(job, done)
