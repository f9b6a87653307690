"""Screen classes: the state each screen shows, as Kivy properties, and how an outcome
becomes words. Layout is in kiosk.kv; every word comes from the catalogs via app.t."""

from __future__ import annotations

from datetime import datetime

from kivy.metrics import dp
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.screenmanager import Screen

from kiosk.service import Outcome
from kiosk.ui.context import app
from kiosk.ui.flows import CatalogView, Choice, ItemView, Shown
from kiosk.ui.i18n import pick, short_date, time_text
from kiosk.ui.theme import TONES, between
from kiosk.ui.widgets import ItemTile, KButton, KLabel


def _time(iso: str | None, lang: str) -> str:
    if not iso:
        return ""
    return time_text(datetime.fromisoformat(iso), lang)


class HomeScreen(Screen):
    view = ObjectProperty(None, allownone=True)
    demo_rows = ListProperty()  # the demo cards' strip: {card, label, image}
    demo_card_width = NumericProperty(dp(150))
    demo_spacing = NumericProperty(dp(8))

    def show_demo_cards(self, cards: list[dict]) -> None:
        self.demo_rows = [
            {"card": c, "label": c.get("volunteer_id", ""), "image": c.get("card", "")}
            for c in cards
        ]

    def fit_demo_cards(self, least: float = dp(140)) -> None:
        """Cards as wide as makes a whole number of them fill the strip: none is cut off
        by the screen's edge until someone scrolls."""
        width, gap = self.ids.demo_cards.width, self.demo_spacing
        n = max(1, int((width + gap) // (least + gap)))
        self.demo_card_width = max(least, (width - (n - 1) * gap) / n)

    def render(self) -> None:
        a = app()
        box = self.ids.activities
        box.clear_widgets()
        if self.view is None:
            return
        for act in self.view.activities:
            when = a.t("home.all_day") if act["general"] else f"{act['start']}–{act['end']}"
            if act["running"] and not act["general"]:
                state = a.t("home.running_now")
            elif act["finished"]:
                state = a.t("home.finished")
            else:
                state = ""
            text = f"{when}  {pick(act['titles'], a.lang)}" + (f"  · {state}" if state else "")
            box.add_widget(
                KLabel(
                    text=text,
                    ink="muted_ink" if act["finished"] else "ink",
                    bold=act["running"] and not act["general"],
                )
            )


class ChooseScreen(Screen):
    title = StringProperty("")
    detail = StringProperty("")
    choice = ObjectProperty(None, allownone=True)
    countdown = NumericProperty(0)

    def render(self) -> None:
        a = app()
        c: Choice | None = self.choice
        box = self.ids.options
        box.clear_widgets()
        if c is None:
            return
        self.title = a.t("choose.title", name=c.name)
        self.show_countdown()
        for activity_id, titles, start, end in c.options:
            default = activity_id == c.default_id
            label = pick(titles, a.lang)
            if default:
                label = a.t("choose.default_option", title=label)
            btn = KButton(
                text=f"{label}   {start}–{end}",
                action="activity",
                value=activity_id,
                bg="success" if default else "panel",
                ink="success_ink" if default else "ink",
                height=dp(between(80, 96, a.room)),
                font_size="32sp",
                selected=default,
            )
            btn.bind(on_release=lambda b: a.choose_activity(b.value))
            box.add_widget(btn)

    def show_countdown(self) -> None:
        """Only the seconds line: the option buttons stay the same widgets, so a finger on
        one when a second ticks by is not lost with a button rebuilt under it."""
        self.detail = (
            app().t("choose.detail", seconds=int(self.countdown)) if self.countdown > 0 else ""
        )


class ResultScreen(Screen):
    tone = StringProperty("success")
    bg = StringProperty("success")
    ink = StringProperty("success_ink")
    title = StringProperty("")
    big = StringProperty("")
    body = StringProperty("")
    notice = StringProperty("")
    next_step = StringProperty("")
    kind = StringProperty("")  # the outcome kind and reason, for tests: "refused:bad_signature"
    voice = StringProperty("")  # the spoken prompt (assets/voice) for this outcome
    volunteer = BooleanProperty(False)  # a volunteer's outcome: their record is one tap away
    shown = ObjectProperty(None, allownone=True)
    # False while the action's commit is under way: the answer is drawn (who, what), but
    # not the words, colour and sound that say it is done; kind is "recording:<kind>".
    committed = BooleanProperty(True)

    def render(self) -> None:
        if self.shown is None:
            return
        a = app()
        words = describe(self.shown, a.lang, a.t)
        if not self.committed:
            words = {**words, "tone": "info", "title": a.t("result.recording.title"), "next": ""}
        self.tone = words["tone"]
        self.bg, self.ink, _sound = TONES[self.tone]
        self.title = words["title"]
        self.big = words.get("big", "")
        self.body = words.get("body", "")
        self.notice = words.get("notice", "")
        self.next_step = words.get("next", "")
        self.voice = words.get("voice", "")
        o = self.shown.outcome
        self.kind = (
            ("" if self.committed else "recording:") + o.kind + (f":{o.reason}" if o.reason else "")
        )
        self.volunteer = bool(a.who_for)


REFUSAL_TONE = {
    "not_ours": "warning",
    "enrollment_code": "info",
    "malformed": "warning",
    "replaced_card": "warning",
    "no_activity": "warning",
    "unknown_activity": "warning",
    "bad_signature": "refusal",
    "suspended": "refusal",
    "unknown_volunteer": "refusal",
    "staff_card": "info",
    "error": "refusal",
    "certificate_forged": "refusal",
    "certificate_malformed": "warning",
}

# The spoken prompt (assets/voice/prompts.toml) for a refusal reason; others say "refused".
REFUSAL_VOICE = {
    "not_ours": "not_ours",
    "enrollment_code": "not_ours",  # true too: it is not a volunteer card
    "malformed": "malformed",
    "bad_signature": "bad_signature",
    "replaced_card": "replaced_card",
    "unknown_volunteer": "unknown_volunteer",
    "suspended": "suspended",
    "no_activity": "no_activity",
    "error": "error",
    "certificate_forged": "certificate_bad",
    "certificate_malformed": "certificate_bad",
}


def describe(shown: Shown, lang: str, t) -> dict[str, str]:
    """The words, colour and sound for one outcome."""
    o: Outcome = shown.outcome
    activity = pick(shown.titles, lang) if shown.titles else ""
    at = _time(o.at, lang)
    out: dict[str, str] = {}
    if o.kind == "signed_in":
        out = {
            "voice": "signed_in",
            "tone": "success",
            "title": t("result.signed_in.title", lang),
            "body": t("result.signed_in.body", lang, name=o.name, activity=activity, time=at),
            "next": t("result.signed_in.next", lang),
        }
    elif o.kind == "signed_out":
        body = t(
            "result.signed_out.body",
            lang,
            name=o.name,
            activity=activity,
            minutes=o.minutes or 0,
            points=o.points or 0,
            balance=o.balance if o.balance is not None else 0,
        )
        if o.below_minimum:
            body += "\n" + t("result.signed_out.below_minimum", lang)
        out = {
            "voice": "signed_out",
            "tone": "success",
            "title": t("result.signed_out.title", lang),
            "body": body,
            "next": t("result.signed_out.next", lang),
        }
        if o.stars:  # a new star level: a moment worth its own colour and sound
            out.update(tone="star", voice="star_up", big="★" * o.stars,
                       title=t("result.star.title", lang, n=o.stars))  # fmt: skip
    elif o.kind == "already_signed_in":
        out = {
            "voice": "already_signed_in",
            "tone": "info",
            "title": t("result.already.title", lang),
            "body": t("result.already.body", lang, name=o.name, activity=activity, time=at),
            "next": t("result.already.next", lang),
        }
    elif o.kind == "redeemed":
        item = pick(shown.item_names, lang) if shown.item_names else o.item_id or ""
        out = {
            "voice": "redeemed",
            "tone": "success",
            "title": t("result.redeemed.title", lang),
            "big": t("result.redeemed.pickup", lang, number=o.pickup_no or ""),
            "body": t(
                "result.redeemed.body",
                lang,
                item=item,
                cost=-(o.points or 0),
                balance=o.balance or 0,
            ),
            "next": t("result.redeemed.next", lang),
        }
        if o.offline:
            out["notice"] = t("result.redeemed.offline", lang)
    elif o.kind == "redeem_refused":
        reason = o.reason or "item_unavailable"
        item = pick(shown.item_names, lang) if shown.item_names else o.item_id or ""
        figures = {"cost": 0, "short": 0, "limit": 0, "used": 0, "left": 0, **shown.figures}
        figures["balance"] = o.balance or 0
        out = {
            "voice": "redeem_refused",
            "tone": "warning",
            "title": t(f"redeem.{reason}.title", lang),
            "body": t(f"redeem.{reason}.body", lang, item=item, **figures),
            "next": t(f"redeem.{reason}.next", lang, **figures),
        }
    elif o.kind in ("signed_up", "withdrawn"):
        key = "waitlisted" if o.waitlisted else o.kind
        out = {
            "voice": key,
            "tone": "info" if o.waitlisted else "success",
            "title": t(f"result.{key}.title", lang),
            "body": t(
                f"result.{key}.body", lang, name=o.name, activity=activity, n=o.position or 0
            ),
            "next": t("result.signup.next", lang),
        }
        if o.offline:
            out["notice"] = t("result.signup.offline", lang)
    elif o.kind == "signup_refused":
        out = {
            "voice": "refused",
            "tone": "warning",
            "title": t(f"signup.{o.reason}.title", lang),
            "body": t("signup.body", lang, activity=activity),
            "next": t("result.signup.next", lang),
        }
    elif o.kind == "certificate":
        c = o.certificate or {}
        out = {
            "voice": "certificate_ok",
            "tone": "success",
            "title": t("result.certificate.title", lang),
            "body": t(
                "result.certificate.body",
                lang,
                name=c.get("name", ""),
                vid=c.get("volunteer_id", ""),
                start=c.get("from", ""),
                end=c.get("to", ""),
                sessions=c.get("sessions", 0),
                hours=c.get("hours", ""),
                number=c.get("number", ""),
                issued=c.get("issued", ""),
            ),  # fmt: skip
            "next": "",
        }
    elif o.kind == "staff_card":
        out = {
            "tone": "info",
            "title": t("refusal.staff_card.title", lang),
            "body": "",
            "next": t("refusal.staff_card.next", lang),
        }
    else:
        reason = o.reason or "error"
        if o.kind == "error":
            reason = "error"
        out = {
            "voice": REFUSAL_VOICE.get(reason, "refused"),
            "tone": REFUSAL_TONE.get(reason, "refusal"),
            "title": t(f"refusal.{reason}.title", lang),
            "body": t(f"refusal.{reason}.body", lang),
            "next": t(f"refusal.{reason}.next", lang),
        }
    if o.forgotten:
        f = o.forgotten
        out["notice"] = t(
            "result.forgotten",
            lang,
            date=short_date(datetime.fromisoformat(f["signed_in_at"]), lang),
            activity=pick(shown.forgotten_titles, lang) if shown.forgotten_titles else "",
            end=_time(f.get("closed_at"), lang),
            points=f.get("points", 0),
        )
    return out


class HelpScreen(Screen):
    pass


class RewardsScanScreen(Screen):
    pass


def item_texts(item: ItemView, lang: str, t) -> dict[str, str]:
    if item.stocked:
        stock = t(
            "item.stock", lang, n=max(0, item.stock or 0)
        )  # "sold out" is the state line below
    else:
        stock = t("item.unlimited", lang, kind=t(f"item.kind.{item.kind}", lang))
    if item.monthly_limit:
        limit = t("item.limit", lang, limit=item.monthly_limit, used=item.used_this_month)
    else:
        limit = t("item.no_limit", lang)
    if item.state == "insufficient_balance":
        state = t("item.state.insufficient_balance", lang, short=item.short)
    else:
        state = t(f"item.state.{item.state}", lang)
    return {
        "name": pick(item.names, lang),
        "cost": t("item.cost", lang, cost=item.cost),
        "stock": stock,
        "limit": limit,
        "state": state,
    }


class CatalogScreen(Screen):
    view = ObjectProperty(None, allownone=True)
    header = StringProperty("")
    note = StringProperty("")

    def render(self) -> None:
        a = app()
        v: CatalogView | None = self.view
        grid = self.ids.grid
        grid.clear_widgets()
        if v is None:
            return
        self.header = a.t("catalog.header", name=v.name, balance=v.balance)
        self.note = "" if v.online else a.t("catalog.offline_note", left=v.offline_left)
        for item in v.items:
            texts = item_texts(item, a.lang, a.t)
            tile = ItemTile(
                item=item,
                name=texts["name"],
                cost_text=texts["cost"],
                stock_text=texts["stock"],
                limit_text=texts["limit"],
                state_text=texts["state"],
                image=item.image,
                glyph=pick(item.names, "zh-Hans")[:1],
                available=item.state == "ok",
            )
            tile.bind(on_release=lambda w: a.pick_item(w.item))
            tile.bind(minimum_height=self.fit_rows)
            grid.add_widget(tile)
        self.fit_rows()

    def fit_rows(self, *_a) -> None:
        """Every row as high as the tallest tile needs (a long name wraps to more lines in a
        narrow column), and at least the tile's usual height."""
        grid = self.ids.grid
        least = dp(between(250, 290, app().room))
        grid.row_default_height = max([least] + [tile.minimum_height for tile in grid.children])


class ConfirmScreen(Screen):
    item = ObjectProperty(None, allownone=True)
    title = StringProperty("")
    body = StringProperty("")
    image = StringProperty("")
    glyph = StringProperty("")

    def render(self) -> None:
        a = app()
        item: ItemView | None = self.item
        view: CatalogView | None = a.catalog_view
        if item is None or view is None:
            return
        name = pick(item.names, a.lang)
        self.title = a.t("confirm.title", item=name)
        self.body = a.t(
            "confirm.body",
            name=view.name,
            cost=item.cost,
            balance=view.balance,
            after=view.balance - item.cost,
        )
        self.image = item.image
        self.glyph = pick(item.names, "zh-Hans")[:1]
