"""The scanner: a capture thread, a decode thread, and callbacks for results and status.

Capture keeps only the newest frame in a one-slot mailbox; the decoder always takes
whatever is newest when it is ready, so a slow frame never builds a queue and the
kiosk never answers a card that has already been taken away.

Callbacks run on the scanner's threads. The UI marshals them onto its own thread
(Kivy: Clock.schedule_once); this package never imports Kivy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np

from kiosk.scanner.debounce import Debouncer
from kiosk.scanner.evidence import BurstReader
from kiosk.scanner.pipeline import DecodePipeline, FrameDecode
from kiosk.scanner.result import CameraStatus, ScanResult
from kiosk.scanner.sources import FrameSource, SourceUnavailable
from kiosk.scanner.threads import name_os_thread
from kiosk.scanner.wedge import WedgeDecoder

log = logging.getLogger(__name__)

ResultCallback = Callable[[ScanResult], None]
StatusCallback = Callable[[CameraStatus, str], None]


class Scanner:
    def __init__(
        self,
        source: FrameSource,
        on_result: ResultCallback,
        *,
        on_status: StatusCallback | None = None,
        on_decoded: Callable[[FrameDecode], None] | None = None,
        pipeline: DecodePipeline | None = None,
        debounce_s: float = 2.0,
        mirror_preview: bool = False,
        backoff_s: tuple[float, float] = (0.5, 8.0),
        clock: Callable[[], float] = time.monotonic,
    ):
        self.source = source
        self.on_result = on_result
        self.on_status = on_status
        # Every decoded frame, read or not: for a debug overlay, frame-rate figures, tests.
        self.on_decoded = on_decoded
        self.mirror_preview = mirror_preview  # a front camera: people expect a mirror
        self.backoff_s = backoff_s
        self._clock = clock
        self._reader = BurstReader(pipeline or DecodePipeline())
        self.debouncer = Debouncer(debounce_s, clock)
        self.wedge = WedgeDecoder(self._emit_wedge, clock=clock)

        self._stop = threading.Event()
        self._new_frame = threading.Condition()
        self._frame: np.ndarray | None = None
        self._frame_seq = 0
        # The newest frame the decoder is done with, and its number: what the preview draws.
        self._judged: tuple[int, np.ndarray | None] = (0, None)
        self._status = CameraStatus.STOPPED
        self._status_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.frames_captured = 0
        self.frames_decoded = 0
        # The scanner's clock at the latest frame that differed from the one before: the
        # preview redraws at the camera's rate while the scene moves (kiosk.ui: PreviewPacer).
        self.last_motion = clock()

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._capture_loop, name="scanner-capture", daemon=True),
            threading.Thread(target=self._decode_loop, name="scanner-decode", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        with self._new_frame:
            self._new_frame.notify_all()
        for t in self._threads:
            t.join(timeout)
        self._threads = []
        self._set_status(CameraStatus.STOPPED, "")

    def __enter__(self) -> Scanner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the UI reads ----------------------------------------------------------

    @property
    def status(self) -> CameraStatus:
        return self._status

    def latest_frame(self) -> np.ndarray | None:
        """The newest frame for the preview (BGR), mirrored if configured; None before any."""
        frame = self._frame
        if frame is None:
            return None
        return cv2.flip(frame, 1) if self.mirror_preview else frame

    @property
    def frame_seq(self) -> int:
        """The number of the newest captured frame (counts up from 1)."""
        return self._frame_seq

    def preview_frame(self) -> tuple[int, np.ndarray | None]:
        """(number, frame) of the newest frame the decoder is done with, mirrored if
        configured: the preview draws these. A frame that shows a card is published only
        after its result was handed over, so the UI never starts drawing that frame (a
        whole window under software GL) while its answer is on the way; the preview lags
        the camera by one decode, a millisecond or two on most frames."""
        seq, frame = self._judged
        if frame is None:
            return seq, None
        return seq, cv2.flip(frame, 1) if self.mirror_preview else frame

    @property
    def pipeline(self) -> DecodePipeline:
        return self._reader.pipeline

    def feed_key(self, key: str, timestamp: float | None = None) -> ScanResult | None:
        """A key press from the app-wide keyboard hook, for USB keyboard-wedge scanners."""
        return self.wedge.feed(key, timestamp)

    # --- threads --------------------------------------------------------------------

    def _capture_loop(self) -> None:
        name_os_thread("kiosk-capture")
        delay = self.backoff_s[0]
        self._set_status(CameraStatus.STARTING, "")
        while not self._stop.is_set():
            try:
                self.source.open()
            except SourceUnavailable as exc:
                self._set_status(CameraStatus.UNAVAILABLE, str(exc))
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_s[1])
                continue
            self._set_status(CameraStatus.RUNNING, "")
            delay = self.backoff_s[0]
            try:
                self._read_until_lost()
            finally:
                self.source.close()
            if not self._stop.is_set():
                self._set_status(CameraStatus.UNAVAILABLE, "camera stopped giving frames")
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_s[1])

    def _read_until_lost(self) -> None:
        misses = 0
        next_due = time.monotonic()
        while not self._stop.is_set():
            try:
                frame = self.source.read()
            except SourceUnavailable:
                return
            except cv2.error as exc:
                log.warning("camera read failed: %s", exc)
                frame = None
            if frame is None:
                # One dropped frame is normal on USB; several in a row mean it is gone.
                misses += 1
                if misses >= 3:
                    return
                continue
            misses = 0
            with self._new_frame:
                self._frame = frame
                self._frame_seq += 1
                self._new_frame.notify()
            self.frames_captured += 1
            interval = getattr(self.source, "frame_interval", 0.0)
            if interval:
                next_due = max(next_due + interval, time.monotonic())
                self._stop.wait(max(0.0, next_due - time.monotonic()))

    def _decode_loop(self) -> None:
        name_os_thread("kiosk-decode")
        done_seq = 0
        while not self._stop.is_set():
            with self._new_frame:
                while self._frame_seq == done_seq and not self._stop.is_set():
                    self._new_frame.wait(0.5)
                if self._stop.is_set():
                    return
                frame, done_seq = self._frame, self._frame_seq  # newest only; older ones dropped
            try:
                decoded = self._reader.feed(frame)
            except Exception:  # a decoder crash must not kill the kiosk's camera
                log.exception("decoding a frame failed")
                self._judged = (done_seq, frame)
                continue
            self.frames_decoded += 1
            now = self._clock()
            if self._reader.moving:
                self.last_motion = now
            if self.on_decoded is not None:
                self.on_decoded(decoded)
            for code in decoded.codes:
                if self.debouncer.admit(code.text, now):
                    self._deliver(
                        ScanResult(
                            code.text,
                            code.is_card,
                            "camera",
                            code.decoder,
                            decoded.ms,
                            now,
                            code.refusal,
                        )
                    )
            self._judged = (done_seq, frame)  # after the results: see preview_frame

    # --- callbacks ------------------------------------------------------------------

    def _emit_wedge(self, result: ScanResult) -> None:
        # A scanner gun is pressed on purpose: no debounce beyond the domain's own.
        self._deliver(result)

    def _deliver(self, result: ScanResult) -> None:
        try:
            self.on_result(result)
        except Exception:
            log.exception("scan result callback failed")

    def _set_status(self, status: CameraStatus, detail: str) -> None:
        with self._status_lock:
            changed = status != self._status
            self._status = status
        if changed and self.on_status is not None:
            try:
                self.on_status(status, detail)
            except Exception:
                log.exception("status callback failed")
