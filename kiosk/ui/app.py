"""The kiosk app: one App object that owns the state, the scanner, the store worker
and the navigation. Screens show what it tells them; every store action goes through
the worker thread and comes back through Clock, so the UI thread never waits."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

from kiosk.ui import env

env.prepare(fullscreen=os.environ.get("KIOSK_FULLSCREEN") == "1")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.factory import Factory  # noqa: E402
from kivy.graphics.texture import Texture  # noqa: E402
from kivy.lang import Builder  # noqa: E402
from kivy.metrics import Metrics, dp  # noqa: E402
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty  # noqa: E402

from kiosk import watchdog  # noqa: E402
from kiosk.config import KioskConfig  # noqa: E402
from kiosk.core.linebreak import whole_words  # noqa: E402
from kiosk.scanner.camera import Scanner  # noqa: E402
from kiosk.scanner.pipeline import DecodePipeline  # noqa: E402
from kiosk.scanner.preview import PreviewPacer  # noqa: E402
from kiosk.scanner.result import CameraStatus, ScanResult  # noqa: E402
from kiosk.scanner.sources import FrameSource, SimulatedCamera, open_source  # noqa: E402
from kiosk.service import Kiosk, Outcome  # noqa: E402
from kiosk.staff import StaffGate  # noqa: E402
from kiosk.store import Store, StoreError  # noqa: E402
from kiosk.ui import flows, staff, volunteer_flows  # noqa: E402
from kiosk.ui import screens as _screens  # noqa: E402,F401  (kv rules name these classes)
from kiosk.ui import widgets as _widgets  # noqa: E402,F401
from kiosk.ui.cjkwrap import keep_whole  # noqa: E402
from kiosk.ui.i18n import LANGS, Translator, date_text, pick, time_text  # noqa: E402
from kiosk.ui.sounds import SoundBoard  # noqa: E402
from kiosk.ui.theme import TONES, density_for, rgba, room_for  # noqa: E402
from kiosk.ui.volunteer import RecordScreen, UpcomingScreen, WhoScreen  # noqa: E402
from kiosk.ui.worker import Worker, call_on_ui  # noqa: E402

log = logging.getLogger("kiosk.ui")

KV = Path(__file__).with_name("kiosk.kv")
ENTER_KEYS = (13, 271)
SHIFTED = {
    "-": "_",
    "=": "+",
    ";": ":",
    "'": '"',
    ",": "<",
    ".": ">",
    "/": "?",
    "1": "!",
    "2": "@",
    "3": "#",
    "4": "$",
    "5": "%",
    "6": "^",
    "7": "&",
    "8": "*",
    "9": "(",
    "0": ")",
}
# Outcomes that name a volunteer who may look at their record or sign up with one more tap.
VOLUNTEER_KINDS = ("signed_in", "signed_out", "already_signed_in", "redeemed", "signed_up",
                   "withdrawn", "signup_refused")  # fmt: skip
PREVIEW_HOLD_S = 0.5  # after a scan; redrawing the preview delayed the answer by a frame or two
CHOICE_SECONDS = 10  # then the default activity is taken, so nobody is left half signed in


class KioskApp(App):
    lang = StringProperty("zh-Hans")
    site_text = StringProperty("")
    clock_text = StringProperty("")
    # The top bar's connection state and pending count, and the staff sync page, all read
    # from ``status`` (flows.SyncView), refreshed after every committed action, every sync
    # round and every few seconds (refresh_status): one source, so they always agree.
    status = ObjectProperty(None, allownone=True)
    status_rows = NumericProperty(0)  # pending records to list: the sync page asks for them
    sync_state = StringProperty("standalone")  # standalone | online | offline
    sync_text = StringProperty("")
    banner_text = StringProperty("")
    preview_texture = ObjectProperty(None, allownone=True)
    demo_mode = BooleanProperty(False)
    camera_status = StringProperty(CameraStatus.STOPPED.value)
    disk_ok = BooleanProperty(True)
    staff_id = StringProperty("")  # who is in staff mode ("" outside it)
    # 0 on a window 600 dp high (the 7-inch 1024x600 display), 1 from 800 dp: the .kv file
    # sizes titles, big buttons and spacing by it (kiosk.ui.theme: sizes)
    room = NumericProperty(1.0)

    def __init__(
        self,
        kiosk: Kiosk,
        *,
        source: FrameSource | None = None,
        demo_cards: list[dict] | None = None,
        sync_agent: Any = None,
        sounds: bool = True,
        image_dirs: tuple[Path, ...] = (),
        result_seconds: float = 8.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = "Volunteer kiosk"
        self.kiosk = kiosk
        self.config_kiosk: KioskConfig = kiosk.config
        self.lang = kiosk.config.language
        self.translator = Translator()
        keep_whole(whole_words(self.translator.terms()))
        self.source = source if source is not None else SimulatedCamera()
        self.demo_cards = demo_cards or []
        self.demo_mode = bool(self.demo_cards) and isinstance(self.source, SimulatedCamera)
        self.sync_agent = sync_agent
        self.sound = SoundBoard(enabled=sounds, voice=kiosk.config.voice_prompts)
        self.image_dirs = image_dirs
        self.result_seconds = result_seconds
        self.idle_timeout = float(kiosk.config.idle_timeout_seconds)
        self.worker: Worker | None = None
        self.scanner: Scanner | None = None
        self.gate = StaffGate(kiosk)
        self.catalog_view: flows.CatalogView | None = None
        self.home_view: flows.HomeView | None = None
        self.last_shown: flows.Shown | None = None
        self.exit_code = 0
        self._last_input = time.monotonic()
        # The camera's rate while the scene moves, two frames a second when it is still.
        self.preview_pacer = PreviewPacer()
        self._choice_deadline = 0.0
        self._preview_hold_until = 0.0
        self._camera_detail = ""
        self._events: list[Any] = []
        self.scan_log: list[tuple[float, str]] = []  # (monotonic, text) of the latest scans handled
        self.outcomes_shown = 0
        self._screen_now = "home"
        self.frames_drawn = 0  # window redraws (buffer swaps): tests check what redraws
        # The volunteer the record and the coming activities are shown for (a card shown a
        # moment ago); forgotten on the way home, so the next person starts afresh.
        self.who_for: str | None = None
        self.records_fetched = 0  # the ledger's answers to 我的记录 (for tests)

    # -- life cycle ---------------------------------------------------------------------

    def load_kv(self, filename=None):
        # Kivy would look for "kiosk.kv" by the class name; load it explicitly, once.
        # Kivy applies rules in the order they were loaded: the shared widgets' first.
        if str(KV) not in Builder.files:
            Builder.load_file(str(KV))
            staff.load_kv()
        return True

    def build(self):
        env.register_fonts()
        env.quiet_image_loader()
        self._fit_window()
        Window.bind(size=self._on_window_size)
        root = Factory.KioskRoot()
        for cls, name in (
            (RecordScreen, "record"),
            (UpcomingScreen, "upcoming"),
            (WhoScreen, "who"),
        ):
            root.ids.sm.add_widget(cls(name=name))
        sm = root.ids.sm
        sm.bind(current=lambda *_a: self._paint_window(sm))
        sm.get_screen("result").bind(bg=lambda *_a: self._paint_window(sm))
        self._paint_window(sm)
        return root

    @staticmethod
    def _paint_window(sm) -> None:
        """The window's clear colour is the screens' background: the paper colour, or the
        result's tone while it is shown. Every frame clears the window anyway; a quad over
        it cost a software renderer a sixth of each frame (bench/bench_ui.py)."""
        result = sm.get_screen("result")
        Window.clearcolor = rgba(result.bg if sm.current == "result" else "bg")

    def _fit_window(self, density: bool = True) -> None:
        """Scale the whole UI up on a window larger than 1280x800 (once, before anything
        is built, unless KIVY_METRICS_DENSITY says otherwise), and size display type and
        spacing by the window's height (theme.room_for)."""
        if density and "KIVY_METRICS_DENSITY" not in os.environ:
            Metrics.density = density_for(*Window.size)
        self.room = room_for(Window.height / dp(1))

    def _on_window_size(self, *_a) -> None:
        self._fit_window(density=False)

    @property
    def sm(self):
        return self.root.ids.sm

    def screen(self, name: str):
        return self.sm.get_screen(name)

    def on_start(self) -> None:
        self.worker = Worker()
        self.scanner = Scanner(
            self.source,
            on_result=self._scan_from_thread,
            on_status=self._status_from_thread,
            pipeline=DecodePipeline(None),  # the key is read on the worker, below
            debounce_s=self.config_kiosk.scan_debounce_seconds,
            mirror_preview=self.config_kiosk.mirror_preview,
        )
        self.scanner.start()
        Window.bind(
            on_key_down=self._on_key_down,
            on_touch_down=self._on_any_touch,
            on_request_close=self._on_request_close,
            on_flip=self._on_flip,
        )
        self._events = [
            Clock.schedule_interval(self._tick, 0.5),
            # Every frame (at most maxfps); the pacer decides which camera frames to draw.
            Clock.schedule_interval(self._update_preview, 0),
            Clock.schedule_interval(lambda _dt: self.refresh_status(), 5),
            Clock.schedule_interval(lambda _dt: self.screen("staff").tick(), 2),
            Clock.schedule_interval(lambda _dt: self.refresh_home(), 60),
            # Forgotten sign-outs close themselves at the activity's end plus the grace,
            # credited to the scheduled end and flagged, whether or not anyone scans.
            Clock.schedule_interval(lambda _dt: self.close_forgotten(), 300),
        ]
        self._build_demo_cards()
        # systemd (Type=notify, WatchdogSec): READY now, then pings from this UI loop,
        # so a frozen UI stops pinging and gets restarted. Nothing outside systemd.
        watchdog.attach(Clock.schedule_interval)
        self._tick(0)
        self._listen_to_agent()
        self.refresh_home()
        self.refresh_status()
        self.run_job(self.gate.close_left_open, lambda _r: None)

    def on_stop(self) -> None:
        watchdog.notify_stopping()
        try:
            self.gate.close("closed")
        except Exception:
            log.exception("closing the staff session failed")
        for ev in self._events:
            ev.cancel()
        Window.unbind(
            on_key_down=self._on_key_down,
            on_touch_down=self._on_any_touch,
            on_request_close=self._on_request_close,
            on_flip=self._on_flip,
            size=self._on_window_size,
        )
        if self.scanner is not None:
            self.scanner.stop()
        if self.worker is not None:
            self.worker.stop()
        if self.sync_agent is not None and hasattr(self.sync_agent, "stop"):
            try:
                self.sync_agent.stop()
            except Exception:
                log.exception("stopping the sync agent failed")

    def _on_flip(self, *_a) -> None:
        self.frames_drawn += 1

    def _on_request_close(self, *_a, **_k) -> bool:
        # Only the staff "leave kiosk mode" button closes the app (it sets this flag).
        return not getattr(self, "_may_close", False)

    def leave_kiosk(self) -> None:
        self._may_close = True
        self.stop()

    def _use_public_key(self, key: Any) -> None:
        # The decoder uses it to tell our card from others when a frame holds several. It
        # changes when the kiosk joins a ledger or the ledger sends a new roster: read with
        # the status, on the worker, never on the UI thread.
        if self.scanner is not None and self.scanner.pipeline.public_key != key:
            self.scanner.pipeline.public_key = key

    def use_sync_agent(self, agent: Any) -> None:
        """Sync through this agent from now on (tests, and an agent started late)."""
        self.sync_agent = agent
        self._listen_to_agent()
        self.refresh_status()

    def _listen_to_agent(self) -> None:
        """After every sync round the agent tells the UI, from its thread."""
        agent = self.sync_agent
        if agent is not None and getattr(agent, "on_status", False) is None:
            agent.on_status = lambda _status: Clock.schedule_once(lambda _dt: self.refresh_status())

    def use_kiosk(self, kiosk: Kiosk) -> None:
        """Swap the store and service (tests, and a site change): only while the worker is idle."""
        self.kiosk = kiosk
        self.config_kiosk = kiosk.config
        self.gate = StaffGate(kiosk)
        self.idle_timeout = float(kiosk.config.idle_timeout_seconds)
        self.catalog_view = None
        self.last_shown = None
        if self.scanner is not None:
            self.scanner.debouncer.reset()
        self.disk_ok = True
        self.status = None
        self._listen_to_agent()
        self.go_home()
        self.refresh_status()

    # -- text -------------------------------------------------------------------------

    def t(self, key: str, lang: str | None = None, **kw: Any) -> str:
        return self.translator.t(key, lang or self.lang, **kw)

    def set_lang(self, lang: str) -> None:
        if lang in LANGS:
            self.lang = lang

    def now(self):
        return self.kiosk.now()

    def on_lang(self, *_a) -> None:
        if self.root is None:
            return
        self._tick(0)
        self._render_site()
        self.on_status()
        self._update_banner()
        for name in self.sm.screen_names:
            scr = self.screen(name)
            if hasattr(scr, "render"):
                scr.render()

    # -- navigation and idle ----------------------------------------------------------

    def go(self, name: str) -> None:
        self.sm.current = name
        self._screen_now = name  # a plain copy the scanner's thread may read
        self._last_input = time.monotonic()

    def go_home(self, *, next_visitor: bool = False) -> None:
        """Back to the home screen; ``next_visitor``: nobody has touched the kiosk for the
        idle timeout, so whoever comes next gets the start-up language."""
        self.end_staff("idle" if next_visitor else "leave")
        self.catalog_view = None
        self.who_for = None
        self.sound.stop_speaking()
        if next_visitor:
            self.lang = self.config_kiosk.language
        self.go("home")
        self.refresh_home()

    def _on_any_touch(self, *_a) -> bool:
        self._last_input = time.monotonic()
        return False

    def _timeout_for(self, screen: str) -> float:
        if screen == "result":
            return min(self.result_seconds, self.idle_timeout or self.result_seconds)
        if screen == "staff":
            return max(self.idle_timeout, 120.0)
        return self.idle_timeout

    def _tick(self, _dt: float) -> None:
        now = self.kiosk.now()
        self.clock_text = f"{date_text(now, self.lang)}  {time_text(now, self.lang)}"
        if self.root is None:
            return
        current = self.sm.current
        if current == "choose":
            left = self._choice_deadline - time.monotonic()
            scr = self.screen("choose")
            if left <= 0 and scr.choice is not None:
                self.choose_activity(scr.choice.default_id)
            elif int(left) != int(scr.countdown):
                scr.countdown = max(0, int(left) + 1)
                scr.show_countdown()
            return
        timeout = self._timeout_for(current)
        quiet = time.monotonic() - self._last_input
        if current != "home" and timeout and quiet > timeout:
            self.go_home(next_visitor=quiet > self.idle_timeout)
        elif (
            current == "home"
            and self.lang != self.config_kiosk.language
            and quiet > self.idle_timeout
        ):
            self.lang = self.config_kiosk.language

    # -- background jobs --------------------------------------------------------------

    def close_forgotten(self) -> None:
        def closed(outcomes: list) -> None:
            if outcomes:
                log.info("closed %d forgotten sessions", len(outcomes))
                if hasattr(self.sync_agent, "wake"):
                    self.sync_agent.wake()

        self.run_job(
            self.kiosk.close_forgotten_sessions,
            closed,
            failed=lambda exc: log.warning("closing forgotten sessions failed: %s", exc),
        )

    def run_job(self, fn, done, *, failed=None) -> None:
        """Run ``fn`` on the store worker; ``done(result)`` on the UI thread."""

        def ok(result: Any) -> None:
            if not self.disk_ok:
                self.disk_ok = True
            if recorded(result):
                self.recorded()
            done(result)

        def bad(exc: BaseException) -> None:
            if isinstance(exc, StoreError | sqlite3.Error | OSError):
                self.disk_ok = False
            if failed is not None:
                failed(exc)
            else:
                self.show(flows.Shown(Outcome("error", False, reason="error", message=str(exc))))

        self.worker.submit(fn, ok, bad)

    def on_disk_ok(self, *_a) -> None:
        self._update_banner()

    def refresh_home(self) -> None:
        kiosk = self.kiosk
        self.run_job(lambda: flows.home(kiosk), self._home_loaded, failed=lambda _e: None)

    def _home_loaded(self, view: flows.HomeView) -> None:
        self.home_view = view
        home = self.screen("home")
        home.view = view
        home.render()
        self._render_site()

    def _render_site(self) -> None:
        if self.home_view is not None:
            self.site_text = pick(self.home_view.site, self.lang)

    def recorded(self) -> None:
        """A record was written: send it now, not at the next round; count it at once."""
        if hasattr(self.sync_agent, "wake"):
            self.sync_agent.wake()
        self.refresh_status()

    def refresh_status(self) -> None:
        """Read the sync state again (on the worker); the bar and the sync page follow."""
        kiosk, agent, rows = self.kiosk, self.sync_agent, int(self.status_rows)
        self.run_job(
            lambda: flows.sync_view(kiosk, agent, rows),
            self._status_loaded,
            failed=lambda exc: log.warning("reading the sync state failed: %s", exc),
        )

    def _status_loaded(self, view: flows.SyncView) -> None:
        if view.connection and self.kiosk is not None:
            self.status = view
            self._use_public_key(view.public_key)

    def on_status(self, *_a) -> None:
        view = self.status
        if view is None:
            return
        self.sync_state = view.connection
        if view.connection == "online":
            self.sync_text = (
                self.t("sync.online_pending", n=view.pending)
                if view.pending
                else self.t("sync.online")
            )
        else:
            self.sync_text = self.t(f"sync.{view.connection}", n=view.pending)

    # -- camera, preview and banner ---------------------------------------------------

    def _status_from_thread(self, status: CameraStatus, detail: str) -> None:
        call_on_ui(self._set_camera_status, status, detail)

    def _set_camera_status(self, status: CameraStatus, detail: str) -> None:
        self.camera_status = status.value
        self._camera_detail = detail
        self._update_banner()

    def _update_banner(self) -> None:
        parts = []
        if self.camera_status == CameraStatus.UNAVAILABLE.value:
            parts.append(self.t("banner.camera"))
        if not self.disk_ok:
            parts.append(self.t("banner.disk"))
        self.banner_text = "   ·   ".join(parts)

    def _update_preview(self, _dt: float) -> None:
        scanner = self.scanner
        if scanner is None or self.sm.current not in ("home", "rewards_scan", "who"):
            self.preview_pacer.restart()  # shown again: the first frame is drawn at once
            return
        if time.monotonic() < self._preview_hold_until:
            return
        seq, frame = scanner.preview_frame()  # decoded already: a card's goes to its answer
        if frame is None or not self.preview_pacer.due(seq, scanner.last_motion):
            return
        h, w = frame.shape[:2]
        tex = self.preview_texture
        if tex is None or tex.size != (w, h):
            tex = Texture.create(size=(w, h), colorfmt="rgb")
            tex.flip_vertical()
        tex.blit_buffer(frame.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        if tex is not self.preview_texture:
            self.preview_texture = tex
        else:
            self.root.canvas.ask_update()

    # -- scans ------------------------------------------------------------------------

    def _scan_from_thread(self, result: ScanResult) -> None:
        """From the scanner's thread. The answer is on its way: the preview is held at once
        (a preview frame drawn now would keep the UI thread from the answer), and a scan
        that signs in or out starts its store job here, so the decision is made while the
        UI thread finishes the frame it may be drawing."""
        self._preview_hold_until = time.monotonic() + PREVIEW_HOLD_S
        if self._routes_to_attendance(self._screen_now):
            self._attendance(result.text)
            call_on_ui(self._note_scan, result)
        else:
            call_on_ui(self.on_scan, result)

    @staticmethod
    def _routes_to_attendance(screen: str) -> bool:
        # 我的记录, 近期活动 and "show your card" take a card for whose record or sign-up.
        return screen not in (
            "staff",
            "pin",
            "rewards_scan",
            "catalog",
            "confirm",
            "who",
            "record",
            "upcoming",
        )

    def _on_key_down(
        self, _window, key: int, _scancode: int, codepoint: str | None, modifiers: list[str]
    ) -> bool:
        if self.scanner is None or (
            self.sm.current == "staff" and not self.screen("staff").takes_cards()
        ):
            return False  # staff type into text fields there
        self._last_input = time.monotonic()
        if key in ENTER_KEYS:
            self.scanner.feed_key("enter")
            return True
        if codepoint and len(codepoint) == 1 and codepoint.isprintable():
            ch = codepoint
            if "shift" in modifiers:
                ch = SHIFTED.get(ch, ch.upper())
            self.scanner.feed_key(ch)
            return True
        return False

    def _note_scan(self, result: ScanResult) -> None:
        self._last_input = time.monotonic()
        # The answer is on its way: no preview frames until it is on screen (or half a second),
        # so the UI thread is free the moment the store's answer comes back.
        self._preview_hold_until = self._last_input + PREVIEW_HOLD_S
        self.scan_log.append((time.monotonic(), result.text))
        del self.scan_log[:-100]

    def on_scan(self, result: ScanResult) -> None:
        self._note_scan(result)
        current = self.sm.current
        if current == "staff":
            # picks a volunteer on the points pages; never a sign-in
            self.screen("staff").scanned(result.text)
            return
        if current == "pin":
            return  # staff are at work: a card shown now is not a sign-in
        if current in ("rewards_scan", "catalog", "confirm"):
            self._rewards_lookup(result.text)
        elif current in ("who", "record", "upcoming"):
            self.who_scanned(result.text)  # whose record or sign-up: never a sign-in
        else:
            self._attendance(result.text)

    def _attendance(self, text: str) -> None:
        kiosk = self.kiosk
        self.run_job(
            lambda: flows.attendance(kiosk, text, decided=self._decided_from_thread),
            lambda r: self._attendance_done(r, text),
        )

    def _decided_from_thread(self, shown: flows.Shown) -> None:
        """A sign-in or sign-out decided and written, its commit (the fsync) under way: the
        answer is drawn now, and confirmed (words, colour, sound) when the job returns
        committed. A failed commit returns an error instead, which replaces it."""
        call_on_ui(self.show, shown, False)

    def _attendance_done(self, result: flows.Shown | flows.Choice, text: str = "") -> None:
        if isinstance(result, flows.Choice):
            scr = self.screen("choose")
            scr.choice = result
            scr.countdown = CHOICE_SECONDS
            self._choice_deadline = time.monotonic() + CHOICE_SECONDS
            scr.render()
            self.go("choose")
            self.sound.play("notice")
            return
        if result.outcome.kind == "staff_card":
            self.screen("pin").begin(result.outcome.volunteer_id, result.outcome.name, text)
            return
        self.show(result)

    def choose_activity(self, activity_id: str) -> None:
        scr = self.screen("choose")
        choice = scr.choice
        if choice is None:
            return
        scr.choice = None
        kiosk = self.kiosk
        # A card's text or, for a looked-up volunteer, the id: the flow takes either.
        who = {"text": choice.text} if choice.text else {"volunteer_id": choice.volunteer_id}

        def job():
            return flows.attendance(
                kiosk,
                activity_id=activity_id,
                assisted_by=choice.assisted_by,
                decided=self._decided_from_thread,
                **who,
            )

        self.run_job(job, self.show)

    def show(self, shown: flows.Shown, committed: bool = True) -> None:
        """The result screen; ``committed=False``: decided, not yet on disk, so drawn without
        the words, colour and sound that confirm it (kiosk.ui.screens.ResultScreen)."""
        o = shown.outcome
        self.who_for = o.volunteer_id if o.ok and o.kind in VOLUNTEER_KINDS else None
        scr = self.screen("result")
        self.last_shown = shown
        scr.shown = shown
        scr.committed = committed
        scr.render()
        self.go("result")
        if committed:
            self.outcomes_shown += 1
            tone = TONES[scr.tone][2]
            self.sound.play(tone)
            self.sound.say(scr.voice, self.lang, after=tone)

    # -- the volunteer's own screens ----------------------------------------------------

    def ask_who(self, purpose: str, activity_id: str = "", titles: dict | None = None) -> None:
        scr = self.screen("who")
        scr.purpose, scr.activity_id, scr.titles = purpose, activity_id, titles or {}
        scr.render()
        self.go("who")

    def who_scanned(self, text: str) -> None:
        """A card shown for the record or a sign-up (or at those screens)."""
        kiosk, current = self.kiosk, self.sm.current
        who = self.screen("who")
        purpose, aid = (who.purpose, who.activity_id) if current == "who" else (current, "")

        def job():
            if flows.is_certificate(text):
                return flows.Shown(kiosk.verify(text))
            vid = kiosk.volunteer_of(text)
            if not isinstance(vid, str):
                return flows.Shown(vid)
            if purpose in ("signup", "withdraw"):
                done = volunteer_flows.signup(kiosk, vid, aid, purpose == "signup")
                return flows.Shown(done.outcome, done.titles)
            if purpose == "upcoming":
                return volunteer_flows.upcoming(kiosk, vid)
            return vid

        def done(result) -> None:
            if isinstance(result, flows.Shown):
                self.show(result)
            elif isinstance(result, volunteer_flows.UpcomingView):
                self.who_for = result.volunteer_id
                self._upcoming_loaded(result)
            else:
                self.open_record(result)

        self.run_job(job, done)

    def open_record(self, volunteer_id: str | None = None) -> None:
        """The record at once from what this kiosk knows; the ledger's, a moment later, when it
        answers (a thread of its own: the store worker and the UI never wait on it)."""
        vid = volunteer_id or self.who_for
        if vid is None:
            self.ask_who("record")
            return
        self.who_for = vid
        kiosk = self.kiosk

        def shown(record: dict) -> None:
            scr = self.screen("record")
            if self.sm.current == "record" and scr.record and scr.record["volunteer_id"] != vid:
                return  # someone else's record came up meanwhile
            scr.record = record
            scr.render()
            if self.sm.current != "record":
                self.go("record")

        self.run_job(lambda: volunteer_flows.record(kiosk, vid), shown)
        if kiosk.store.setting("ledger_url") and kiosk.is_online(kiosk.now()):
            self._fetch_record(vid, shown)

    def _fetch_record(self, vid: str, shown) -> None:
        import threading

        from sync.agent import PermanentFailure, TemporaryFailure, fetch_record

        kiosk = self.kiosk

        def fetch() -> None:
            try:
                ledger = fetch_record(kiosk.store, vid)
            except (TemporaryFailure, PermanentFailure) as exc:
                log.info("the ledger's record of %s not read: %s", vid, exc)
                return

            def back(_dt) -> None:
                if self.who_for != vid or self.sm.current != "record":
                    return  # the volunteer has gone: nothing to show
                self.records_fetched += 1
                self.run_job(lambda: volunteer_flows.record(kiosk, vid, ledger), shown)

            Clock.schedule_once(back)

        threading.Thread(target=fetch, name="record-fetch", daemon=True).start()

    def open_upcoming(self, volunteer_id: str | None = None) -> None:
        vid = volunteer_id or self.who_for
        kiosk = self.kiosk
        self.run_job(lambda: volunteer_flows.upcoming(kiosk, vid), self._upcoming_loaded)

    def _upcoming_loaded(self, view) -> None:
        scr = self.screen("upcoming")
        scr.view = view
        scr.render()
        if self.sm.current != "upcoming":
            self.go("upcoming")

    def signup_tapped(self, activity_id: str, add: bool) -> None:
        """Sign up or withdraw on a coming activity: at once for the volunteer whose card was just
        shown, else the card first."""
        vid = self.who_for
        kiosk = self.kiosk
        if vid is None:
            self.ask_who(
                "signup" if add else "withdraw",
                activity_id,
                flows.activity_titles(kiosk, activity_id),
            )
            return

        def job():
            done = volunteer_flows.signup(kiosk, vid, activity_id, add)
            return flows.Shown(done.outcome, done.titles)

        self.run_job(job, self.show)

    # -- rewards ----------------------------------------------------------------------

    def open_rewards(self) -> None:
        self.catalog_view = None
        self.go("rewards_scan")

    def _rewards_lookup(self, text: str) -> None:
        kiosk, dirs = self.kiosk, self.image_dirs
        self.run_job(lambda: flows.rewards(kiosk, text, dirs), self._rewards_loaded)

    def _rewards_loaded(self, result: flows.CatalogView | flows.Shown) -> None:
        if isinstance(result, flows.Shown):
            self.show(result)
            return
        self.catalog_view = result
        scr = self.screen("catalog")
        scr.view = result
        scr.render()
        self.go("catalog")
        self.sound.play("notice")

    def pick_item(self, item: flows.ItemView) -> None:
        if self.catalog_view is None:
            return
        if item.state != "ok":
            # The service says why, in its own words: the screen never guesses a rule.
            self._redeem(item.item_id)
            return
        scr = self.screen("confirm")
        scr.item = item
        scr.render()
        self.go("confirm")

    def confirm_redeem(self) -> None:
        item = self.screen("confirm").item
        if item is not None:
            self._redeem(item.item_id)

    def _redeem(self, item_id: str) -> None:
        view = self.catalog_view
        if view is None:
            return
        kiosk = self.kiosk
        self.run_job(lambda: flows.redeem(kiosk, view.volunteer_id, item_id), self.show)

    # -- staff ------------------------------------------------------------------------

    def open_staff(self, staff_id: str) -> None:
        """The PIN was right: staff mode, on its first page."""
        self.staff_id = staff_id
        self.recorded()  # the gate wrote staff.session_open
        self.go("staff")
        self.sound.play("staff")
        self.screen("staff").open("stock")

    def end_staff(self, reason: str = "leave") -> None:
        """Staff mode ends: by leaving it, or idle (``reason``, kept in the staff trail)."""
        if self.staff_id:
            gate = self.gate
            self.run_job(lambda: gate.close(reason), lambda _r: self.recorded())
            self.staff_id = ""
            self.screen("staff").end()

    def use_settings(self, config: KioskConfig) -> None:
        """Settings staff saved (they are in the store already): used from now on."""
        self.kiosk.config = config
        self.config_kiosk = config
        self.idle_timeout = float(config.idle_timeout_seconds)
        self.lang = config.language
        self.refresh_home()

    # -- demo cards -------------------------------------------------------------------

    def _build_demo_cards(self) -> None:
        self.screen("home").show_demo_cards(self.demo_cards if self.demo_mode else [])

    def show_demo_card(self, card: dict) -> None:
        """Hold a demo card up to the simulated camera: its PNG, placed in a frame, is
        read by the real decode pipeline. Loading the PNG is disk work: off the UI thread."""
        from kiosk.ui.democards import hold_card

        source = self.source
        if not isinstance(source, SimulatedCamera):
            return
        path = card.get("card", "")
        self.worker.submit(lambda: hold_card(source, path), None)


def recorded(result: Any) -> bool:
    """A job's result that wrote to the store: an outcome, or a list of them."""
    if isinstance(result, list):
        return any(isinstance(r, Outcome) for r in result)
    return isinstance(getattr(result, "outcome", result), Outcome)


def load_demo_cards(path: Path | None) -> list[dict]:
    if path is None:
        return []
    try:
        cards = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.error("cannot read demo cards %s: %s", path, exc)
        return []
    base = Path(path).resolve().parent
    out = []
    for c in cards if isinstance(cards, list) else []:
        card = dict(c)
        if card.get("card") and not Path(card["card"]).is_absolute():
            card["card"] = str(base / card["card"])
        out.append(card)
    return out


def _choose_source(camera: str | None, config: KioskConfig, demo: bool) -> FrameSource:
    spec = camera if camera is not None else (config.camera or None)
    if spec is None and not demo and any(Path("/dev").glob("video*")):
        spec = "0"
    return open_source(spec)


def _start_sync_agent(store: Store, config: KioskConfig) -> Any:
    if not (store.setting("ledger_url") or store.setting("ledger_token")):
        return None
    try:
        from sync.agent.worker import SyncAgent
    except ImportError:
        return None
    try:
        agent = SyncAgent(
            store,
            interval=float(config.sync_interval_seconds),
            offline_after_seconds=float(config.offline_after_seconds),
        )
        agent.start()
        return agent
    except Exception:
        log.exception("the sync agent did not start; the kiosk works offline")
        return None


def apply_saved_settings(config: KioskConfig, store: Store) -> KioskConfig:
    """Settings staff changed on the screen outlive a restart; they sit in the store."""
    changes: dict[str, Any] = {}
    lang = store.setting("ui.language")
    if lang in LANGS:
        changes["language"] = lang
    idle = store.setting("ui.idle_timeout_seconds")
    if idle and idle.isdigit():
        changes["idle_timeout_seconds"] = int(idle)
    if store.setting("ui.site_id"):
        changes["site_id"] = store.setting("ui.site_id")
    if store.setting("ui.voice_prompts") in ("on", "off"):
        changes["voice_prompts"] = store.setting("ui.voice_prompts") == "on"
    return dataclasses.replace(config, **changes) if changes else config


def run_app(
    *,
    data_dir: Path,
    config: KioskConfig,
    camera: str | None = None,
    fullscreen: bool = False,
    demo_cards: Path | None = None,
) -> int:
    if fullscreen:
        os.environ["KIOSK_FULLSCREEN"] = "1"
        from kivy.config import Config

        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "show_cursor", "0")
        Window.fullscreen = "auto"
        Window.show_cursor = False
    try:
        store = Store.in_dir(data_dir)
    except StoreError as exc:
        log.error("cannot open the kiosk store: %s", exc)
        print(json.dumps({"ok": False, "kind": "error", "error": exc.kind, "message": str(exc)}))
        return 2
    config = apply_saved_settings(config, store)
    kiosk = Kiosk(store, config)
    cards = load_demo_cards(demo_cards)
    source = _choose_source(camera, config, bool(cards))
    dirs = tuple(p for p in ([Path(demo_cards).resolve().parent] if demo_cards else []))
    app = KioskApp(
        kiosk,
        source=source,
        demo_cards=cards,
        sync_agent=_start_sync_agent(store, config),
        image_dirs=dirs,
    )

    def on_term(_signum, _frame) -> None:
        # systemd and `make demo` stop the kiosk with SIGTERM: stop the threads first.
        app._may_close = True
        Clock.schedule_once(lambda _dt: app.stop())

    signal.signal(signal.SIGTERM, on_term)
    app.run()
    return app.exit_code
