"""A damaged, locked, missing or full store gives a clear answer and loses nothing."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import Store, StoreError


def test_missing_store_is_never_created_silently(tmp_path):
    with pytest.raises(StoreError) as exc:
        Store.in_dir(tmp_path / "nothing")
    assert exc.value.kind == "missing" and "kiosk load" in exc.value.message
    assert not (tmp_path / "nothing").exists()


def test_corrupt_file(tmp_path):
    path = tmp_path / "kiosk.db"
    garbage = b"this is not a database, it was overwritten by something" * 100
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as exc:
        Store(path)
    assert exc.value.kind == "corrupt" and "damaged" in exc.value.message
    assert path.read_bytes() == garbage  # left as it was, for staff to recover


def test_damaged_pages_fail_the_integrity_check(tmp_path, store_factory):
    store = store_factory(tmp_path)
    store.close()
    path = tmp_path / "kiosk.db"
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[page * 2 : page * 3] = b"\xff" * page
    path.write_bytes(bytes(raw))
    try:
        damaged = Store(path)
    except StoreError as exc:
        assert exc.kind == "corrupt"
    else:
        assert not damaged.integrity_ok()


def test_folder_in_place_of_the_file(tmp_path):
    (tmp_path / "kiosk.db").mkdir()
    with pytest.raises(StoreError) as exc:
        Store.in_dir(tmp_path)
    assert exc.value.kind == "unreadable"


def test_locked_store_answers_instead_of_hanging(tmp_path, store_factory, roster, clock):
    store_factory(tmp_path).close()
    holder = sqlite3.connect(tmp_path / "kiosk.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = Store(tmp_path / "kiosk.db", busy_timeout_ms=200)
    except StoreError as exc:
        assert exc.kind == "locked"
    else:
        with pytest.raises(StoreError) as exc:
            Kiosk(store, KioskConfig(), clock=clock).scan(roster["V000101"]["code"])
        assert exc.value.kind == "locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store = Store(tmp_path / "kiosk.db")
    assert store.event_count() == 0


def test_full_disk_refuses_the_action_and_leaves_nothing_half_written(
    tmp_path, store_factory, roster, clock
):
    store = store_factory(tmp_path)
    kiosk = Kiosk(store, KioskConfig(), clock=clock)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    # SQLite's own "database or disk is full" path, as on a real full disk.
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    done = 0
    with pytest.raises(StoreError) as exc:
        for i in range(5000):
            clock.advance(minutes=3)
            vid = ["V000101", "V000102", "V000103", "V000107"][i % 4]
            kiosk.scan(roster[vid]["code"])
            done += 1
    assert exc.value.kind == "disk_full" and "nothing was recorded" in exc.value.message
    assert store.event_count() == done == store.last_seq()
    assert store.integrity_ok() and store.replay_matches()
    store.conn.execute("PRAGMA max_page_count = 1073741823")
    clock.advance(minutes=3)
    assert kiosk.scan(roster["V000110"]["code"]).ok  # space freed: the kiosk carries on
    assert store.last_seq() == done + 1


def test_newer_schema_is_refused(tmp_path, store_factory):
    store_factory(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "kiosk.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError) as exc:
        Store.in_dir(tmp_path)
    assert exc.value.kind == "too_new"
