"""Evidence over consecutive frames: what the camera's stream says that no single frame does.

- **Change.** Each frame is compared with the one before on a small thumbnail, cell by
  cell, so a phone brought into one corner counts as much as a card filling the view.
  A still scene that the whole-frame fallbacks already searched is not searched again
  (zxing-cpp still reads every frame, and a near-miss still gets its region read): an
  empty kiosk then costs about a millisecond a frame. The same verdict paces the
  preview (kiosk.scanner.camera: ``last_motion``).
- **Regions.** Where zxing-cpp saw a code it could not read, the next frames look
  there again even if zxing-cpp loses the code entirely (blur from moving it, a thumb
  sliding over it): the card moves little between two frames at 30 fps.
- **Stacking.** A card held still shows the same modules under new sensor noise each
  frame; averaging the recent still frames divides the noise by about sqrt(n). It
  runs only where the scene shows evidence of a code (a near-miss, code-like texture),
  and any motion restarts it, as averaging a moving card would only blur it.
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
    Quad,
    Work,
    stage_pyzbar_threshold,
    stage_roi,
    stage_zxing,
    to_gray,
)

THUMB = (80, 60)
CELLS = (8, 6)  # motion is judged per cell of the thumbnail: 10x10 thumbnail pixels each


class SceneChange:
    """Did the scene change since the previous frame? Judged on an 80x60 thumbnail, by the
    largest mean change of any cell, in grey levels (sensor noise averages out there)."""

    def __init__(self, threshold: float = 6.0):
        self.threshold = threshold
        self._thumb: np.ndarray | None = None
        self.last = 0.0  # the latest frame's largest cell change

    def moved(self, gray: np.ndarray) -> bool:
        thumb = cv2.resize(gray, THUMB, interpolation=cv2.INTER_AREA)
        prev, self._thumb = self._thumb, thumb
        if prev is None:
            self.last = float("inf")
            return True
        diff = cv2.absdiff(thumb, prev)
        self.last = float(cv2.resize(diff, CELLS, interpolation=cv2.INTER_AREA).max())
        return self.last > self.threshold

    def reset(self) -> None:
        self._thumb = None


class BurstReader:
    """Feed it every frame from one camera, in order; it decodes each with what the stream
    has shown so far. One thread only (the scanner's decode thread)."""

    def __init__(
        self,
        pipeline: DecodePipeline,
        stack: bool = True,
        depth: int = 4,
        still_threshold: float = 6.0,
        track_frames: int = 3,
    ):
        self.pipeline = pipeline
        self.stack = stack
        self.depth = depth
        self.track_frames = track_frames  # how many frames a near-miss region is looked at
        self.change = SceneChange(still_threshold)
        self.moving = True  # the latest frame's verdict
        self._frames: deque[np.ndarray] = deque(maxlen=depth)
        self._searched = False  # the whole-frame fallbacks have searched this still scene
        self._scene_evidence = False  # ...and found code-like texture in it
        self._regions: deque[tuple[Quad, ...]] = deque(maxlen=track_frames)

    def reset(self) -> None:
        self.change.reset()
        self._frames.clear()
        self._regions.clear()
        self._searched = self._scene_evidence = False

    def feed(self, frame: np.ndarray) -> FrameDecode:
        gray = to_gray(frame)
        self.moving = self.change.moved(gray)
        if self.moving:
            self._frames.clear()
            self._searched = self._scene_evidence = False
        whole = not self._searched
        result = self.pipeline.decode(gray, whole_frame=whole)
        if whole and result.evidence is not None:
            self._searched = True
            self._scene_evidence = bool(result.evidence)
        if result.ok:
            self._regions.clear()
            self._frames.clear()
            return result
        t0 = time.perf_counter()
        tracked = self._tracked(gray, result)
        if result.near_misses:
            self._regions.append(result.near_misses)
        if tracked is not None:
            return tracked
        if not self.stack or not (self._scene_evidence or result.near_misses):
            self._frames.clear()
            return result
        self._frames.append(gray)
        if len(self._frames) < 2:
            return result
        mean = cv2.convertScaleAbs(np.mean(np.stack(self._frames), axis=0))
        # The single frames of a still scene skip the whole-frame fallback once searched;
        # the average, with less noise than any of them, gets it instead.
        work = Work(mean, [])
        found = stage_zxing(work) or stage_roi(work) or stage_pyzbar_threshold(work)
        return self._evidence_read(result, found, "stack", t0) or result

    def _tracked(self, gray: np.ndarray, result: FrameDecode) -> FrameDecode | None:
        """Read the regions earlier frames saw a code in, if this frame lost it."""
        if result.near_misses or not self._regions:
            return None
        t0 = time.perf_counter()
        quads = [q for frame_quads in reversed(self._regions) for q in frame_quads]
        return self._evidence_read(result, stage_roi(Work(gray, quads)), "track", t0)

    def _evidence_read(
        self, result: FrameDecode, found: list, how: str, t0: float
    ) -> FrameDecode | None:
        """The frame's result with what the evidence read, or None if it read nothing usable."""
        if not found:
            return None
        codes = tuple(
            Decoded(d.text, d.is_card, f"{d.decoder}+{how}", d.refusal)
            for d in self.pipeline.choose(found)
            if d.refusal is not Refusal.MALFORMED  # a bogus read does not count as evidence
        )
        if not codes:
            return None
        self._frames.clear()
        self._regions.clear()
        return FrameDecode(
            codes,
            result.ms + (time.perf_counter() - t0) * 1000,
            result.near_misses,
            True,
        )
