"""Staff mode on screen: the PIN screen (pin.py), then the shell (this module): the menu
of pages on the left, the ways out below it, and the open page beside them.

Each page is one small class with one kv rule (``<name>.py`` and ``<name>.kv`` here),
made and its kv loaded the first time staff open it. The rules (lockout, what may be
changed) live in kiosk.staff and kiosk.service; pages turn taps into worker jobs and
their answers into properties."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.ui.context import app
from kiosk.ui.staff.page import StaffPage
from kiosk.ui.widgets import KButton

HERE = Path(__file__).resolve().parent

# The menu, in order; then the pages opened from a page (an editor and its list's entry).
MENU = ("stock", "catalog", "sessions", "points", "assist", "redemptions", "sync", "settings")
PAGES: dict[str, str] = {
    "stock": "stock:StockPage",
    "catalog": "catalog:CatalogPage",
    "catalog_edit": "catalog_edit:CatalogEditPage",
    "sessions": "sessions:SessionsPage",
    "correct": "correct:CorrectPage",
    "points": "points:PointsPage",
    "points_adjust": "points_adjust:PointsAdjustPage",
    "assist": "assist:AssistPage",
    "redemptions": "redemptions:RedemptionsPage",
    "sync": "sync:SyncPage",
    "settings": "settings:SettingsPage",
}


def load_kv() -> None:
    """The rules staff mode needs before the app's root is built; each page's own kv
    is loaded when the page is first opened."""
    from kiosk.ui.staff import pin as _pin  # noqa: F401  (kiosk.kv names PinScreen)

    for name in ("parts", "pin", "shell"):
        _load(HERE / f"{name}.kv")


def _load(path: Path) -> None:
    if str(path) not in Builder.files:
        Builder.load_file(str(path))


class NavButton(KButton):
    """A menu entry (shell.kv): lit while its page, or an editor of it, is open."""

    current = BooleanProperty(False)


class StaffScreen(Screen):
    tab = StringProperty("stock")  # the menu entry lit
    page = ObjectProperty(None, allownone=True, rebind=True)  # the open StaffPage

    def on_kv_post(self, _base: Any) -> None:
        nav = self.ids.nav
        for name in MENU:
            button = NavButton(action="tab", value=name, current=name == self.tab)
            button.bind(on_release=lambda b: self.open(b.value))
            nav.add_widget(button)

    def on_tab(self, *_a) -> None:
        for button in self.ids.nav.children:
            button.current = button.value == self.tab

    # -- pages ------------------------------------------------------------------------------

    def page_named(self, name: str) -> StaffPage:
        pages = self.ids.pages
        if name in pages.screen_names:
            return pages.get_screen(name)
        module, cls = PAGES[name].split(":")
        mod = importlib.import_module(f"kiosk.ui.staff.{module}")
        _load(HERE / f"{module}.kv")
        page = getattr(mod, cls)(name=name, shell=self)
        pages.add_widget(page)
        return page

    def open(self, name: str, message: str | None = None, ok: bool = True, **kw: Any) -> StaffPage:
        """Show page ``name`` (from the menu, or an editor with what it edits), and a
        message on it (what the page before it just did)."""
        page = self.page_named(name)
        page.prepare(**kw)
        self.tab = page.menu or name
        self.page = page
        self.ids.pages.current = name
        page.render()
        page.enter(message, ok)
        return page

    def end(self) -> None:
        """Staff mode ended: every page forgets what it was working on."""
        for page in self.ids.pages.screens:
            page.reset()
        self.page = None

    def render(self) -> None:
        """The language changed (the menu's words follow app.lang in shell.kv)."""
        if self.page is not None:
            self.page.render()

    def takes_cards(self) -> bool:
        return app().staff_id != "" and self.page is not None and self.page.takes_cards

    def scanned(self, text: str) -> None:
        """A card shown in staff mode: on the points pages it picks the volunteer; anywhere
        else it records nothing (staff are at work, it is not a sign-in)."""
        if self.takes_cards():
            self.page.scanned(text)

    def tick(self) -> None:
        if self.page is not None and self.manager is not None and self.manager.current == "staff":
            self.page.tick()
