"""Coming activities: the next seven days' activities here and at the other site (marked), with
places left; sign up, join the waiting list or withdraw with one's card. A list, so a
RecycleView: ``rows`` are plain dicts, drawn by ``UpcomingRow``."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.ui.i18n import date_text, time_text
from kiosk.ui.screens import pick


class UpcomingRow(BoxLayout):
    when = StringProperty("")
    title = StringProperty("")
    state = StringProperty("")
    button_text = StringProperty("")
    # (not "action"/"value": those name the row's button, which tests and the driver press)
    button_action = StringProperty("signup")  # signup | withdraw
    activity_id = StringProperty("")
    held = BooleanProperty(False)

    def tapped(self) -> None:
        App.get_running_app().signup_tapped(self.activity_id, self.button_action == "signup")


class UpcomingScreen(Screen):
    view = ObjectProperty(None, allownone=True)
    title = StringProperty("")
    note = StringProperty("")
    rows = ListProperty([])

    def render(self) -> None:
        a = App.get_running_app()
        v = self.view
        if v is None:
            self.rows = []
            return
        lang, t = a.lang, a.t
        self.title = t("upcoming.title_for", name=v.name) if v.volunteer_id else t("upcoming.title")
        self.note = "" if v.online else t("upcoming.offline_note")
        rows = []
        for u in v.activities:
            when = (
                f"{date_text(u.start, lang)}  {time_text(u.start, lang)}–{time_text(u.end, lang)}"
            )
            title = pick(u.titles, lang)
            if u.other_site:
                title += t("upcoming.other_site", site=pick(u.site_names, lang))
            if u.held == "confirmed":
                state = t("upcoming.you_hold")
            elif u.held == "waiting":
                state = t("upcoming.you_wait", n=u.position or 0)
            elif u.left is None:
                state = t("upcoming.open")
            elif u.left > 0:
                state = t("upcoming.left", n=u.left)
            else:
                state = t("upcoming.full", n=u.waiting)
            if u.held:
                button, action = t("upcoming.withdraw"), "withdraw"
            elif u.left == 0:
                button, action = t("upcoming.join_waiting"), "signup"
            else:
                button, action = t("upcoming.signup"), "signup"
            rows.append(
                {
                    "when": when,
                    "title": title,
                    "state": state,
                    "button_text": button,
                    "button_action": action,
                    "activity_id": u.activity_id,
                    "held": bool(u.held),
                }
            )
        if not rows:
            rows.append(
                {
                    "when": "",
                    "title": t("upcoming.none"),
                    "state": "",
                    "button_text": "",  # no button
                    "button_action": "signup",
                    "activity_id": "",
                    "held": False,
                }
            )
        self.rows = rows
