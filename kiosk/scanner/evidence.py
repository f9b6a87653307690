"""Evidence over consecutive frames, for codes no single frame gives up.

A card held still for a few frames shows the same modules under new sensor noise each
time; averaging the frames divides the noise by about sqrt(n). So when a frame fails,
the average of the recent still frames gets one quick zxing-cpp pass. Any motion
between frames (judged on a small thumbnail) restarts the average, as averaging a
moving card would only blur it.
"""

from __future__ import annotations

import time
from collections import deque

import cv2
import numpy as np

from kiosk.core.codes import Refusal
from kiosk.scanner.pipeline import (
    Decoded,
    DecodePipeline,
    FrameDecode,
    Work,
    stage_zxing,
    to_gray,
)


class BurstReader:
    def __init__(
        self,
        pipeline: DecodePipeline,
        stack: bool = True,
        depth: int = 4,
        still_threshold: float = 4.0,
    ):
        self.pipeline = pipeline
        self.stack = stack
        self.depth = depth
        self.still_threshold = still_threshold  # mean grey-level change on the thumbnail
        self._frames: deque[np.ndarray] = deque(maxlen=depth)
        self._thumb: np.ndarray | None = None

    def feed(self, frame: np.ndarray) -> FrameDecode:
        result = self.pipeline.decode(frame)
        if not self.stack:
            return result
        t0 = time.perf_counter()
        gray = to_gray(frame)
        thumb = cv2.resize(gray, (80, 60), interpolation=cv2.INTER_AREA).astype(np.float32)
        moved = (
            self._thumb is None
            or self._thumb.shape != thumb.shape
            or float(np.mean(np.abs(thumb - self._thumb))) > self.still_threshold
        )
        self._thumb = thumb
        if moved:
            self._frames.clear()
        self._frames.append(gray.astype(np.float32))
        if result.ok or len(self._frames) < 2:
            return result
        mean = (sum(self._frames) / len(self._frames)).astype(np.uint8)
        found = stage_zxing(Work(mean, []))
        if not found:
            return result
        codes = tuple(
            Decoded(d.text, d.is_card, "zxing-cpp+stack", d.refusal)
            for d in self.pipeline.choose(found)
            if d.refusal is not Refusal.MALFORMED  # a bogus read does not count as evidence
        )
        if not codes:
            return result
        return FrameDecode(codes, result.ms + (time.perf_counter() - t0) * 1000)
