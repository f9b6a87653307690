"""My record: hours and points this month, this year and in all, the star level, the last
sessions and points movements. ``record`` is the dict kiosk.record builds (the ledger's,
or this kiosk's own when offline, marked as such)."""

from __future__ import annotations

from datetime import datetime

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.core.reasons import CORRECTION, POINTS
from kiosk.ui.i18n import short_date
from kiosk.ui.screens import pick
from kiosk.ui.widgets import KLabel


def hours(minutes: int) -> str:
    return f"{minutes // 60}.{(minutes % 60) * 10 // 60}"


def stars_text(n: int, t, lang: str) -> str:
    return (
        "★" * n
        + "☆" * (5 - n)
        + "  "
        + (t("record.stars", lang, n=n) if n else t("record.no_stars", lang))
    )


def reason_words(reason: str, t, lang: str) -> str:
    """A preset reason in the screen's words; anything staff typed, as they typed it."""
    if reason in POINTS:
        return t(f"staff.points.reasons.{reason}", lang)
    if reason in CORRECTION:
        return t(f"staff.correct.reasons.{reason}", lang)
    return reason


class RecordScreen(Screen):
    record = ObjectProperty(None, allownone=True)
    title = StringProperty("")
    stars = StringProperty("")
    next_star = StringProperty("")
    note = StringProperty("")
    month = StringProperty("")
    year = StringProperty("")
    total = StringProperty("")
    offline = BooleanProperty(False)

    def render(self) -> None:
        a = App.get_running_app()
        r = self.record
        box = self.ids.rows
        box.clear_widgets()
        if r is None:
            return
        lang, t = a.lang, a.t
        self.title = t("record.title", name=r["name"])
        self.stars = stars_text(int(r.get("stars") or 0), t, lang)
        nxt = r.get("next_stars")
        self.next_star = (
            t("record.next_star", n=nxt, hours=hours(int(r.get("minutes_to_next") or 0)))
            if nxt
            else ""
        )
        self.offline = r.get("source") != "ledger"
        # the state in the top bar's word: a kiosk never linked to a server is not offline
        standalone = a.sync_state == "standalone"
        note = "record.standalone_note" if standalone else "record.offline_note"
        self.note = t(note) if self.offline else ""
        p = r["periods"]
        for key in ("month", "year", "total"):
            fig = p.get(key) or {}
            text = t("record.hours", h=hours(int(fig.get("minutes") or 0)))
            if fig.get("points") is not None:
                text += "\n" + t("record.points", n=fig["points"])
            setattr(self, key, text)
        Clock.schedule_once(self.fit_figures)
        box.add_widget(KLabel(text=t("record.balance", n=r.get("balance", 0)), bold=True))
        box.add_widget(KLabel(text=t("record.sessions"), bold=True, font_size="30sp"))
        if not r["sessions"]:
            box.add_widget(KLabel(text=t("record.none"), ink="muted_ink"))
        for s in r["sessions"]:
            flags = []
            if s.get("corrected"):
                flags.append(t("record.flag.corrected"))
            if s.get("status") == "auto_closed":
                flags.append(t("record.flag.auto_closed"))
            day = s.get("day", "")
            try:
                day = short_date(datetime.fromisoformat(day), lang)
            except ValueError:
                pass
            line = t(
                "record.session",
                day=day,
                activity=pick(s.get("titles") or {}, lang),
                minutes=s.get("credited_minutes", 0),
                points=s.get("points", 0),
            )
            if flags:
                line += "  " + " · ".join(flags)
            box.add_widget(KLabel(text=line))
        box.add_widget(KLabel(text=t("record.moves"), bold=True, font_size="30sp"))
        if not r["moves"]:
            box.add_widget(KLabel(text=t("record.none"), ink="muted_ink"))
        for m in r["moves"]:
            what = t(f"record.move.{m['kind']}")
            if m.get("item_names"):
                what += " " + pick(m["item_names"], lang)
            if m.get("reason"):
                what += t("record.reason", reason=reason_words(m["reason"], t, lang))
            delta = m.get("delta", 0)
            box.add_widget(KLabel(text=f"{'+' if delta > 0 else ''}{delta}  {what}"))

    def fit_figures(self, *_a) -> None:
        row = self.ids.figures
        row.height = max(child.minimum_height for child in row.children)
