"""Decide, draw, then confirm, in a real window: a scan's answer is on screen while its
commit is still under way, and only the commit confirms it (words, colour, sound); a
commit that fails turns the answer into an error, never into a confirmation."""

from __future__ import annotations

import sqlite3
import threading

from kiosk.store import Store
from kiosk.ui.theme import TONES


class HeldCommit:
    """The store's connection with COMMIT held until the test lets it go (or fails it)."""

    def __init__(self, conn: sqlite3.Connection, fail: bool = False):
        self._conn = conn
        self.fail = fail
        self.reached = threading.Event()
        self.release = threading.Event()

    def execute(self, sql, *args):
        if sql.strip().upper() == "COMMIT":
            self.reached.set()
            assert self.release.wait(30), "the test never released the commit"
            if self.fail:
                raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _committed_events(store) -> int:
    other = Store(store.path)
    try:
        return other.event_count()
    finally:
        other.close()


def _scan_with_held_commit(gui, roster, fail: bool):
    store = gui.store
    held = HeldCommit(store.conn, fail=fail)
    store.conn = held
    sounds = len(gui.app.sound.played)
    gui.show_code(roster["V000101"]["code"])
    scr = gui.app.screen("result")
    gui.wait_until(
        lambda: gui.app.sm.current == "result" and scr.kind == "recording:signed_in",
        what="the decided answer",
    )
    gui.step(2)  # drawn
    return held, scr, sounds


def test_the_answer_is_drawn_before_the_commit_and_confirmed_by_it(gui, roster):
    held, scr, sounds = _scan_with_held_commit(gui, roster, fail=False)
    try:
        text = gui.texts()
        assert held.reached.is_set() and _committed_events(gui.store) == 0
        assert "张*明" in text and "日常值班" in text  # who and what: the decided answer
        assert "正在记录" in text and "签到成功" not in text  # not yet confirmed
        assert scr.bg != TONES["success"][0] and len(gui.app.sound.played) == sounds
    finally:
        held.release.set()
        gui.store.conn = held._conn
    gui.wait_until(lambda: scr.kind == "signed_in", what="the confirmation")
    gui.settle()
    assert "签到成功" in gui.texts() and "正在记录" not in gui.texts()
    assert scr.bg == TONES["success"][0] and gui.app.sound.played[-1] == "success"
    assert _committed_events(gui.store) == 1
    gui.take_away()


def test_a_failed_commit_is_never_confirmed(gui, roster):
    held, scr, sounds = _scan_with_held_commit(gui, roster, fail=True)
    try:
        held.release.set()
        gui.wait_until(lambda: scr.kind.startswith("error"), what="the error screen")
        gui.settle()
    finally:
        gui.store.conn = held._conn
    assert "签到成功" not in gui.texts()
    assert "success" not in gui.app.sound.played[sounds:]
    assert gui.store.event_count() == 0 and gui.store.open_session("V000101") is None
    gui.take_away()
