"""Which camera frames the on-screen preview draws.

Under software GL every redraw of the window costs tens of milliseconds of CPU, and on
a small board's GPU it still costs power; a kiosk stands in front of an empty, still
room most of the day. So the preview follows the camera's rate while the scene moves
(a hand, a card: people expect to see it at once) and for a moment after, and drops
to a slow beat when nothing in front of the camera has changed, just enough to show
the picture is live.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class PreviewPacer:
    def __init__(
        self,
        still_fps: float = 2.0,
        settle_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ):
        """``clock`` must be the scanner's clock: ``due`` compares its ``last_motion`` with it."""
        self.still_interval = 1.0 / still_fps
        self.settle_s = settle_s  # keep the camera's rate this long after the last motion
        self._clock = clock
        self._shown_seq = -1
        self._shown_at = float("-inf")
        self.shown = 0  # frames drawn: for tests and the idle benchmark

    def due(self, frame_seq: int, last_motion: float) -> bool:
        """Should the frame numbered ``frame_seq`` be drawn now? Records it if so."""
        if frame_seq == self._shown_seq:
            return False
        now = self._clock()
        if now - last_motion > self.settle_s and now - self._shown_at < self.still_interval:
            return False
        self._shown_seq = frame_seq
        self._shown_at = now
        self.shown += 1
        return True

    def restart(self) -> None:
        """The preview was hidden: draw the next frame whatever the scene does."""
        self._shown_seq = -1
        self._shown_at = float("-inf")
