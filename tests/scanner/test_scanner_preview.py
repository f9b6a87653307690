"""The preview pacer: the camera's rate while the scene moves, a slow beat when still."""

from __future__ import annotations

import threading

from kiosk.scanner.preview import PreviewPacer


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_moving_scene_draws_every_new_frame_and_never_one_twice():
    clock = Clock()
    pacer = PreviewPacer(still_fps=2, settle_s=0.5, clock=clock)
    drawn = []
    for seq in range(1, 31):  # one second at 30 fps, motion in every frame
        clock.t += 1 / 30
        drawn.append(pacer.due(seq, last_motion=clock.t))
        assert not pacer.due(seq, last_motion=clock.t)  # the same frame again: no redraw
    assert all(drawn) and pacer.shown == 30


def test_still_scene_falls_to_two_frames_a_second_and_motion_brings_it_back():
    clock = Clock()
    pacer = PreviewPacer(still_fps=2, settle_s=0.5, clock=clock)
    motion = clock.t
    drawn = 0
    for seq in range(1, 91):  # three seconds, the scene still since the start
        clock.t += 1 / 30
        drawn += pacer.due(seq, last_motion=motion)
    # The first half second still follows the camera (settling), then two a second.
    assert 15 + 4 <= drawn <= 15 + 6
    clock.t += 1 / 30
    assert pacer.due(91, last_motion=clock.t)  # something moved: drawn at once
    clock.t += 1 / 30
    assert pacer.due(92, last_motion=clock.t - 1 / 30)


def test_restart_draws_the_next_frame_at_once():
    clock = Clock()
    pacer = PreviewPacer(clock=clock)
    assert pacer.due(1, last_motion=0.0)
    clock.t += 0.01
    assert not pacer.due(2, last_motion=0.0)
    pacer.restart()
    assert pacer.due(2, last_motion=0.0)


def test_scanner_threads_have_names_the_system_shows():
    from kiosk.scanner import Scanner, SimulatedCamera

    seen = threading.Event()
    scanner = Scanner(SimulatedCamera(fps=200), lambda r: None, on_decoded=lambda d: seen.set())
    with scanner:
        assert seen.wait(10)
        names = set()
        for t in scanner._threads:
            with open(f"/proc/self/task/{t.native_id}/comm") as f:
                names.add(f.read().strip())
    assert names == {"kiosk-capture", "kiosk-decode"}
