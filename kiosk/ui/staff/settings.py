"""Settings: which site this kiosk serves, the language it starts in, and how long it waits
before going back to the home screen, saved in the store (they outlive a restart); the
software's versions, to read out when asking for help; and, apart, closing the kiosk app."""

from __future__ import annotations

import dataclasses
from typing import Any

from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from kiosk import __version__
from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import LANGS, pick
from kiosk.ui.staff.page import StaffPage
from kiosk.ui.staff.parts import ChoiceButton, ConfirmPopup
from sync.agent import PROTOCOL_VERSION

# Each language named in itself, as on the top bar's buttons.
LANG_NAMES = {"zh-Hans": "简体", "zh-Hant": "繁體", "en": "English"}
IDLE_RANGE = (10, 600)  # seconds


class SiteButton(RecycleDataViewBehavior, ChoiceButton):
    """One site in the list of sites (a district's kiosk may know many)."""

    page = ObjectProperty(None, allownone=True)


class SettingsPage(StaffPage):
    site_id = StringProperty("")
    language = StringProperty("zh-Hans")
    idle = NumericProperty(60)
    voice = StringProperty("on")  # spoken prompts: "on" or "off"
    changed = BooleanProperty(False)  # Save has something to do
    site_rows = ListProperty()
    languages = ListProperty([(code, LANG_NAMES[code]) for code in LANGS])
    version = StringProperty("")
    idle_range = ListProperty(IDLE_RANGE)

    def enter(self, message: str | None = None, ok: bool = True) -> None:
        a = app()
        self.saved = {
            "site_id": "",
            "language": a.config_kiosk.language,
            "idle": int(a.idle_timeout),
            "voice": bool(a.config_kiosk.voice_prompts),
        }
        self.language, self.idle, self.site_id = self.saved["language"], self.saved["idle"], ""
        self.voice = "on" if self.saved["voice"] else "off"
        super().enter(message, ok)

    def load(self, kiosk: Any) -> tuple[list, str]:
        return flows.staff_sites(kiosk)

    def loaded(self, data: tuple[list, str]) -> None:
        self.sites, current = data
        if not self.site_id:
            self.site_id = current
        if not self.saved["site_id"]:
            self.saved["site_id"] = current
        self.check()

    def on_site_id(self, *_a) -> None:
        self.render()

    def on_language(self, *_a) -> None:
        self.check()

    def on_idle(self, *_a) -> None:
        self.check()

    def on_voice(self, *_a) -> None:
        self.check()

    def check(self) -> None:
        saved = getattr(self, "saved", None)
        self.changed = saved is not None and (
            saved["site_id"] != self.site_id
            or saved["language"] != self.language
            or saved["idle"] != int(self.idle)
            or saved["voice"] != (self.voice == "on")
        )

    def render(self) -> None:
        super().render()
        self.check()
        # What a staff member reads out on the phone when asking for help (constants: no disk).
        self.version = self.t(
            "staff.settings.version",
            version=__version__,
            schema=app().kiosk.store.schema_version,  # a constant: no lock taken
            protocol=PROTOCOL_VERSION,
        )
        self.site_rows = [
            {
                "text": pick(names, self.lang),
                "value": site_id,
                "selected": site_id == self.site_id,
                "page": self,
            }
            for site_id, names in getattr(self, "sites", [])
        ]

    def save(self) -> None:
        a = app()
        store = a.kiosk.store
        st = {"site_id": self.site_id, "language": self.language, "idle": int(self.idle),
              "voice": self.voice == "on"}  # fmt: skip

        def job():
            store.set_settings(
                **{
                    "site_id": st["site_id"],
                    "ui.site_id": st["site_id"],
                    "ui.language": st["language"],
                    "ui.idle_timeout_seconds": st["idle"],
                    "ui.voice_prompts": "on" if st["voice"] else "off",
                }
            )
            return st

        def done(_st: Any) -> None:
            cfg = dataclasses.replace(
                a.config_kiosk,
                site_id=st["site_id"],
                language=st["language"],
                idle_timeout_seconds=st["idle"],
                voice_prompts=st["voice"],
            )
            a.use_settings(cfg)
            a.sound.voice = st["voice"]
            self.saved = dict(st)
            self.reload(self.t("staff.done.settings"), True)

        a.run_job(job, done)

    def close_app(self) -> None:
        """Closing the kiosk app leaves nobody able to sign in: ask first."""
        ask = ConfirmPopup(
            title_key="staff.exit.title",
            body_key="staff.exit.body",
            yes_key="staff.exit.yes",
            no_key="staff.exit.no",
            action="exit_kiosk",
        )
        ask.bind(on_yes=lambda _p: app().leave_kiosk())
        ask.open()
