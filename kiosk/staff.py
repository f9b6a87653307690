"""Staff mode: who may open it, and the lockout. Kivy-free, so the rules are tested
without a window and the UI only shows what this decides.

A staff card starts a login; the PIN must follow within a short time. Five wrong PINs
within five minutes lock staff mode on this kiosk for five minutes, whichever card is
shown next: the lock protects the kiosk, not one account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.core.pins import Lockout, check_pin
from kiosk.store import Store


@dataclass(frozen=True)
class PinVerdict:
    ok: bool
    locked_until: datetime | None = None
    attempts_left: int = 0


class StaffGate:
    def __init__(
        self, store: Store, clock: Callable[[], datetime], lockout: Lockout | None = None
    ) -> None:
        self.store = store
        self._clock = clock
        self.lockout = lockout or Lockout()
        self._failures: list[datetime] = []
        self._lock = threading.Lock()

    def locked_until(self) -> datetime | None:
        with self._lock:
            return self.lockout.locked_until(self._failures, self._clock())

    def try_pin(self, staff_id: str, pin: str) -> PinVerdict:
        """Check a PIN (slow on purpose: PBKDF2). Call off the UI thread."""
        now = self._clock()
        with self._lock:
            until = self.lockout.locked_until(self._failures, now)
        if until is not None:
            return PinVerdict(False, until, 0)
        stored = self.store.staff_pin_hash(staff_id)
        ok = bool(stored) and check_pin(pin, stored)
        with self._lock:
            if ok:
                self._failures.clear()
                return PinVerdict(True)
            self._failures.append(now)
            window = [
                t for t in self._failures if now - t < timedelta(seconds=self.lockout.lock_seconds)
            ]
            self._failures = window
            until = self.lockout.locked_until(window, now)
            return PinVerdict(False, until, max(0, self.lockout.max_failures - len(window)))
