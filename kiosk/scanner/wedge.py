"""USB "keyboard wedge" QR scanners: they type the code, then Enter, in one fast burst.

A scanner types a character every 1-20 ms; a person, 50 ms apart at best. Characters
are kept while they come fast; a slow gap starts over, so whatever a person typed
before is dropped and never becomes a scan. Pure and kivy-free: the UI feeds it from
Window.on_key_down with the key's text (or its name, e.g. "enter") and a timestamp.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.scanner.result import ScanResult, classify

ENTER_KEYS = frozenset({"enter", "return", "numpadenter", "kp_enter", "\r", "\n"})


class WedgeDecoder:
    def __init__(
        self,
        on_result: Callable[[ScanResult], None] | None = None,
        *,
        max_gap_s: float = 0.035,
        min_length: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.on_result = on_result
        self.max_gap_s = max_gap_s
        self.min_length = min_length  # shorter bursts are key repeat or a fast double tap
        self.clock = clock
        self._chars: list[str] = []
        self._first_t = 0.0
        self._last_t = 0.0

    def feed(self, key: str, timestamp: float | None = None) -> ScanResult | None:
        """One key press; returns (and passes to ``on_result``) a result when a scan completes.

        ``key`` is the typed character, or a key name; names other than Enter (shift,
        ctrl, ...) are ignored without breaking the burst, as scanners press shift for
        capitals.
        """
        t = self.clock() if timestamp is None else timestamp
        lowered = key.lower()
        if lowered in ENTER_KEYS:
            return self._finish(t)
        if len(key) != 1 or not key.isprintable():
            return None
        if self._chars and t - self._last_t > self.max_gap_s:
            self._chars.clear()  # a slow gap: what came before was a person typing
        if not self._chars:
            self._first_t = t
        self._chars.append(key)
        self._last_t = t
        return None

    def reset(self) -> None:
        self._chars.clear()

    @property
    def pending(self) -> bool:
        """True while a burst is in progress: the UI may hold back these keys from text fields."""
        return bool(self._chars) and self.clock() - self._last_t <= self.max_gap_s

    def _finish(self, t: float) -> ScanResult | None:
        chars, self._chars = self._chars, []
        if len(chars) < self.min_length or t - self._last_t > self.max_gap_s:
            return None
        text = "".join(chars)
        is_card, refusal = classify(text)
        result = ScanResult(
            text=text,
            is_card=is_card,
            source="wedge",
            decoder="wedge",
            ms=(t - self._first_t) * 1000.0,
            timestamp=t,
            refusal=refusal,
        )
        if self.on_result is not None:
            self.on_result(result)
        return result
