"""What a screen or a staff page may ask of the running app, and how it gets hold of it.

The app owns the state (language, who is logged in, the sync status) and the services
(the store worker, sounds, navigation); screens and pages read them through
``App.get_running_app()``, Kivy's own way, and never import the app module. So the
imports run one way: app -> screens, staff pages -> flows, widgets, i18n.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, cast

from kivy.app import App


class KioskContext(Protocol):
    lang: str
    staff_id: str
    kiosk: Any  # kiosk.service.Kiosk
    sync_agent: Any
    image_dirs: tuple
    sound: Any  # kiosk.ui.sounds.SoundBoard
    status: Any  # kiosk.ui.flows.SyncView: one source for the top bar and the sync page

    def t(self, key: str, lang: str | None = None, **kw: Any) -> str: ...

    def now(self) -> datetime: ...

    def go(self, name: str) -> None: ...

    def go_home(self, *, next_visitor: bool = False) -> None: ...

    def run_job(
        self,
        fn: Callable[[], Any],
        done: Callable[[Any], None],
        *,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None: ...


def app() -> KioskContext:
    return cast(KioskContext, App.get_running_app())
