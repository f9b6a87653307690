"""When each kiosk last pulled, for the console's 自助机 page. A pull is a read: it must
never wait for the writer (a long import, a batch), so the times are kept in memory and
one thread of this process writes them every few seconds, coalesced (a kiosk pulling
every second costs one row write per interval, not one per pull)."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("sync.ledger")

FLUSH_S = 5.0


class Contacts:
    def __init__(self, store: Any, interval_s: float = FLUSH_S):
        self.store = store
        self.interval_s = interval_s
        self._pending: dict[str, str] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one writer of these rows per process
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def note(self, kiosk_id: str, at: str) -> None:
        with self._lock:
            if self._pending.get(kiosk_id, "") < at:
                self._pending[kiosk_id] = at
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ledger-contacts", daemon=True
                )
                self._thread.start()

    def flush(self) -> int:
        """Write what is pending now (the console calls this before it shows kiosks)."""
        with self._flushing:
            with self._lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return 0
            try:
                with self.store.console_write() as w:
                    for kiosk_id, at in sorted(pending.items()):
                        w.put_kiosk_report(kiosk_id, at, None)
            except Exception:
                with self._lock:  # kept for the next try; a newer time wins
                    for k, at in pending.items():
                        if self._pending.get(k, "") < at:
                            self._pending[k] = at
                raise
            return len(pending)

    def _run(self) -> None:
        # The thread lives while pulls come in: a quiet interval ends it (the next pull
        # starts another), so a closed app leaves no thread writing behind it.
        while not self._stop.wait(self.interval_s):
            try:
                if self.flush():
                    continue
            except Exception as exc:
                if self._stop.is_set() or self.store.closed:
                    return  # the app and its store are gone: nobody will read these times
                # the database away for a moment: try again later
                log.warning("kiosk contact times not written yet: %s", exc)
                continue
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return

    def stop(self) -> None:
        """At the app's shutdown: write what is pending, then let the thread end."""
        self._stop.set()
        try:
            self.flush()
        except Exception as exc:
            log.warning("kiosk contact times not written at shutdown: %s", exc)
