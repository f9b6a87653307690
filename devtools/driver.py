"""Drive a running KioskApp as a person would: touches, cards held to the camera,
keyboard-wedge bursts. Used by the GUI tests, the screenshot tool and the latency
bench, so all three exercise the same paths as a real visitor.

The app runs embedded: ``start_embedded`` prepares the window and the caller steps
the Kivy event loop (``step``/``wait_until``) instead of calling ``App.run()``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop, runTouchApp
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.graphics import Color, InstructionGroup, Rectangle
from kivy.input.motionevent import MotionEvent
from kivy.lang import Builder
from kivy.loader import Loader
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from kiosk.scanner.sources import SimulatedCamera
from kiosk.ui.app import KioskApp

# Kivy's Factory registers RecycleView from the module 'kivy.uix.recycleview.__init__', a
# second copy of the class that `from kivy.uix.recycleview import RecycleView` is not:
# a list made in kv (StaffList@RecycleView) is an instance of the Factory's.
RecycleView = Factory.get("RecycleView")


class Touch(MotionEvent):
    _ids = 1000

    def __init__(self, x: float, y: float) -> None:
        Touch._ids += 1
        super().__init__(
            "driver",
            Touch._ids,
            {"x": x / max(1.0, Window.width - 1.0), "y": y / max(1.0, Window.height - 1.0)},
            is_touch=True,
            type_id="touch",
        )
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        self.sx = args["x"]
        self.sy = args["y"]
        super().depack(args)


def is_list(w: Widget) -> bool:
    return isinstance(w, RecycleView)


class TimedOut(AssertionError):
    pass


def start_embedded(app: KioskApp) -> KioskApp:
    app._run_prepare()
    runTouchApp(embedded=True)
    return app


class Driver:
    # Under Xvfb every drawn frame is rendered by llvmpipe on the CPU (60-130 ms at
    # 1280x800 on two shared cores). While waiting, the driver runs the clock and input
    # every frame but draws only this often; each settle() ends on a drawn frame.
    DRAW_EVERY_S = 0.25

    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self._last_draw = 0.0

    # -- time -------------------------------------------------------------------------

    def step(self, frames: int = 1, draw: bool = True) -> None:
        for _ in range(frames):
            if draw or time.monotonic() - self._last_draw > self.DRAW_EVERY_S:
                EventLoop.idle()
                self._last_draw = time.monotonic()
            else:
                Clock.tick()
                EventLoop.dispatch_input()
                Builder.sync()
                Clock.tick_draw()
                Builder.sync()

    def wait_until(self, cond: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimedOut(
                    f"timed out waiting for {what or cond}: screen={self.app.sm.current}"
                    f" result={self.app.screen('result').kind!r}"
                )
            self.step(1, draw=False)

    def settle(self, timeout: float = 20.0) -> None:
        """Until the store worker has nothing in flight and every picture asked for is
        loaded, then one more drawn frame."""
        self.wait_until(
            lambda: self.app.worker.outstanding == 0 and not Loader._client,
            timeout,
            "worker idle and pictures loaded",
        )
        self.step(1, draw=False)
        self.step(1)

    def wait_screen(self, name: str, timeout: float = 20.0) -> Widget:
        self.wait_until(lambda: self.app.sm.current == name, timeout, f"screen {name}")
        self.settle(timeout)
        return self.app.screen(name)

    # -- finding widgets --------------------------------------------------------------

    def walk(self, root: Widget | None = None) -> Iterator[Widget]:
        root = root or self.app.screen(self.app.sm.current)
        yield from root.walk(restrict=True)

    def visible_walk(self) -> Iterator[Widget]:
        for modal in self.modals():
            yield from modal.walk(restrict=True)
        for w in self.app.root.walk(restrict=True):
            if w is self.app.root.ids.sm:
                yield w
                yield from self.app.screen(self.app.sm.current).walk(restrict=True)
                continue
            yield w

    def _matches(self, w: Widget, action: str, value: Any) -> bool:
        return getattr(w, "action", None) == action and (
            value is None or getattr(w, "value", None) == value
        )

    def modals(self) -> list[Widget]:
        """Open pop-ups (a number pad, a question): they sit on the window, above the app."""
        return [
            w
            for w in Window.children
            if isinstance(w, ModalView) and w._is_open and not getattr(w, "closing", False)
        ]

    def _find_once(self, action: str, value: Any, everywhere: bool) -> Widget | None:
        for modal in self.modals():  # a pop-up covers the screen: only it can be pressed
            for w in modal.walk(restrict=True):
                if self._matches(w, action, value):
                    return w
            return None
        widgets = self.app.root.walk(restrict=True) if everywhere else self.walk()
        for w in widgets:
            if self._matches(w, action, value):
                return w
        if not everywhere:
            for w in self.app.root.walk(restrict=True):
                if w is self.app.root.ids.sm:
                    break
                if self._matches(w, action, value):
                    return w
        return None

    def find(self, action: str, value: Any = None, *, everywhere: bool = False) -> Widget:
        """The widget with this ``action`` (and ``value``) on the current screen (and, with
        ``everywhere``, the top bar). A list draws only the rows in view: as a person
        would, scroll each list down a page at a time until the row shows."""
        found = self._find_once(action, value, everywhere)
        for _ in range(3):  # a list or a page just given its data lays out on the next frames
            if found is not None:
                return found
            self.step(1, draw=False)
            found = self._find_once(action, value, everywhere)
        for rv in [w for w in self.walk() if is_list(w)]:
            content = rv.children[0].height if rv.children else 0
            if content <= rv.height:
                continue
            page = rv.height / (content - rv.height)
            y = 1.0
            while found is None and y > 0:
                y = max(0.0, y - page * 0.8)
                rv.scroll_y = y
                self.step(2, draw=False)
                found = self._find_once(action, value, everywhere)
            if found is not None:
                return found
        raise LookupError(
            f"no widget with action={action!r} value={value!r} on {self.app.sm.current}"
        )

    def texts(self, scrolled: bool = False) -> str:
        """All text on the current screen (top bar included), for assertions; with
        ``scrolled``, also every row of its lists that is scrolled out of view (what a
        person reads by scrolling: a list draws only the rows in view)."""
        out = []
        lists = []
        for w in self.visible_walk():
            if scrolled and lists and self._inside(w, lists):
                continue  # a row in view: its list's data gave its text already
            text = getattr(w, "text", None)
            if isinstance(text, str) and text and getattr(w, "opacity", 1) > 0:
                out.append(text)
            if scrolled and is_list(w):
                lists.append(w)
                out += [str(row["text"]) for row in w.data if row.get("text")]
        return "\n".join(out)

    @staticmethod
    def _inside(w: Widget, containers: list) -> bool:
        parent = w.parent
        while parent is not None and parent is not parent.parent:
            if any(parent is c for c in containers):
                return True
            parent = parent.parent
        return False

    # -- touches ----------------------------------------------------------------------

    def tap(self, widget: Widget, settle: bool = True) -> None:
        # Layouts place new widgets over the next frames (a grid in a scroll view takes two).
        self.step(3, draw=False)
        x, y = widget.to_window(*widget.center)
        touch = Touch(x, y)
        if self._in_scroll_view(widget):
            # A ScrollView holds a touch back for scroll_timeout to see if it becomes a
            # drag; on a loaded CI machine a frame can outlast that, and the tap is lost.
            # Deliver the tap to the widget itself, as the ScrollView would, instead.
            touch.push()
            touch.x, touch.y = widget.parent.to_widget(x, y)
            touch.pos = (touch.x, touch.y)
            widget.dispatch("on_touch_down", touch)
            # Only a widget that took the touch (a button grabs it) gets it back as its
            # own; a disabled button takes nothing, and a tap on it does nothing.
            if any(ref() is widget for ref in touch.grab_list):
                touch.grab_current = widget
            widget.dispatch("on_touch_up", touch)
            touch.grab_current = None
            touch.pop()
            self.step(1, draw=False)
            if settle:
                self.settle()
            return
        EventLoop.post_dispatch_input("begin", touch)
        self.step(1, draw=False)
        EventLoop.post_dispatch_input("end", touch)
        self.step(2, draw=False)  # a ScrollView hands a tap to its child on a later frame
        if settle:
            self.settle()

    @staticmethod
    def _in_scroll_view(widget: Widget) -> bool:
        from kivy.uix.scrollview import ScrollView

        parent = widget.parent
        while parent is not None and parent is not parent.parent:
            if isinstance(parent, ScrollView):
                return True
            parent = parent.parent
        return False

    def press(self, action: str, value: Any = None, settle: bool = True) -> None:
        self.tap(self.find(action, value, everywhere=True), settle)

    # -- scans ------------------------------------------------------------------------

    @property
    def camera(self) -> SimulatedCamera:
        source = self.app.source
        assert isinstance(source, SimulatedCamera), "the driver needs the simulated camera"
        return source

    def forget_scans(self) -> None:
        """Forget what the camera saw, as if the card had been away for a while."""
        self.app.scanner.debouncer.reset()

    def show(self, frame) -> None:
        self.camera.show(frame)

    def take_away(self) -> None:
        self.camera.clear()

    def show_code(self, text: str, module_px: int = 6) -> None:
        self.camera.show(code_frame(text, module_px))

    def wedge(self, text: str, enter: bool = True) -> None:
        """Type ``text`` as a USB scanner does: unshifted key codes plus shift, then Enter."""
        wedge = self.app.scanner.wedge if self.app.scanner is not None else None
        saved = wedge.clock if wedge is not None else None
        if wedge is not None:
            # A scanner types a key every few milliseconds whatever the host is doing: the
            # keystrokes carry the scanner's timing, not this (loaded) test machine's.
            start, ticks = time.monotonic(), itertools.count()
            wedge.clock = lambda: start + 0.004 * next(ticks)
        try:
            for ch in text:
                base, mods = ch, []
                if ch.isupper():
                    base, mods = ch.lower(), ["shift"]
                elif ch == "_":
                    base, mods = "-", ["shift"]
                Window.dispatch("on_key_down", ord(base), 0, base, mods)
                Window.dispatch("on_key_up", ord(base), 0)
            if enter:
                Window.dispatch("on_key_down", 13, 40, None, [])
                Window.dispatch("on_key_up", 13, 40)
        finally:
            if wedge is not None:
                wedge.clock = saved

    def screenshot(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.step(2)
        if self.modals():  # a pop-up is on the window, not in the app's widget tree
            # Window.screenshot appends a counter to the name it is given: rename the file.
            saved = Window.screenshot(name=str(path.with_name(path.stem + "-.png")))
            Path(saved).replace(path)
            return path
        # The root widget over the window's clear colour, which is the screens' background
        # (KioskApp.build): an export starts from a transparent picture.
        root = self.app.root
        background = InstructionGroup()
        background.add(Color(*Window.clearcolor))
        background.add(Rectangle(pos=root.pos, size=root.size))
        root.canvas.before.insert(0, background)
        try:
            root.export_to_png(str(path))
        finally:
            root.canvas.before.remove(background)
        return path


def code_frame(text: str, module_px: int = 6, size: tuple[int, int] = (640, 480)):
    """A camera frame showing ``text`` as a QR code on a card, front-on."""
    from devtools.synth import background_frame, card_image

    frame = background_frame(size).copy()
    card = card_image(text, module_px)
    h, w = card.shape[:2]
    if w > size[0] or h > size[1]:
        return code_frame(text, max(2, module_px - 1), size)
    y, x = (size[1] - h) // 2, (size[0] - w) // 2
    frame[y : y + h, x : x + w] = card if card.ndim == 3 else card[..., None]
    return frame
