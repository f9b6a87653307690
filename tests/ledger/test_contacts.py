"""The pull-time writer (sync/ledger/api/contacts.py) outlives no app: at shutdown it writes
what it holds, and once its store is closed it ends quietly instead of retrying forever."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from sync.ledger.api.contacts import Contacts
from sync.ledger.app import create_app
from sync.ledger.db import open_db


def test_shutdown_writes_the_pending_pull_times(ledger_url):
    store = open_db(ledger_url)
    try:
        app = create_app(store)
        with TestClient(app):
            app.state.contacts.note("k-1", "2026-12-02T08:00:00+08:00")
        # the interval (5 s) never passed: the shutdown wrote the time
        with store.console_read() as r:
            assert r.kiosk_reports()["k-1"].contact_at == "2026-12-02T08:00:00+08:00"
    finally:
        store.close()


def test_a_closed_store_ends_the_thread_without_a_warning(ledger_url, caplog):
    store = open_db(ledger_url)
    contacts = Contacts(store, interval_s=0.01)
    store.close()
    with caplog.at_level(logging.WARNING, logger="sync.ledger"):
        contacts.note("k-1", "2026-12-02T08:00:00+08:00")
        thread = contacts._thread
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert not [r for r in caplog.records if "contact" in r.getMessage()]
    assert store.closed
