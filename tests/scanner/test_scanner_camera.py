"""The capture and decode threads, with simulated cameras: no hardware, no sleeps."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from devtools import synth
from kiosk.scanner import CameraStatus, Scanner, SimulatedCamera, open_source
from kiosk.scanner.pipeline import FrameDecode
from kiosk.scanner.sources import (
    FolderSource,
    SourceUnavailable,
    VideoCaptureSource,
)

WAIT = 10.0  # hang guard only; events normally fire within milliseconds


class Recorder:
    """Collects callbacks and lets a test wait for the one it needs."""

    def __init__(self):
        self.results = []
        self.statuses = []
        self.decoded = 0
        self._cond = threading.Condition()

    def on_result(self, result):
        with self._cond:
            self.results.append(result)
            self._cond.notify_all()

    def on_decoded(self, decoded):
        with self._cond:
            self.decoded += 1
            self._cond.notify_all()

    def on_status(self, status, detail):
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)


def _scanner(source, rec: Recorder, **kw) -> Scanner:
    return Scanner(
        source,
        rec.on_result,
        on_status=rec.on_status,
        on_decoded=rec.on_decoded,
        backoff_s=(0.01, 0.05),
        **kw,
    )


def test_shown_card_is_reported_once(card_text):
    cam = SimulatedCamera(fps=200)
    rec = Recorder()
    with _scanner(cam, rec):
        assert rec.wait_for(lambda r: CameraStatus.RUNNING in r.statuses)
        frame = synth.background_frame()
        card = synth.card_image(card_text, module_px=4)
        frame[40 : 40 + card.shape[0], 40 : 40 + card.shape[1]] = card
        cam.show(frame)
        assert rec.wait_for(lambda r: r.results)
        # Keep it in view for many more decoded frames: still one report.
        seen = rec.decoded
        assert rec.wait_for(lambda r: r.decoded >= seen + 5)
        cam.clear()
    assert len(rec.results) == 1
    (result,) = rec.results
    assert result.text == card_text and result.is_card and result.source == "camera"
    assert result.ms >= 0 and result.decoder
    assert rec.statuses[-1] is CameraStatus.STOPPED


def test_the_preview_gets_a_cards_frame_only_after_its_result(card_text):
    # The UI draws preview_frame(); a frame holding a card must reach the result callback
    # first, or the UI would start drawing it (a whole window under software GL) while
    # the answer waits behind that frame.
    cam = SimulatedCamera(fps=200)
    frame = synth.background_frame()
    card = synth.card_image(card_text, module_px=4)
    frame[40 : 40 + card.shape[0], 40 : 40 + card.shape[1]] = card
    rec = Recorder()
    previews_at_result = []
    scanner = _scanner(cam, rec)

    def on_result(result):
        seq, shown = scanner.preview_frame()
        previews_at_result.append(shown is not None and np.array_equal(shown, frame))
        rec.on_result(result)

    scanner.on_result = on_result
    with scanner:
        assert rec.wait_for(lambda r: r.decoded > 0)
        assert scanner.preview_frame()[1] is not None  # the empty room is previewed
        cam.show(frame)
        assert rec.wait_for(lambda r: r.results)
        assert rec.wait_for(lambda r: np.array_equal(scanner.preview_frame()[1], frame))
        assert scanner.preview_frame()[0] <= scanner.frame_seq
    assert previews_at_result == [False]


def test_unplugged_camera_reports_unavailable_and_comes_back():
    cam = SimulatedCamera(fps=200)
    rec = Recorder()
    with _scanner(cam, rec) as scanner:
        assert rec.wait_for(lambda r: CameraStatus.RUNNING in r.statuses)
        cam.unplug()
        assert rec.wait_for(lambda r: r.statuses[-1] is CameraStatus.UNAVAILABLE)
        assert scanner.status is CameraStatus.UNAVAILABLE
        cam.plug()
        assert rec.wait_for(lambda r: r.statuses[-1] is CameraStatus.RUNNING)
        seen = rec.decoded
        assert rec.wait_for(lambda r: r.decoded > seen)


class FlakySource:
    """Fails to open twice, then gives three frames and dies (read raises), then works."""

    frame_interval = 0.001

    def __init__(self):
        self.opens = 0
        self.reads = 0

    def open(self):
        self.opens += 1
        if self.opens <= 2:
            raise SourceUnavailable("no such device")

    def read(self):
        self.reads += 1
        if self.opens == 3 and self.reads > 3:
            raise SourceUnavailable("unplugged")
        return np.zeros((48, 64, 3), np.uint8)

    def close(self):
        pass


def test_reopen_with_backoff_after_failures():
    src = FlakySource()
    rec = Recorder()
    with _scanner(src, rec):
        assert rec.wait_for(lambda r: src.opens >= 4 and r.statuses[-1] is CameraStatus.RUNNING)
    assert rec.statuses[:4] == [
        CameraStatus.STARTING,
        CameraStatus.UNAVAILABLE,
        CameraStatus.RUNNING,
        CameraStatus.UNAVAILABLE,
    ]


class NumberedSource:
    """Frames carry their sequence number in the first pixel."""

    frame_interval = 0.0

    def __init__(self):
        self.count = 0
        self.enough = threading.Event()

    def open(self):
        pass

    def read(self):
        self.count += 1
        if self.count >= 20:
            self.enough.set()
        frame = np.zeros((8, 8, 3), np.uint8)
        frame[0, 0] = min(self.count, 255)  # every channel: the decoder sees it in grey too
        return frame

    def close(self):
        pass


class SlowPipeline:
    """Blocks on its first frame until the source has moved well ahead."""

    def __init__(self, source: NumberedSource):
        self.source = source
        self.seen: list[int] = []
        self.second = threading.Event()

    def decode(self, frame, **_hints):
        self.seen.append(int(np.ravel(frame[0, 0])[0]))
        if len(self.seen) == 1:
            self.source.enough.wait(WAIT)
        else:
            self.second.set()
        return FrameDecode((), 0.0)

    def choose(self, cands):
        return ()


def test_decoder_takes_the_newest_frame_and_drops_stale_ones():
    src = NumberedSource()
    slow = SlowPipeline(src)
    rec = Recorder()
    with _scanner(src, rec, pipeline=slow):
        assert slow.second.wait(WAIT)
    assert slow.seen[1] >= 20  # frames 2..19 were never queued


def test_preview_is_mirrored_when_asked():
    cam = SimulatedCamera(size=(64, 48), fps=200)
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[:, :8] = 255  # bright on the left
    cam.show(frame)
    rec = Recorder()
    with _scanner(cam, rec, mirror_preview=True) as scanner:
        assert rec.wait_for(lambda r: r.decoded > 0)
        latest, (_seq, preview) = scanner.latest_frame(), scanner.preview_frame()
    for shown in (latest, preview):
        assert shown[:, -8:].min() == 255 and shown[:, :8].max() == 0


def test_wedge_keys_reach_the_same_callback(card_text):
    rec = Recorder()
    scanner = _scanner(SimulatedCamera(), rec)  # not started: the wedge needs no camera
    t = 1.0
    for ch in card_text:
        scanner.feed_key(ch, t)
        t += 0.005
    scanner.feed_key("enter", t)
    assert [r.text for r in rec.results] == [card_text]
    assert rec.results[0].source == "wedge"


def test_folder_source_loops(tmp_path):
    import cv2

    for i in range(2):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((10, 12, 3), i * 100, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    src = open_source(str(tmp_path))
    assert isinstance(src, FolderSource)
    src.open()
    values = [int(src.read()[0, 0, 0]) for _ in range(5)]
    assert values == [0, 100, 0, 100, 0]


def test_open_source_kinds(tmp_path):
    assert isinstance(open_source("0"), VideoCaptureSource)
    assert isinstance(open_source("sim"), SimulatedCamera)
    assert isinstance(open_source(None), SimulatedCamera)
    empty = open_source(str(tmp_path))
    with pytest.raises(SourceUnavailable):
        empty.open()
    missing = open_source(str(tmp_path / "nope.mp4"))
    with pytest.raises(SourceUnavailable):
        missing.open()


def test_video_file_source_loops(tmp_path):
    import cv2

    path = str(tmp_path / "clip.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    assert writer.isOpened(), "the opencv-python-headless wheel writes MJPG AVI files"
    for i in range(3):
        writer.write(np.full((48, 64, 3), 60 * i, np.uint8))
    writer.release()
    src = open_source(path)
    src.open()
    frames = [src.read() for _ in range(5)]
    src.close()
    assert all(f is not None for f in frames)
