"""Staff mode on screen: PIN entry, then pages for stock, catalog, sessions (and their
corrections), points adjustments, assisted sign-in, redemptions, sync, settings. The rules
(lockout, what may be changed) live in kiosk.staff and kiosk.service; this module turns
taps into worker jobs and redraws."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.textinput import TextInput

from kiosk import __version__
from kiosk.core import reasons
from kiosk.core.correction import CorrectionRefusal
from kiosk.ui import flows
from kiosk.ui.i18n import LANGS, short_date, time_text
from kiosk.ui.screens import pick
from kiosk.ui.widgets import KButton, KLabel, Row
from sync.agent import PROTOCOL_VERSION

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

TABS = ("stock", "catalog", "sessions", "points", "assist", "redemptions", "sync", "settings")
STOCK_REASONS = reasons.STOCK
CORRECTION_REASONS = reasons.CORRECTION
CORRECTION_STEPS = (-60, -15, 15, 60)  # minutes; a quarter-hour step lands on :00 :15 :30 :45
POINTS_REASONS = reasons.POINTS
POINTS_STEPS = (-10, -1, 1, 10)
NAV_HEIGHT = (
    58  # dp: all ten fit beside the content at 1280x800 even with the warning banner shown;
)
# on a shorter display the eight pages scroll (kiosk.kv: StaffScreen)

LANG_NAMES = {"zh-Hans": "简体", "zh-Hant": "繁體", "en": "English"}
MAX_PIN = 8
EXCEPTION_KINDS = ("overdraft", "overlapping_sessions", "conflict", "rejected", "stock_below_zero")
MAX_EXCEPTION_ROWS = 50  # the newest; the ledger's 台账 has them all


def signed(n: int) -> str:
    """+10, 0, -10: a change, with its sign (an ASCII minus: the kiosk font has no U+2212)."""
    return f"{n:+d}" if n else "0"


class StaffController:
    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.staff_id: str | None = None
        self._card = ""
        self.view: flows.StaffView | None = None
        self.sync: flows.SyncView | None = None
        self.stock_reason = "delivery"
        self.assist_digits = ""
        self.assist_activity: str | None = None
        self.editing: dict[str, Any] | None = None
        self.settings: dict[str, Any] = {}
        self.closed_count: int | None = None
        self.correcting: flows.CorrectionDraft | None = None
        self._page: tuple | None = None  # what render last drew (page, editor open): see render
        self._reset_points()

    def _reset_points(self) -> None:
        self.points_digits = ""
        self.points_target: flows.PointsTarget | None = None
        self.points_delta = 0
        self.points_reason: str | None = None

    @property
    def screen(self):
        return self.app.screen("staff")

    @property
    def pin_screen(self):
        return self.app.screen("pin")

    def t(self, key: str, **kw: Any) -> str:
        return self.app.t(key, **kw)

    # -- login --------------------------------------------------------------------------

    def begin_login(self, staff_id: str, name: str, card: str) -> None:
        """``card``: the staff card's text, needed with the PIN (it keys the PIN's hash);
        held here for this login only, never stored or shown."""
        scr = self.pin_screen
        scr.staff_id = staff_id
        scr.staff_name = name
        scr.pin = ""
        scr.message_key = ""
        scr.message_args = {}
        self._card = card
        gate = self.app.gate
        self.app.run_job(lambda: gate.locked_until(staff_id), self._lock_checked)

    def _lock_checked(self, until: datetime | None) -> None:
        scr = self.pin_screen
        if until is not None:
            scr.message_key, scr.message_args = (
                "pin.locked",
                {"time": time_text(until, self.app.lang)},
            )
        scr.render()
        self.app.go("pin")
        self.app.sound.play("staff")

    def pin_key(self, action: str, value: str | None) -> None:
        scr = self.pin_screen
        if scr.checking:
            return
        if action == "pin_digit" and value and len(scr.pin) < MAX_PIN:
            scr.pin += value
        elif action == "pin_clear":
            scr.pin = ""
        elif action == "pin_ok" and scr.pin:
            scr.checking = True
            gate, card, pin = self.app.gate, self._card, scr.pin
            self.app.run_job(
                lambda: gate.try_pin(card, pin),
                self._pin_checked,
                failed=lambda _e: setattr(scr, "checking", False),
            )

    def _pin_checked(self, verdict) -> None:
        scr = self.pin_screen
        scr.checking = False
        scr.pin = ""
        if verdict.ok:
            self.staff_id = scr.staff_id
            self.screen.tab = "stock"
            self.screen.message = ""
            self.app.go("staff")
            self.app.sound.play("staff")
            self.reload()
            return
        if verdict.locked_until is not None:
            scr.message_key, scr.message_args = (
                "pin.locked",
                {"time": time_text(verdict.locked_until, self.app.lang)},
            )
        elif verdict.reason == "wrong_pin":
            scr.message_key, scr.message_args = "pin.wrong", {"left": verdict.attempts_left}
        elif verdict.reason == "no_pin":
            scr.message_key, scr.message_args = "pin.no_pin", {}
        else:  # the card itself is no longer good (replaced or suspended meanwhile)
            scr.message_key, scr.message_args = "pin.card_refused", {}
        scr.render()
        self.app.sound.play("refusal")

    def end(self, reason: str = "leave") -> None:
        if self.staff_id is not None:
            gate = self.app.gate
            self.app.run_job(lambda: gate.close(reason), lambda _r: None)
        self._card = ""
        self.staff_id = None
        self.editing = None
        self.correcting = None
        self._reset_points()
        self.view = None

    def takes_cards(self) -> bool:
        """The points page has no text fields: a USB scanner's keystrokes there are a card."""
        return self.staff_id is not None and self.screen.tab == "points"

    def scanned(self, text: str) -> None:
        """A card shown while staff mode is open: on the points page it picks the volunteer;
        anywhere else it records nothing (staff are at work, it is not a sign-in)."""
        if self.takes_cards():
            self._points_lookup(text=text)

    # -- data ---------------------------------------------------------------------------

    def reload(self, message: str = "", ok: bool = True) -> None:
        kiosk, dirs, agent = self.app.kiosk, self.app.image_dirs, self.app.sync_agent

        def job():
            return flows.staff_view(kiosk, dirs), flows.sync_view(kiosk, agent, outbox_rows=30)

        def loaded(result) -> None:
            self.view, self.sync = result
            self.screen.message = message
            self.screen.message_ok = ok
            self.render()

        self.app.run_job(job, loaded)

    def act(self, fn, ok_key: str, **kw: Any) -> None:
        """Run a staff action; report it in words, then reload the page's figures."""

        def done(outcome) -> None:
            if getattr(outcome, "ok", True):
                self.reload(self.t(ok_key, **kw), True)
            else:
                self.reload(self.t(f"staff.error.{outcome.reason}"), False)

        self.app.run_job(fn, done)

    # -- drawing ------------------------------------------------------------------------

    def render(self) -> None:
        if self.staff_id is None or self.app.root is None:
            return
        scr = self.screen
        nav, exits = scr.ids.nav, scr.ids.nav_exits
        nav.clear_widgets()
        exits.clear_widgets()
        for tab in TABS:
            nav.add_widget(
                self._button(
                    self.t(f"staff.tab.{tab}"),
                    "tab",
                    tab,
                    lambda b: self.set_tab(b.value),
                    bg="accent" if scr.tab == tab else "panel",
                    ink="accent_ink" if scr.tab == tab else "ink",
                    height=dp(NAV_HEIGHT),
                )
            )
        exits.add_widget(
            self._button(
                self.t("staff.leave"),
                "leave_staff",
                None,
                lambda _b: self.app.go_home(),
                bg="info",
                ink="info_ink",
                height=dp(NAV_HEIGHT),
            )
        )
        exits.add_widget(
            self._button(
                self.t("staff.exit_kiosk"),
                "exit_kiosk",
                None,
                lambda _b: self.app.leave_kiosk(),
                bg="refusal",
                ink="refusal_ink",
                height=dp(NAV_HEIGHT),
            )
        )
        scr.heading = self.t(f"staff.heading.{scr.tab}")
        scr.ids.toolbar.clear_widgets()
        scr.ids.content.clear_widgets()
        # Another page, or an editor opened from a row far down a list: start at the top,
        # where it is drawn, not at the list's old scroll position.
        page = (
            scr.tab,
            self.correcting is not None,
            self.editing is not None,
            self.points_target is not None,
        )
        if page != self._page:
            self._page = page
            scr.ids.content_scroll.scroll_y = 1
        if self.view is None:
            return
        getattr(self, f"_render_{scr.tab}")()

    def set_tab(self, tab: str) -> None:
        self.screen.tab = tab
        self.screen.message = ""
        self.editing = None
        self.correcting = None
        self._reset_points()
        self.closed_count = None
        if tab == "settings" and self.view is not None:
            cfg = self.app.config_kiosk
            self.settings = {
                "site_id": self.view.site_id,
                "language": cfg.language,
                "idle": int(self.app.idle_timeout),
            }
        self.reload()

    def _button(
        self,
        text: str,
        action: str,
        value: Any,
        on_release,
        *,
        bg: str = "accent",
        ink: str = "accent_ink",
        width: float | None = None,
        height: float | None = None,
        selected: bool = False,
    ) -> KButton:
        btn = KButton(
            text=text,
            action=action,
            value=value,
            bg=bg,
            ink=ink,
            selected=selected,
            font_size="24sp",
            height=height or dp(64),
        )
        if width is not None:
            btn.size_hint_x = None
            btn.width = width
        btn.bind(on_release=on_release)
        return btn

    def _row(self, text: str, buttons: list[KButton], ink: str = "ink") -> Row:
        row = Row(text=text, ink=ink)
        for b in buttons:
            row.add_widget(b)
        self.screen.ids.content.add_widget(row)
        return row

    @staticmethod
    def _fit(row: Row, least: float) -> None:
        """A row at least ``least`` high that grows with its text when it wraps (long names, English)."""
        label = row.children[-1]  # the text, laid out first by the Row rule in kiosk.kv
        row.height = least
        label.bind(
            texture_size=lambda _l, size: setattr(row, "height", max(least, size[1] + dp(12)))
        )

    def _note(self, text: str, **kw: Any) -> KLabel:
        label = KLabel(text=text, **{"font_size": "24sp", **kw})
        self.screen.ids.content.add_widget(label)
        return label

    def _choices(
        self,
        label: str,
        action: str,
        values: tuple[str, ...],
        chosen: str | None,
        key: str,
        on_release,
    ) -> None:
        """A row of preset choices (reasons), the chosen one marked."""
        row = BoxLayout(size_hint_y=None, height=dp(80), spacing=dp(6))
        middle = {"center_y": 0.5}
        row.add_widget(
            KLabel(
                text=label,
                size_hint_x=None,
                width=dp(120),
                font_size="26sp",
                bold=True,
                pos_hint=middle,
            )
        )
        for value in values:
            sel = value == chosen
            button = self._button(
                self.t(f"{key}.{value}"),
                action,
                value,
                on_release,
                bg="accent" if sel else "panel",
                ink="accent_ink" if sel else "ink",
                selected=sel,
                height=dp(72),
            )
            button.pos_hint = middle
            row.add_widget(button)
        self.screen.ids.content.add_widget(row)

    def _steps(self, action: str, steps: tuple[int, ...], texts: list[str], on_release) -> None:
        """Big step buttons in one row: no keyboard needed."""
        box = BoxLayout(size_hint_y=None, height=dp(88), spacing=dp(8))
        for step, text in zip(steps, texts, strict=True):
            box.add_widget(
                self._button(
                    text,
                    action,
                    step,
                    on_release,
                    bg="panel" if step < 0 else "accent",
                    ink="ink" if step < 0 else "accent_ink",
                    height=dp(88),
                )
            )
        self.screen.ids.content.add_widget(box)

    def _pad(self, prefix: str, go_text: str, on_key) -> None:
        """The volunteer-number pad: digits, clear, and one action (actions ``<prefix>_digit``,
        ``<prefix>_clear``, ``<prefix>_go``)."""
        pad = GridLayout(cols=6, spacing=dp(6), size_hint_y=None, height=dp(150))
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "del", "go"):
            if key == "del":
                b = self._button(
                    self.t("pin.clear"), f"{prefix}_clear", key, on_key, bg="info", ink="info_ink"
                )
            elif key == "go":
                b = self._button(
                    go_text, f"{prefix}_go", key, on_key, bg="success", ink="success_ink"
                )
            else:
                b = self._button(key, f"{prefix}_digit", key, on_key, bg="panel", ink="ink")
            pad.add_widget(b)
        self.screen.ids.content.add_widget(pad)

    def _say(self, text: str, ok: bool) -> None:
        """A message on the page, with its colour and sound, for what needs no reload."""
        self.screen.message_ok = ok
        self.screen.message = text
        self.app.sound.play("success" if ok else "refusal")

    def _local(self, dt: datetime) -> datetime:
        return dt.astimezone(self.app.kiosk.config.tz)

    def _when(self, dt: datetime, day_of: datetime | None = None) -> str:
        """HH:MM, with the date (MM-DD) in front unless it is ``day_of``'s date."""
        local = self._local(dt)
        clock = time_text(local, self.app.lang)
        if day_of is not None and local.date() == self._local(day_of).date():
            return clock
        return f"{local:%m-%d} {clock}"

    # stock ---------------------------------------------------------------------------

    def _render_stock(self) -> None:
        bar = self.screen.ids.toolbar
        bar.add_widget(
            KLabel(
                text=self.t("staff.stock.reason"), size_hint_x=None, width=dp(120), font_size="24sp"
            )
        )
        for reason in STOCK_REASONS:
            sel = reason == self.stock_reason
            bar.add_widget(
                self._button(
                    self.t(f"staff.reason.{reason}"),
                    "reason",
                    reason,
                    self._set_reason,
                    bg="accent" if sel else "panel",
                    ink="accent_ink" if sel else "ink",
                    selected=sel,
                )
            )
        lang = self.app.lang
        for item in self.view.items:
            if not item.stocked:
                continue
            text = self.t("staff.stock.row", name=pick(item.names, lang), n=item.stock or 0)
            buttons = [
                self._button("+1", "restock", (item.item_id, 1), self._restock, width=dp(84)),
                self._button("+10", "restock", (item.item_id, 10), self._restock, width=dp(84)),
                self._button(
                    "-1",
                    "adjust",
                    (item.item_id, -1),
                    self._adjust,
                    width=dp(84),
                    bg="warning",
                    ink="warning_ink",
                ),
            ]
            self._row(text, buttons)

    def _set_reason(self, btn: KButton) -> None:
        self.stock_reason = btn.value
        self.render()

    def _restock(self, btn: KButton) -> None:
        item_id, qty = btn.value
        kiosk, staff, reason = self.app.kiosk, self.staff_id, self.stock_reason
        self.act(lambda: kiosk.restock(staff, item_id, qty, reason), "staff.done.restock", n=qty)

    def _adjust(self, btn: KButton) -> None:
        item_id, delta = btn.value
        if self.stock_reason == "delivery":
            self.screen.message_ok = False
            self.screen.message = self.t("staff.error.reason_for_decrease")
            return
        kiosk, staff, reason = self.app.kiosk, self.staff_id, self.stock_reason
        self.act(
            lambda: kiosk.adjust_stock(staff, item_id, delta, reason), "staff.done.adjust", n=delta
        )

    # catalog -------------------------------------------------------------------------

    def _render_catalog(self) -> None:
        if self.editing is not None:
            self._render_editor()
            return
        bar = self.screen.ids.toolbar
        bar.add_widget(
            self._button(
                self.t("staff.catalog.add"),
                "add_item",
                None,
                self._new_item,
                bg="success",
                ink="success_ink",
            )
        )
        lang = self.app.lang
        for item in self.view.items:
            text = self.t(
                "staff.catalog.row",
                name=pick(item.names, lang),
                cost=item.cost,
                kind=self.t(f"item.kind.{item.kind}"),
                state=self.t("staff.catalog.active" if item.active else "staff.catalog.inactive"),
            )
            self._row(
                text,
                [
                    self._button(
                        self.t("staff.catalog.edit"),
                        "edit_item",
                        item.item_id,
                        self._edit_item,
                        width=dp(140),
                    )
                ],
            )

    def _new_item(self, _btn=None) -> None:
        stamp = self.app.kiosk.now().strftime("%Y%m%d%H%M%S")
        self.editing = {
            "item_id": f"item-{stamp}",
            "names": {"zh-Hans": "", "zh-Hant": "", "en": ""},
            "cost": 10,
            "kind": "goods",
            "monthly_limit": 0,
            "active": True,
            "image": "",
            "new": True,
        }
        self.render()

    def _edit_item(self, btn: KButton) -> None:
        item = next(i for i in self.view.items if i.item_id == btn.value)
        self.editing = {
            "item_id": item.item_id,
            "names": {k: item.names.get(k, "") for k in LANGS},
            "cost": item.cost,
            "kind": item.kind,
            "monthly_limit": item.monthly_limit,
            "active": item.active,
            "image": None,
            "new": False,
        }
        self.render()

    def _render_editor(self) -> None:
        e = self.editing
        content = self.screen.ids.content
        self.inputs = {}
        for lang in LANGS:
            row = Row(text=self.t(f"staff.catalog.name_{lang.replace('-', '_').lower()}"))
            ti = TextInput(
                text=e["names"].get(lang, ""),
                multiline=False,
                font_size="26sp",
                size_hint_x=1.6,
                write_tab=False,
            )
            ti.action = f"name:{lang}"
            self.inputs[lang] = ti
            row.add_widget(ti)
            content.add_widget(row)
        for field_, step in (("cost", 10), ("monthly_limit", 1)):
            row = Row(text=self.t(f"staff.catalog.{field_}", n=e[field_]))
            row.add_widget(
                self._button("-", f"{field_}_down", (field_, -step), self._bump, width=dp(84))
            )
            row.add_widget(
                self._button("+", f"{field_}_up", (field_, step), self._bump, width=dp(84))
            )
            content.add_widget(row)
        row = Row(text=self.t("staff.catalog.kind"))
        for kind in ("goods", "privilege", "ticket"):
            sel = e["kind"] == kind
            row.add_widget(
                self._button(
                    self.t(f"staff.kind.{kind}"),
                    "kind",
                    kind,
                    self._set_kind,
                    bg="accent" if sel else "panel",
                    ink="accent_ink" if sel else "ink",
                    selected=sel,
                )
            )
        content.add_widget(row)
        row = Row(text=self.t("staff.catalog.active" if e["active"] else "staff.catalog.inactive"))
        row.add_widget(
            self._button(
                self.t("staff.catalog.toggle_active"), "toggle_active", None, self._toggle_active
            )
        )
        content.add_widget(row)
        bar = self.screen.ids.toolbar
        bar.add_widget(
            self._button(
                self.t("common.save"),
                "save_item",
                None,
                self._save_item,
                bg="success",
                ink="success_ink",
            )
        )
        bar.add_widget(
            self._button(
                self.t("common.cancel"),
                "cancel_edit",
                None,
                self._cancel_edit,
                bg="info",
                ink="info_ink",
            )
        )

    def _keep_inputs(self) -> None:
        for lang, ti in getattr(self, "inputs", {}).items():
            self.editing["names"][lang] = ti.text

    def _bump(self, btn: KButton) -> None:
        field_, step = btn.value
        self._keep_inputs()
        self.editing[field_] = max(0, self.editing[field_] + step)
        self.render()

    def _set_kind(self, btn: KButton) -> None:
        self._keep_inputs()
        self.editing["kind"] = btn.value
        self.render()

    def _toggle_active(self, _btn) -> None:
        self._keep_inputs()
        self.editing["active"] = not self.editing["active"]
        self.render()

    def _cancel_edit(self, _btn=None) -> None:
        self.editing = None
        self.render()

    def _save_item(self, _btn=None) -> None:
        self._keep_inputs()
        e = dict(self.editing)
        kiosk, staff = self.app.kiosk, self.staff_id

        def job():
            image = e["image"]
            if image is None:
                current = kiosk.store.catalog_item(e["item_id"])
                image = current.image if current else ""
            return kiosk.upsert_catalog_item(
                staff,
                e["item_id"],
                e["names"],
                int(e["cost"]),
                e["kind"],
                int(e["monthly_limit"]),
                image,
                bool(e["active"]),
            )

        def done(outcome) -> None:
            if outcome.ok:
                self.editing = None
                self.reload(self.t("staff.done.saved"), True)
            else:
                self.screen.message_ok = False
                self.screen.message = self.t(f"staff.error.{outcome.reason}")

        self.app.run_job(job, done)

    # sessions ------------------------------------------------------------------------

    def _render_sessions(self) -> None:
        if self.correcting is not None:
            self._render_correction()
            return
        forgotten = sum(1 for s in self.view.open_sessions if s["forgotten"])
        bar = self.screen.ids.toolbar
        bar.add_widget(
            self._button(
                self.t("staff.sessions.close_forgotten", n=forgotten),
                "close_forgotten",
                None,
                self._close_forgotten,
                bg="warning",
                ink="warning_ink",
            )
        )
        if not self.view.sessions:
            self._note(self.t("staff.sessions.none"))
        for s in self.view.sessions:
            status = self.session_status(s)
            row = self._row(
                self.session_text(s, status),
                [
                    self._button(
                        self.t("staff.sessions.correct"),
                        "correct_session",
                        s["session_id"],
                        self._start_correction,
                        width=dp(140),
                    )
                ],
                ink="refusal" if status in ("forgotten", "auto_closed") else "ink",
            )
            self._fit(row, dp(100))

    @staticmethod
    def session_status(s: dict[str, Any]) -> str:
        """open | forgotten | closed | auto_closed (not yet reviewed) | corrected"""
        if s["status"] == "open":
            return "forgotten" if s.get("forgotten") else "open"
        if s["corrected"]:
            return "corrected"
        return "auto_closed" if s["status"] == "auto_closed" else "closed"

    def session_text(self, s: dict[str, Any], status: str) -> str:
        lang = self.app.lang
        common = {
            "name": s["name"],
            "id": s["volunteer_id"],
            "activity": pick(s["titles"], lang),
            "status": self.t(f"staff.sessions.status.{status}"),
            "day": f"{self._local(s['signed_in_at']):%m-%d}",
            "start": time_text(self._local(s["signed_in_at"]), lang),
        }
        if s["signed_out_at"] is None:
            return self.t("staff.sessions.row_open", **common)
        return self.t(
            "staff.sessions.row_closed",
            end=self._when(s["signed_out_at"], s["signed_in_at"]),
            minutes=s["minutes"] or 0,
            points=s["points"] or 0,
            **common,
        )

    # correcting a session ---------------------------------------------------------------

    def _start_correction(self, btn: KButton) -> None:
        kiosk, sid = self.app.kiosk, btn.value

        def loaded(draft: flows.CorrectionDraft | None) -> None:
            if draft is None:
                self._say(self.t("staff.error.unknown_session"), False)
                return
            self.correcting = draft
            self.screen.message = ""
            self.render()

        self.app.run_job(lambda: flows.correction_draft(kiosk, sid), loaded)

    def _render_correction(self) -> None:
        d = self.correcting
        row, lang = d.row, self.app.lang
        self._note(
            self.t(
                "staff.correct.who",
                name=row["name"],
                id=row["volunteer_id"],
                activity=pick(row["titles"], lang),
            ),
            font_size="28sp",
            bold=True,
        )
        start = self._when(row["signed_in_at"])
        if row["signed_out_at"] is None:
            was = self.t("staff.correct.was_open", start=start)
        else:
            was = self.t(
                "staff.correct.was_closed",
                start=start,
                end=self._when(row["signed_out_at"], row["signed_in_at"]),
                minutes=row["minutes"] or 0,
                points=row["points"] or 0,
            )
        self._note(was, ink="muted_ink")
        self._note(
            self.t("staff.correct.out", time=self._when(d.signed_out_at, row["signed_in_at"])),
            font_size="44sp",
            bold=True,
        )
        self._steps(
            "correct_step",
            CORRECTION_STEPS,
            [
                self.t(f"staff.correct.step.{k}")
                for k in ("minus_hour", "minus_15", "plus_15", "plus_hour")
            ],
            self._correct_step,
        )
        verdict = d.verdict(self.app.kiosk.now())
        refused = isinstance(verdict, CorrectionRefusal)
        if refused:
            preview = self.t(f"staff.error.{verdict.value}")
        else:
            preview = self.t(
                "staff.correct.preview",
                minutes=verdict.minutes,
                credited=verdict.credited_minutes,
                points=verdict.points,
                delta=signed(verdict.points - (row["points"] or 0)),
            )
        label = self._note(
            preview, font_size="30sp", bold=True, ink="refusal" if refused else "success"
        )
        label.action = "correction_preview"
        self._choices(
            self.t("staff.correct.reason"),
            "correct_reason",
            CORRECTION_REASONS,
            d.reason,
            "staff.correct.reasons",
            self._correct_reason,
        )
        bar = self.screen.ids.toolbar
        confirm = self._button(
            self.t("staff.correct.confirm"),
            "confirm_correction",
            row["session_id"],
            self._confirm_correction,
            bg="success",
            ink="success_ink",
        )
        confirm.disabled = refused
        bar.add_widget(confirm)
        bar.add_widget(
            self._button(
                self.t("common.cancel"),
                "cancel_correction",
                None,
                self._cancel_correction,
                bg="info",
                ink="info_ink",
            )
        )

    def _correct_step(self, btn: KButton) -> None:
        d, step = self.correcting, int(btn.value)
        if d is None:
            return
        out = d.signed_out_at
        if abs(step) == 15:  # to the next (or previous) quarter hour: 12:07 -> 12:15 or 12:00
            past = out.minute % 15
            out += timedelta(minutes=15 - past) if step > 0 else -timedelta(minutes=past or 15)
        else:
            out += timedelta(minutes=step)
        d.signed_out_at = out
        self.render()

    def _correct_reason(self, btn: KButton) -> None:
        if self.correcting is not None:
            self.correcting.reason = btn.value
            self.render()

    def _cancel_correction(self, _btn=None) -> None:
        self.correcting = None
        self.screen.message = ""
        self.render()

    def _confirm_correction(self, _btn=None) -> None:
        d = self.correcting
        if d is None:
            return
        kiosk, staff = self.app.kiosk, self.staff_id
        old_points = d.row["points"] or 0

        def done(out) -> None:
            if out.ok:
                self.correcting = None
                self.reload(
                    self.t(
                        "staff.done.corrected",
                        name=out.name,
                        minutes=out.minutes,
                        points=out.points,
                        delta=signed(out.points - old_points),
                        balance=out.balance,
                    ),
                    True,
                )
                self.app.sound.play("success")
            else:
                self._say(self.t(f"staff.error.{out.reason}"), False)

        self.app.run_job(
            lambda: kiosk.correct_attendance(staff, d.row["session_id"], d.signed_out_at, d.reason),
            done,
        )

    def _close_forgotten(self, _btn=None) -> None:
        kiosk = self.app.kiosk

        def done(closed) -> None:
            self.reload(self.t("staff.done.closed", n=len(closed)), True)

        self.app.run_job(kiosk.close_forgotten_sessions, done)

    # assisted sign-in ----------------------------------------------------------------

    def _render_assist(self) -> None:
        content = self.screen.ids.content
        number = "V" + self.assist_digits
        self._note(self.t("staff.assist.help"))
        content.add_widget(
            KLabel(
                text=number if self.assist_digits else "V______",
                font_size="48sp",
                bold=True,
                height=dp(72),
            )
        )
        self._pad("assist", self.t("staff.assist.go"), self._assist_key)

    def _assist_key(self, btn: KButton) -> None:
        if btn.value == "del":
            self.assist_digits = ""
        elif btn.value == "go":
            self._assist_go()
            return
        elif len(self.assist_digits) < 8:
            self.assist_digits += btn.value
        self.render()

    def _assist_go(self) -> None:
        if not self.assist_digits:
            return
        vid = "V" + self.assist_digits
        kiosk, staff = self.app.kiosk, self.staff_id

        def job():
            default, _cands = kiosk.candidates(vid)
            return flows.attendance(
                kiosk,
                volunteer_id=vid,
                assisted_by=staff,
                activity_id=default.activity_id if default else None,
            )

        def done(result) -> None:
            self.assist_digits = ""
            o = result.outcome
            lang = self.app.lang
            if o.ok:
                words = self.t(
                    f"staff.assist.{o.kind}",
                    name=o.name,
                    id=o.volunteer_id,
                    activity=pick(result.titles, lang) if result.titles else "",
                    points=o.points or 0,
                )
                self.reload(words, True)
            else:
                self.reload(self.t(f"refusal.{o.reason}.title"), False)

        self.app.run_job(job, done)

    # points -------------------------------------------------------------------------

    def _render_points(self) -> None:
        target = self.points_target
        if target is None:
            self._note(self.t("staff.points.help"))
            self._note(
                "V" + self.points_digits if self.points_digits else "V______",
                font_size="48sp",
                bold=True,
            )
            self._pad("points", self.t("staff.points.find"), self._points_key)
            return
        self._note(
            self.t(
                "staff.points.who", name=target.name, id=target.volunteer_id, balance=target.balance
            ),
            font_size="30sp",
            bold=True,
        )
        delta = self.points_delta
        self._note(self.t("staff.points.amount", delta=signed(delta)), font_size="44sp", bold=True)
        self._steps(
            "points_step", POINTS_STEPS, [signed(n) for n in POINTS_STEPS], self._points_step
        )
        if delta == 0:
            preview, ink = self.t("staff.points.pick_amount"), "muted_ink"
        elif target.balance + delta < 0:
            preview, ink = self.t("staff.points.below_zero", balance=target.balance), "refusal"
        else:
            preview, ink = self.t("staff.points.after", balance=target.balance + delta), "success"
        label = self._note(preview, font_size="30sp", bold=True, ink=ink)
        label.action = "points_preview"
        self._choices(
            self.t("staff.points.reason"),
            "points_reason",
            POINTS_REASONS,
            self.points_reason,
            "staff.points.reasons",
            self._points_reason,
        )
        bar = self.screen.ids.toolbar
        confirm = self._button(
            self.t("staff.points.confirm"),
            "confirm_points",
            target.volunteer_id,
            self._confirm_points,
            bg="success",
            ink="success_ink",
        )
        confirm.disabled = delta == 0
        bar.add_widget(confirm)
        bar.add_widget(
            self._button(
                self.t("staff.points.other_person"),
                "points_other",
                None,
                self._points_other,
                bg="info",
                ink="info_ink",
            )
        )

    def _points_key(self, btn: KButton) -> None:
        if btn.value == "del":
            self.points_digits = ""
        elif btn.value == "go":
            if self.points_digits:
                self._points_lookup(volunteer_id="V" + self.points_digits)
            return
        elif len(self.points_digits) < 8:
            self.points_digits += btn.value
        self.render()

    def _points_lookup(self, *, text: str | None = None, volunteer_id: str | None = None) -> None:
        kiosk = self.app.kiosk

        def found(result) -> None:
            self.points_digits = ""
            if isinstance(result, flows.PointsTarget):
                self.points_target, self.points_delta, self.points_reason = result, 0, None
                self.screen.message = ""
                self.app.sound.play("notice")
            else:
                key = (
                    f"refusal.{result.reason}.title"
                    if text is not None
                    else f"staff.error.{result.reason}"
                )
                self._say(self.t(key), False)
            self.render()

        self.app.run_job(
            lambda: flows.points_target(kiosk, text=text, volunteer_id=volunteer_id), found
        )

    def _points_step(self, btn: KButton) -> None:
        self.points_delta += int(btn.value)
        self.render()

    def _points_reason(self, btn: KButton) -> None:
        self.points_reason = btn.value
        self.render()

    def _points_other(self, _btn=None) -> None:
        self._reset_points()
        self.screen.message = ""
        self.render()

    def _confirm_points(self, _btn=None) -> None:
        target, delta, reason = self.points_target, self.points_delta, self.points_reason
        if target is None or delta == 0:
            return
        if reason is None:
            self._say(self.t("staff.error.reason_required"), False)
            return
        kiosk, staff = self.app.kiosk, self.staff_id

        def done(out) -> None:
            if out.ok:
                self.points_target = dataclasses.replace(target, balance=out.balance)
                self.points_delta, self.points_reason = 0, None
                self.reload(
                    self.t(
                        "staff.done.points", name=out.name, delta=signed(delta), balance=out.balance
                    ),
                    True,
                )
                self.app.sound.play("success")
            else:
                if out.balance is not None:
                    self.points_target = dataclasses.replace(target, balance=out.balance)
                self._say(self.t(f"staff.error.{out.reason}"), False)
                self.render()

        self.app.run_job(
            lambda: kiosk.adjust_points(staff, target.volunteer_id, delta, reason), done
        )

    # redemptions ---------------------------------------------------------------------

    def _render_redemptions(self) -> None:
        if not self.view.redemptions:
            self._note(self.t("staff.redemptions.none"))
        lang = self.app.lang
        for r in self.view.redemptions:
            status = self.t(f"staff.redemptions.{r['status']}")
            text = self.t(
                "staff.redemptions.row",
                no=r["pickup_no"],
                item=pick(r["item_names"], lang),
                name=r["name"],
                day=r["day"],
                status=status,
            )
            buttons = []
            if r["status"] == "done":
                buttons.append(
                    self._button(
                        self.t("staff.redemptions.cancel"),
                        "cancel_redemption",
                        r["redemption_id"],
                        self._cancel_redemption,
                        width=dp(140),
                        bg="warning",
                        ink="warning_ink",
                    )
                )
            self._row(text, buttons)

    def _cancel_redemption(self, btn: KButton) -> None:
        kiosk, staff, rid = self.app.kiosk, self.staff_id, btn.value
        self.act(
            lambda: kiosk.cancel_redemption(staff, rid, "staff_cancel"), "staff.done.cancelled"
        )

    # sync ----------------------------------------------------------------------------

    def _render_sync(self) -> None:
        s = self.sync
        if s is None:
            return
        if not s.connected:
            state = self.t("staff.sync.not_connected")
        else:
            state = self.t("staff.sync.online" if s.online else "staff.sync.offline")
        self._row(state, [])
        self._row(self.t("staff.sync.pending", n=s.pending, minutes=int(s.oldest_age_s // 60)), [])
        self._row(
            self.t("staff.sync.last_success", when=s.last_success or self.t("staff.sync.never")), []
        )
        if s.last_error:
            self._row(self.t("staff.sync.last_error", error=s.last_error), [], ink="refusal")
        self._note(self.t("staff.sync.outbox"))
        for ev in s.outbox:
            self._row(f"#{ev['seq']}  {ev['type']}  {ev['at'][11:19]}  {ev['actor']}", [])
        self._note(self.t("staff.sync.exceptions"))
        if s.exceptions_at:
            at = datetime.fromisoformat(s.exceptions_at).astimezone(self.app.kiosk.config.tz)
            self._note(
                self.t(
                    "staff.sync.exceptions_as_of",
                    time=f"{short_date(at, self.app.lang)} {time_text(at, self.app.lang)}",
                )
            )
        if s.exceptions is None:
            self._row(self.t("staff.sync.exceptions_unavailable"), [])
        elif not s.exceptions:
            self._row(self.t("staff.sync.exceptions_none"), [])
        else:
            for exc in s.exceptions[:MAX_EXCEPTION_ROWS]:
                self._row(self.exception_text(exc), [], ink="refusal")
            if len(s.exceptions) > MAX_EXCEPTION_ROWS:
                self._note(
                    self.t("staff.sync.exceptions_more", n=len(s.exceptions) - MAX_EXCEPTION_ROWS)
                )

    def exception_text(self, exc: dict[str, Any]) -> str:
        """One line: when, what kind, whose (a volunteer id, else the kiosk), the figures."""
        lang, kind, d = self.app.lang, exc["kind"], exc["detail"]
        known = kind in EXCEPTION_KINDS
        figures = {
            "balance": d.get("balance", ""),
            "cost": d.get("cost", ""),
            "seq": d.get("seq", ""),
            "delta": d.get("delta", ""),
            "reason": d.get("reason", ""),
            "qty": d.get("qty", ""),
            "kiosk": exc["kiosk_id"],
            "kiosks": ", ".join(str(k) for k in d.get("kiosks") or [exc["kiosk_id"]]),
            "item": pick(exc["item_names"], lang) if exc["item_names"] else "",
        }
        when = exc["when"]
        # An overdraft made by a staff adjustment or correction, not by a redemption.
        detail_key = (
            {"points.adjust": "overdraft_adjust", "attendance.correct": "overdraft_correct"}.get(
                d.get("cause"), kind
            )
            if kind == "overdraft"
            else kind
        )
        return self.t(
            "staff.sync.exception_row",
            when=f"{short_date(when, lang)} {time_text(when, lang)}" if when else "",
            kind=self.t(f"staff.sync.kind.{kind}") if known else self.t("staff.sync.kind.other"),
            who=exc["volunteer_id"] or exc["kiosk_id"],
            detail=self.t(f"staff.sync.detail.{detail_key}", **figures) if known else "",
        )

    def sync_tick(self) -> None:
        """On the sync page, redraw when the agent has read a newer list from the ledger."""
        agent = self.app.sync_agent
        if (
            self.staff_id is None
            or self.sync is None
            or self.screen.tab != "sync"
            or self.app.sm.current != "staff"
            or agent is None
        ):
            return
        if getattr(agent, "exceptions_at", None) != self.sync.exceptions_at:
            self.reload(self.screen.message, self.screen.message_ok)

    # settings ------------------------------------------------------------------------

    def _render_settings(self) -> None:
        if not self.settings:
            cfg = self.app.config_kiosk
            self.settings = {
                "site_id": self.view.site_id,
                "language": cfg.language,
                "idle": int(self.app.idle_timeout),
            }
        st = self.settings
        content = self.screen.ids.content
        lang = self.app.lang
        self._note(self.t("staff.settings.site"))
        for site_id, names in self.view.sites:
            sel = st["site_id"] == site_id
            content.add_widget(
                self._button(
                    pick(names, lang),
                    "site",
                    site_id,
                    self._set_site,
                    bg="accent" if sel else "panel",
                    ink="accent_ink" if sel else "ink",
                    selected=sel,
                )
            )
        row = Row(text=self.t("staff.settings.language"))
        for code in LANGS:
            sel = st["language"] == code
            row.add_widget(
                self._button(
                    LANG_NAMES[code],
                    "default_lang",
                    code,
                    self._set_default_lang,
                    bg="accent" if sel else "panel",
                    ink="accent_ink" if sel else "ink",
                    selected=sel,
                    width=dp(130),
                )
            )
        content.add_widget(row)
        row = Row(text=self.t("staff.settings.idle", n=st["idle"]))
        row.add_widget(self._button("-", "idle_down", -10, self._bump_idle, width=dp(84)))
        row.add_widget(self._button("+", "idle_up", 10, self._bump_idle, width=dp(84)))
        content.add_widget(row)
        # What a staff member reads out on the phone when asking for help (constants: no disk).
        self._note(
            self.t(
                "staff.settings.version",
                version=__version__,
                schema=self.app.kiosk.store.schema_version,
                protocol=PROTOCOL_VERSION,
            )
        )
        self.screen.ids.toolbar.add_widget(
            self._button(
                self.t("common.save"),
                "save_settings",
                None,
                self._save_settings,
                bg="success",
                ink="success_ink",
            )
        )

    def _set_site(self, btn: KButton) -> None:
        self.settings["site_id"] = btn.value
        self.render()

    def _set_default_lang(self, btn: KButton) -> None:
        self.settings["language"] = btn.value
        self.render()

    def _bump_idle(self, btn: KButton) -> None:
        self.settings["idle"] = min(600, max(10, self.settings["idle"] + btn.value))
        self.render()

    def _save_settings(self, _btn=None) -> None:
        st = dict(self.settings)
        app = self.app
        store = app.kiosk.store

        def job():
            store.set_settings(
                **{
                    "site_id": st["site_id"],
                    "ui.site_id": st["site_id"],
                    "ui.language": st["language"],
                    "ui.idle_timeout_seconds": st["idle"],
                }
            )
            return st

        def done(_st) -> None:
            cfg = dataclasses.replace(
                app.config_kiosk,
                site_id=st["site_id"],
                language=st["language"],
                idle_timeout_seconds=int(st["idle"]),
            )
            app.kiosk.config = cfg
            app.config_kiosk = cfg
            app.idle_timeout = float(st["idle"])
            app.lang = st["language"]
            app.refresh_home()
            self.reload(self.t("staff.done.settings"), True)

        app.run_job(job, done)
