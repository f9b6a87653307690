"""Decide, draw, then confirm: a sign-in is handed to the screen before its commit (so the
fsync does not hold the answer up), and the caller learns of the commit only when it is
on disk; a commit that fails records nothing and raises."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.store import Store, StoreError


class CommitFails:
    """The store's connection, with COMMIT failing as on a full or failing disk."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def execute(self, sql, *args):
        if sql.strip().upper() == "COMMIT":
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _seen_elsewhere(path) -> int:
    """Events another process would find in the file: what is committed."""
    other = Store(path)
    try:
        return other.event_count()
    finally:
        other.close()


def test_the_decision_comes_before_the_commit(kiosk, store, roster):
    calls = []

    def decided(outcome):
        calls.append((outcome.kind, outcome.balance, _seen_elsewhere(store.path)))

    out = kiosk.scan(roster["V000103"]["code"], decided=decided)
    assert out.kind == "signed_in"
    # Handed over once, complete, while nothing was committed yet; committed on return.
    assert calls == [("signed_in", out.balance, 0)]
    assert _seen_elsewhere(store.path) == 1


def test_sign_out_is_decided_with_its_points_in_the_balance(kiosk, store, roster, clock):
    kiosk.scan(roster["V000103"]["code"])
    clock.advance(minutes=95)
    seen = []
    out = kiosk.scan(roster["V000103"]["code"], decided=seen.append)
    assert out.kind == "signed_out" and seen[0].balance == out.balance == store.balance("V000103")


def test_answers_without_a_write_are_not_handed_over_early(kiosk, roster, clock):
    seen = []
    kiosk.scan(roster["V000103"]["code"])
    clock.advance(minutes=1)
    assert kiosk.scan(roster["V000103"]["code"], decided=seen.append).kind == "already_signed_in"
    assert kiosk.scan("https://example.com/pay", decided=seen.append).kind == "refused"
    assert seen == []  # nothing to commit: the returned answer is the only one


def test_a_failed_commit_records_nothing_and_raises(kiosk, store, roster):
    seen = []
    real = store.conn
    store.conn = CommitFails(real)
    try:
        with pytest.raises(StoreError):
            kiosk.scan(roster["V000103"]["code"], decided=seen.append)
    finally:
        store.conn = real
    assert [o.kind for o in seen] == ["signed_in"]  # decided, drawn, never confirmed
    assert store.event_count() == 0 and store.open_session("V000103") is None
    assert _seen_elsewhere(store.path) == 0
    assert kiosk.scan(roster["V000103"]["code"]).kind == "signed_in"  # the next scan works
