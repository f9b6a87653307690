"""Report a code once while it stays in view, not once per frame."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Debouncer:
    """Lets a text through when it has not been seen for ``window_s`` seconds.

    "Seen" is refreshed on every sighting, so a card held in front of the camera for a
    minute is reported once, and again only after it has been away for the window.
    """

    def __init__(self, window_s: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self._clock = clock
        self._last_seen: dict[str, float] = {}
        self._lock = threading.Lock()  # the camera and the wedge may share one debouncer

    def admit(self, text: str, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        with self._lock:
            last = self._last_seen.get(text)
            self._last_seen[text] = now
            if len(self._last_seen) > 256:
                self._forget_older_than(now - self.window_s)
        return last is None or now - last > self.window_s

    def reset(self) -> None:
        with self._lock:
            self._last_seen.clear()

    def _forget_older_than(self, cutoff: float) -> None:
        for key in [k for k, t in self._last_seen.items() if t < cutoff]:
            del self._last_seen[key]
