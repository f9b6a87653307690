"""One background thread for store actions: the UI thread never waits on SQLite's
fsync, a PIN hash or a slow disk. Results come back on the UI thread through
``call_on_ui``, in the order the jobs were submitted."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

from kiosk.scanner.threads import name_os_thread

log = logging.getLogger("kiosk.ui.worker")

_STOP = object()


def call_on_ui(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` on the UI thread, from any thread, as soon as the loop can.

    A "free" event wakes Kivy's loop from its sleep between frames (the kiosk runs the
    ``free_all`` clock, kiosk.ui.env), so an answer is not held back by up to a frame.
    """
    schedule = getattr(Clock, "schedule_once_free", Clock.schedule_once)
    schedule(lambda _dt: fn(*args), 0)


class Worker:
    def __init__(self, name: str = "kiosk-store") -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._lock = threading.Lock()
        self._outstanding = 0
        self._thread.start()

    @property
    def outstanding(self) -> int:
        with self._lock:
            return self._outstanding

    def submit(
        self,
        fn: Callable[[], Any],
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        with self._lock:
            self._outstanding += 1
        self._jobs.put((fn, done, failed))

    def stop(self, timeout: float = 5.0) -> None:
        self._jobs.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        name_os_thread(self._thread.name)
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            fn, done, failed = job
            try:
                result = fn()
            except BaseException as exc:  # a failed job must never kill the only worker
                log.exception("store job failed")
                if failed is not None:
                    call_on_ui(self._deliver, failed, exc)
                else:
                    self._finish()
                continue
            if done is not None:
                call_on_ui(self._deliver, done, result)
            else:
                self._finish()

    def _deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        try:
            callback(value)
        finally:
            self._finish()

    def _finish(self) -> None:
        with self._lock:
            self._outstanding -= 1
