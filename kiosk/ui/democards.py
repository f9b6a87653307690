"""Demo mode without a webcam: "hold up" a card by putting its picture into a camera
frame and showing that frame to the simulated camera, so the real decode pipeline reads it."""

from __future__ import annotations

import threading
from functools import lru_cache

import cv2
import numpy as np

from kiosk.scanner.scene import background_frame
from kiosk.scanner.sources import SimulatedCamera

HOLD_SECONDS = 1.5  # long enough for a few frames to be decoded, then the card is taken away


@lru_cache(maxsize=64)
def card_frame(path: str, size: tuple[int, int] = (640, 480)) -> np.ndarray | None:
    """The card centred in a camera frame, about as large as a card held 25 cm away."""
    card = cv2.imread(path, cv2.IMREAD_COLOR)
    if card is None:
        return None
    w, h = size
    frame = background_frame(size).copy()
    scale = min(w * 0.8 / card.shape[1], h * 0.8 / card.shape[0])
    card = cv2.resize(card, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ch, cw = card.shape[:2]
    y, x = (h - ch) // 2, (w - cw) // 2
    frame[y : y + ch, x : x + cw] = card
    frame.setflags(write=False)
    return frame


def hold_card(camera: SimulatedCamera, path: str, seconds: float = HOLD_SECONDS) -> bool:
    frame = card_frame(path)
    if frame is None:
        return False
    with _lock:
        _held[id(camera)] = frame
    camera.show(frame)
    timer = threading.Timer(seconds, lambda: _take_away(camera, frame))
    timer.daemon = True
    timer.start()
    return True


_held: dict[int, np.ndarray] = {}
_lock = threading.Lock()


def _take_away(camera: SimulatedCamera, frame: np.ndarray) -> None:
    # Only clear what we showed: a newer card shown meanwhile stays in view.
    with _lock:
        if _held.get(id(camera)) is not frame:
            return
        del _held[id(camera)]
    camera.clear()
