"""Show your card: who the record or the sign-up is for. The scan that comes while this
screen is up goes to ``app.who_scanned``, never to attendance."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen


class WhoScreen(Screen):
    purpose = StringProperty("record")  # record | signup | withdraw
    activity_id = StringProperty("")
    titles = ObjectProperty({}, allownone=True)  # the activity's, for a sign-up
    detail = StringProperty("")

    def render(self) -> None:
        a = App.get_running_app()
        title = (self.titles or {}).get(a.lang) or (self.titles or {}).get("zh-Hans", "")
        self.detail = a.t(f"who.{self.purpose}", activity=title)
