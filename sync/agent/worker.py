"""The background sync thread beside the kiosk UI.

It opens its own connection to the store file (WAL lets the UI write meanwhile),
runs a round every ``interval`` seconds or at once when woken, and backs off with
jitter while the ledger is unreachable. ``status()`` never touches disk or network:
it returns the figures the thread last read, so the UI thread never waits.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from kiosk.store import Store, iso

from .backoff import Backoff
from .client import PermanentFailure, TemporaryFailure
from .rounds import Clock, fetch_exceptions, sync_once, utcnow

log = logging.getLogger("sync.agent")


@dataclass(frozen=True)
class SyncStatus:
    running: bool = False
    enrolled: bool = False
    online: bool = False  # the ledger answered within offline_after_seconds
    pending: int = 0
    oldest_pending_age_s: float = 0.0
    acked_seq: int = 0
    last_success: str | None = None
    last_error: str | None = None
    last_contact_at: str | None = None
    clock_offset_ms: int = 0
    next_attempt_in_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_status(
    store: Store, now: datetime, offline_after_seconds: float, **extra: Any
) -> SyncStatus:
    last_contact = store.setting("last_contact_at")
    oldest = store.oldest_pending_at()
    online = (
        bool(last_contact)
        and (now - datetime.fromisoformat(last_contact)).total_seconds() <= offline_after_seconds
    )
    return SyncStatus(
        enrolled=bool(store.setting("ledger_token")),
        online=online,
        pending=store.pending_count(),
        oldest_pending_age_s=round(
            max(0.0, (now - datetime.fromisoformat(oldest)).total_seconds()), 1
        )
        if oldest
        else 0.0,
        acked_seq=store.acked_seq(),
        last_success=store.setting("last_sync_at"),
        last_error=store.setting("last_sync_error"),
        last_contact_at=last_contact,
        clock_offset_ms=int(store.setting("clock_offset_ms", "0") or 0),
        **extra,
    )


class SyncAgent:
    def __init__(
        self,
        store: Store | str | Path,
        *,
        interval: float = 15.0,
        offline_after_seconds: float = 300.0,
        clock: Clock = utcnow,
        backoff: Backoff | None = None,
        session_factory: Callable[[], requests.Session] = requests.Session,
        on_status: Callable[[SyncStatus], None] | None = None,
        timeout: tuple[float, float] | None = None,
        exceptions_every: float = 60.0,
    ):
        self.path = Path(store.path if isinstance(store, Store) else store)
        self.interval = interval
        self.offline_after_seconds = offline_after_seconds
        self.clock = clock
        self.backoff = backoff or Backoff(rng=random.Random())
        self.session_factory = session_factory
        self.on_status = on_status
        self.timeout = timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = SyncStatus()
        self._status_lock = threading.Lock()
        self.rounds = 0
        self.last_result: dict[str, Any] | None = None
        # The ledger's exceptions for this site, as last read by the thread (for the staff page).
        self.exceptions_every = exceptions_every
        self.exceptions_at: str | None = None  # when they were read; None: never
        self._exceptions: list[dict[str, Any]] | None = None
        self._exceptions_due = 0.0  # time.monotonic() of the next read
        self._exceptions_wanted = threading.Event()

    def start(self) -> SyncAgent:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sync-agent", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Call after recording an event: the agent pushes it at once instead of at the next tick."""
        self._wake.set()

    def status(self) -> SyncStatus:
        with self._status_lock:
            return self._status

    def exceptions(self) -> list[dict[str, Any]] | None:
        """The exceptions the thread last read (None: not read yet). Never waits: when the
        list is older than 10 s it asks the thread for a fresh one and wakes it."""
        with self._status_lock:
            rows, at = self._exceptions, self.exceptions_at
        if at is None or (self.clock() - datetime.fromisoformat(at)).total_seconds() > 10:
            self._exceptions_wanted.set()
            self._wake.set()
        return None if rows is None else list(rows)

    def _read_exceptions(self, store: Store, session: requests.Session) -> None:
        if not (self._exceptions_wanted.is_set() or time.monotonic() >= self._exceptions_due):
            return
        self._exceptions_wanted.clear()
        self._exceptions_due = time.monotonic() + self.exceptions_every
        try:
            rows = fetch_exceptions(store, session=session, timeout=self.timeout)
        except (TemporaryFailure, PermanentFailure) as exc:
            log.info("ledger exceptions not read: %s", exc)  # the last list stays, with its time
            return
        with self._status_lock:
            self._exceptions, self.exceptions_at = rows, iso(self.clock())

    def _publish(self, store: Store, **extra: Any) -> None:
        status = read_status(
            store,
            self.clock(),
            self.offline_after_seconds,
            running=not self._stop.is_set(),
            **extra,
        )
        with self._status_lock:
            self._status = status
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception:  # the UI's callback must never stop syncing
                log.exception("on_status callback failed")

    def _run(self) -> None:
        store = Store(self.path)
        session = self.session_factory()
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    result = sync_once(
                        store, session=session, clock=self.clock, timeout=self.timeout
                    )
                except Exception as exc:  # a store error must not kill the thread; it is retried
                    log.exception("sync round failed")
                    result = {"ok": False, "retry": True, "error": "internal", "message": str(exc)}
                if result.get("ok"):
                    try:  # after the round's events; a failure only leaves the old list
                        self._read_exceptions(store, session)
                    except Exception:
                        log.exception("reading the ledger's exceptions failed")
                self.rounds += 1
                self.last_result = result
                if result.get("ok"):
                    self.backoff.reset()
                    delay = self.interval
                elif result.get("error") == "not_enrolled":
                    delay = self.interval
                else:
                    delay = (
                        self.backoff.next()
                        if result.get("retry")
                        else max(self.interval, self.backoff.cap)
                    )
                self._publish(store, next_attempt_in_s=round(delay, 2))
                self._wake.wait(delay)
        finally:
            session.close()
            store.close()
            with self._status_lock:
                self._status = SyncStatus(**{**asdict(self._status), "running": False})
