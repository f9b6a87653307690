"""Where frames come from: a webcam, a video file, a folder of images, or a test/demo.

A source only opens, reads and closes; pacing, reopening and threading live in
kiosk.scanner.camera. ``read`` returns None (or raises SourceUnavailable) when the
camera is gone; the capture thread then reports "unavailable" and reopens it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from kiosk.scanner.scene import background_frame

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


class SourceUnavailable(Exception):
    """The camera cannot be opened or has stopped giving frames."""


@dataclass(frozen=True)
class CameraSettings:
    width: int | None = None  # requested; the camera may give another size
    height: int | None = None
    fps: float | None = None
    # None: leave auto exposure on. A number: manual exposure in the driver's own units
    # (V4L2: 100 us steps), useful against glare from a window behind the kiosk.
    exposure: float | None = None


class FrameSource(Protocol):
    # Seconds between frames the capture thread should wait; 0 when read() blocks on hardware.
    frame_interval: float

    def open(self) -> None: ...
    def read(self) -> np.ndarray | None: ...
    def close(self) -> None: ...


class VideoCaptureSource:
    """A webcam (device index or path such as /dev/video0) or a video file, via OpenCV."""

    def __init__(
        self, target: int | str, settings: CameraSettings = CameraSettings(), loop: bool = True
    ):
        self.target = target
        self.settings = settings
        self.is_file = isinstance(target, str) and os.path.isfile(target)
        self.loop = loop
        self.frame_interval = 0.0
        self._cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        cap = cv2.VideoCapture(self.target)
        if not cap.isOpened():
            cap.release()
            raise SourceUnavailable(f"cannot open camera {self.target!r}")
        if self.is_file:
            fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
            self.frame_interval = 1.0 / fps  # a file reads instantly: replay it in real time
        else:
            self._apply(cap)
        self._cap = cap

    def _apply(self, cap: cv2.VideoCapture) -> None:
        s = self.settings
        if s.width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, s.width)
        if s.height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, s.height)
        if s.fps:
            cap.set(cv2.CAP_PROP_FPS, s.fps)
        if s.exposure is not None:
            cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, 1)  # V4L2 "manual"; ignored where unsupported
            cap.set(cv2.CAP_PROP_EXPOSURE, s.exposure)
        # One buffered frame at most: the decoder wants the newest frame, not a queue.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            raise SourceUnavailable("not open")
        ok, frame = self._cap.read()
        if not ok and self.is_file and self.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
        return frame if ok else None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class FolderSource:
    """The images in a folder, in name order, replayed in a loop as a camera would."""

    def __init__(self, folder: str | os.PathLike, fps: float = 10.0, loop: bool = True):
        self.folder = Path(folder)
        self.frame_interval = 1.0 / fps
        self.loop = loop
        self._files: list[Path] = []
        self._index = 0

    def open(self) -> None:
        if not self.folder.is_dir():
            raise SourceUnavailable(f"no folder {self.folder}")
        self._files = sorted(
            p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not self._files:
            raise SourceUnavailable(f"no images in {self.folder}")
        self._index = 0

    def read(self) -> np.ndarray | None:
        if not self._files:
            raise SourceUnavailable("not open")
        if self._index >= len(self._files):
            if not self.loop:
                return None
            self._index = 0
        path = self._files[self._index]
        self._index += 1
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:  # a broken file in the folder is skipped, not fatal
            return background_frame()
        return frame

    def close(self) -> None:
        self._files = []


class SimulatedCamera:
    """An in-memory camera: the demo mode and tests ``show`` it a frame (BGR array).

    With nothing shown it gives a plain background. ``unplug``/``plug`` imitate a USB
    camera being pulled out and put back.
    """

    def __init__(self, size: tuple[int, int] = (640, 480), fps: float = 30.0):
        self.size = size
        self.frame_interval = 1.0 / fps
        self._background = background_frame(size)
        self._shown: np.ndarray | None = None
        self._plugged = True
        self._lock = threading.Lock()

    def show(self, frame: np.ndarray | None) -> None:
        """Put ``frame`` in front of the camera until the next show/clear (None clears)."""
        with self._lock:
            self._shown = None if frame is None else np.ascontiguousarray(frame)

    def clear(self) -> None:
        self.show(None)

    def unplug(self) -> None:
        with self._lock:
            self._plugged = False

    def plug(self) -> None:
        with self._lock:
            self._plugged = True

    def open(self) -> None:
        with self._lock:
            if not self._plugged:
                raise SourceUnavailable("simulated camera unplugged")

    def read(self) -> np.ndarray | None:
        with self._lock:
            if not self._plugged:
                return None
            frame = self._shown if self._shown is not None else self._background
        return frame.copy()  # consumers may draw on it

    def close(self) -> None:
        pass


SIMULATED_NAMES = frozenset({"sim", "simulated", "demo"})


def open_source(spec: str | int | None, settings: CameraSettings = CameraSettings()) -> FrameSource:
    """The source for ``kiosk run --camera DEVICE|FILE|DIR``.

    A number is a device index, a folder is replayed in a loop, a file is a video (also
    looped), "sim"/"demo"/None is the injectable SimulatedCamera; anything else (e.g.
    /dev/video2) goes to OpenCV as a device path. Nothing is opened here.
    """
    if spec is None or (isinstance(spec, str) and spec.lower() in SIMULATED_NAMES):
        return SimulatedCamera((settings.width or 640, settings.height or 480))
    if isinstance(spec, int) or spec.isdigit():
        return VideoCaptureSource(int(spec), settings)
    if os.path.isdir(spec):
        return FolderSource(spec, fps=settings.fps or 10.0)
    return VideoCaptureSource(spec, settings)
