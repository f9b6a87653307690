"""Nothing slow on the UI thread: the store's lock is taken only on the worker (and the
sync agent's thread), and reward pictures are read and decoded on Kivy's loader threads.
A tour of every screen and staff page, watching which thread does what."""

from __future__ import annotations

import threading
import traceback

import pytest
from kivy.core.image import ImageLoader

from tests.gui.staff.common import login, open_page
from tests.gui.test_attendance import result

MENU = ("stock", "catalog", "sessions", "points", "assist", "redemptions", "sync", "settings")


class WatchedLock:
    """The store's lock, noting every time the UI (main) thread takes it."""

    def __init__(self, lock) -> None:
        self.lock = lock
        self.watching = False
        self.on_ui: list[str] = []

    def _note(self) -> None:
        if self.watching and threading.current_thread() is threading.main_thread():
            self.on_ui.append("".join(traceback.format_stack(limit=6)[:-2]))

    def __enter__(self):
        self._note()
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)

    def acquire(self, *a, **k):
        self._note()
        return self.lock.acquire(*a, **k)

    def release(self):
        return self.lock.release()


@pytest.fixture
def watched(gui):
    lock = WatchedLock(gui.store._lock)
    gui.store._lock = lock
    yield lock
    lock.watching = False
    gui.store._lock = lock.lock


def tour(gui, roster) -> None:
    """Scan in, rewards (pictures), redeem, then every staff page and back home."""
    gui.wedge(roster["V000101"]["code"])
    result(gui, "signed_in")
    gui.press("ok")
    gui.press("rewards")
    gui.wait_screen("rewards_scan")
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("catalog")
    towel = next(
        w for w in gui.walk() if getattr(w, "action", "") == "item" and w.item.item_id == "towel"
    )
    gui.tap(towel)
    gui.wait_screen("confirm")
    gui.press("confirm")
    result(gui, "redeemed")
    gui.press("ok")
    gui.press("lang", "en")  # every screen says it again, from what it holds
    login(gui, roster)
    for tab in MENU:
        open_page(gui, tab)
    gui.press("tab", "catalog")
    gui.press("edit_item", "towel")
    gui.press("cancel_edit")
    gui.press("leave_staff")
    gui.wait_screen("home")
    gui.press("lang", "zh-Hans")


def test_the_ui_thread_never_takes_the_store_lock(gui, roster, watched):
    watched.watching = True
    tour(gui, roster)
    watched.watching = False
    assert gui.store.recent_redemptions()  # the tour did reach the store, on the worker
    assert watched.on_ui == [], watched.on_ui[0]


def test_reward_pictures_are_loaded_off_the_ui_thread(gui, roster, monkeypatch):
    loads: list[tuple[str, str]] = []
    original = ImageLoader.load

    def spy(filename, **kwargs):
        loads.append((threading.current_thread().name, str(filename)))
        return original(filename, **kwargs)

    monkeypatch.setattr(ImageLoader, "load", staticmethod(spy))
    gui.press("rewards")
    gui.wait_screen("rewards_scan")
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("catalog")
    rice = next(
        w for w in gui.walk() if getattr(w, "action", "") == "item" and w.item.item_id == "rice-5kg"
    )
    gui.tap(rice)
    gui.wait_screen("confirm")
    pictures = [(t, f) for t, f in loads if f.endswith(".png")]
    assert any(f.endswith("rice-5kg.png") for _t, f in pictures)  # the tile's and the confirm's
    on_ui = [f for t, f in pictures if t == threading.main_thread().name]
    assert on_ui == []
