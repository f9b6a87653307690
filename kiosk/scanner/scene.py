"""The plain room a simulated camera shows when nothing is held up to it.

Part of the product: the demo mode's simulated camera and a broken file in a folder
camera show this scene. The synthetic cards and videos built on it are dev tooling
(devtools.synth, devtools.video), not in the wheel.
"""

from __future__ import annotations

import cv2
import numpy as np

# A camera's tone curve: gamma 1/2.2 on linear light, as a lookup table on 12-bit levels.
GAMMA_LUT = (np.linspace(0, 1, 4096) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)


def room(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """An out-of-focus room in linear light (float32, 3 channels): a wall gradient and a
    few blobs of furniture and people."""
    full_w, full_h = w, h
    w, h = w // 4, h // 4
    base = rng.uniform(0.25, 0.7, 3).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    grad = 0.75 + 0.5 * (xx / w * rng.uniform(-0.5, 0.5) + yy / h * rng.uniform(-0.5, 0.5))
    img = base[None, None, :] * grad[..., None]
    for _ in range(int(rng.integers(3, 8))):
        color = tuple(float(c) for c in rng.uniform(0.05, 0.9, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            cv2.rectangle(
                img,
                (x, y),
                (x + int(rng.integers(w // 10, w // 2)), y + int(rng.integers(h // 10, h // 2))),
                color,
                -1,
            )
        else:
            axes = (int(rng.integers(w // 20, w // 5)), int(rng.integers(h // 10, h // 3)))
            cv2.ellipse(img, (x, y), axes, float(rng.uniform(0, 180)), 0, 360, color, -1)
    img = cv2.GaussianBlur(img, (0, 0), 0.01 * w)
    return cv2.resize(img, (full_w, full_h), interpolation=cv2.INTER_LINEAR)


def to_pixels(linear: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] to 8-bit camera pixels through the tone curve."""
    return np.take(GAMMA_LUT, np.clip(linear * 4095, 0, 4095).astype(np.uint16))


def background_frame(size: tuple[int, int] = (640, 480), seed: int = 7) -> np.ndarray:
    """The plain scene (BGR uint8) a simulated camera shows when nothing is held up to it."""
    rng = np.random.default_rng(seed)
    w, h = size
    return to_pixels(room(w, h, rng))
