"""Settings: which site this kiosk serves, the language it starts in, and how long it waits
before going back to the start screen. Saved in the store; they outlive a restart."""

from __future__ import annotations

import dataclasses
from typing import Any

from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from kiosk import __version__
from kiosk.ui import flows
from kiosk.ui.context import app
from kiosk.ui.i18n import LANGS, pick
from kiosk.ui.staff.page import StaffPage
from kiosk.ui.staff.parts import ChoiceButton
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
    site_rows = ListProperty()
    languages = ListProperty([(code, LANG_NAMES[code]) for code in LANGS])
    version = StringProperty("")

    def enter(self, message: str | None = None, ok: bool = True) -> None:
        a = app()
        self.language = a.config_kiosk.language
        self.idle = int(a.idle_timeout)
        self.voice = "on" if a.config_kiosk.voice_prompts else "off"
        self.site_id = ""
        super().enter(message, ok)

    def load(self, kiosk: Any) -> tuple[list, str]:
        return flows.staff_sites(kiosk)

    def loaded(self, data: tuple[list, str]) -> None:
        self.sites, current = data
        if not self.site_id:
            self.site_id = current

    def on_site_id(self, *_a) -> None:
        self.render()

    def render(self) -> None:
        super().render()
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

    def bump_idle(self, step: int) -> None:
        self.idle = min(IDLE_RANGE[1], max(IDLE_RANGE[0], int(self.idle) + step))

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
            self.reload(self.t("staff.done.settings"), True)

        a.run_job(job, done)
