"""StaffPage: what every staff page has. A page is a Screen in the staff shell's page
manager, with one kv rule of its own. It loads what it shows on the store worker
(``load``, Kivy-free), keeps it (``loaded``) and turns it into its Kivy properties in
the current language (``render``); its kv binds to those properties. Taps become worker
jobs; their answer is a message on the page, and the page's figures are read again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.ui.context import app
from kiosk.ui.i18n import time_text


def signed(n: int) -> str:
    """+10, 0, -10: a change, with its sign (an ASCII minus: the kiosk font has no U+2212)."""
    return f"{n:+d}" if n else "0"


class Said(str):
    """Words from the catalog that remember their key, so a page can say them again in the
    language a person switches to after the fact (a restock's message, in English)."""

    key: str = ""
    kw: dict[str, Any]


class StaffPage(Screen):
    heading = StringProperty("")
    message = StringProperty("")
    message_ok = BooleanProperty(True)
    # The menu entry this page belongs to: an editor lights its list's entry.
    menu = StringProperty("")
    # A card shown on this page picks a volunteer instead of being ignored (points pages).
    takes_cards = BooleanProperty(False)
    shell = ObjectProperty(None, allownone=True)  # the StaffScreen holding the page

    # -- life cycle (called by the shell) ----------------------------------------------

    def prepare(self, **kw: Any) -> None:
        """Before the page is shown: what it was opened for (a session, an item)."""

    def reset(self) -> None:
        """Staff mode ended: forget what this page was working on."""

    def enter(self, message: str | None = None, ok: bool = True) -> None:
        self.message = ""
        self.reload(message, ok)

    def open(self, name: str, message: str | None = None, ok: bool = True, **kw: Any) -> None:
        """Another page (an editor, or back to its list), with a message to show there."""
        self.shell.open(name, message=message, ok=ok, **kw)

    # -- data ----------------------------------------------------------------------------

    def load(self, kiosk: Any) -> Any:
        """On the store worker: what the page shows. Nothing by default."""
        return None

    def loaded(self, data: Any) -> None:
        """On the UI thread, with what ``load`` returned."""

    def render(self) -> None:
        """The page's properties from what it holds, in the current language."""
        self.heading = self.t(f"staff.heading.{self.menu or self.name}")
        said = self.message
        if isinstance(said, Said) and said.key:  # the message, in the language now shown
            self.message = self.t(said.key, **said.kw)

    def reload(self, message: str | None = None, ok: bool = True) -> None:
        a = app()
        kiosk = a.kiosk

        def done(data: Any) -> None:
            self.loaded(data)
            if message is not None:
                self.say(message, ok, sound=False)
            self.render()

        a.run_job(lambda: self.load(kiosk), done)

    def act(self, fn: Callable[[], Any], ok_key: str, **kw: Any) -> None:
        """Run a staff action on the worker; say how it went, then read the figures again."""

        def done(outcome: Any) -> None:
            if getattr(outcome, "ok", True):
                self.reload(self.t(ok_key, **kw), True)
            else:
                self.reload(self.error(outcome.reason), False)

        app().run_job(fn, done)

    def scanned(self, text: str) -> None:
        """A card shown while this page is open (only when ``takes_cards``)."""

    def tick(self) -> None:
        """Every couple of seconds while the page is shown."""

    # -- words ---------------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return app().lang

    @property
    def staff_id(self) -> str:
        return app().staff_id

    def t(self, key: str, **kw: Any) -> str:
        said = Said(app().t(key, **kw))
        said.key, said.kw = key, kw
        return said

    def error(self, reason: str | None) -> str:
        """Why the service refused, in words; never the reason's code."""
        key = f"staff.error.{reason}"
        return self.t(key if app().translator.has(key, self.lang) else "staff.error.other")

    def say(self, text: str, ok: bool, sound: bool = True) -> None:
        """A message on the page, with its colour (and sound)."""
        self.message_ok = ok
        self.message = text
        if sound:
            app().sound.play("success" if ok else "refusal")

    def local(self, dt: datetime) -> datetime:
        return dt.astimezone(app().kiosk.config.tz)

    def when(self, dt: datetime, day_of: datetime | None = None) -> str:
        """HH:MM, with the date (MM-DD) in front unless it is ``day_of``'s date."""
        local = self.local(dt)
        clock = time_text(local, self.lang)
        if day_of is not None and local.date() == self.local(day_of).date():
            return clock
        return f"{local:%m-%d} {clock}"
