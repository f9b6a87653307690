"""The camera preview in a real window: it follows the camera while the scene moves and
slows to a beat when nothing in front of the kiosk changes; nothing else redraws."""

from __future__ import annotations

import numpy as np

from devtools.synth import background_frame


def _moving_frames(n: int) -> list[np.ndarray]:
    """A bright block crossing the room: each frame differs from the one before."""
    base = background_frame()
    out = []
    for i in range(n):
        frame = base.copy()
        x = 40 + (i * 37) % 480
        frame[180:300, x : x + 120] = 235
        out.append(frame)
    return out


def _watch(gui, frames: int, show=None) -> dict[str, float]:
    """Step the UI while the camera captures ``frames`` frames; ``show``: a new picture in
    front of the camera for each new frame. Counts the UI steps that had a new camera
    frame to offer, the preview frames drawn, and the window redraws."""
    app = gui.app
    drawn, flips = app.preview_pacer.shown, app.frames_drawn
    clock = app.scanner._clock
    t0 = clock()
    start, last = app.scanner.frame_seq, app.scanner.preview_frame()[0]
    offered = 0
    pictures = iter(show) if show is not None else None
    while app.scanner.frame_seq < start + frames:
        if app.scanner.preview_frame()[0] != last:  # a frame the decoder is done with
            last = app.scanner.preview_frame()[0]
            offered += 1
            if pictures is not None:
                gui.show(next(pictures))
        gui.step(1)
    return {
        "offered": offered,
        "drawn": app.preview_pacer.shown - drawn,
        "flips": app.frames_drawn - flips,
        "seconds": clock() - t0,
    }


def test_still_scene_draws_few_frames_and_motion_draws_every_frame(gui):
    app = gui.app
    gui.take_away()  # the empty room, unchanged from frame to frame
    gui.wait_until(
        lambda: app.scanner.last_motion < app.scanner._clock() - 1.0, what="a still scene"
    )
    _watch(gui, 30)  # the home screen's own layout settles (labels placed after a switch)
    still = _watch(gui, 60)  # two seconds of camera
    # Two preview frames a second when still, and the window redraws for them only:
    # nothing else on the home screen changes.
    assert still["drawn"] <= 2 * still["seconds"] + 2, still
    assert still["flips"] <= still["drawn"] + 2, still

    moving = _watch(gui, 60, show=_moving_frames(400))
    # Every new frame the UI loop gets to is drawn (however slowly this machine draws),
    # but for the first, before the decoder has seen the motion.
    assert moving["drawn"] >= moving["offered"] - 2, moving
    gui.take_away()


def test_preview_comes_back_at_once_after_another_screen(gui):
    app = gui.app
    gui.take_away()
    gui.press("help")
    gui.wait_screen("help")
    drawn = app.preview_pacer.shown
    gui.press("back")
    gui.wait_screen("home")
    # The first frame after the preview was hidden is drawn without waiting for the beat.
    gui.wait_until(lambda: app.preview_pacer.shown > drawn, what="the preview back")


def _drawn_for_nothing(root) -> list[str]:
    """Shapes with geometry under a fully transparent colour: under software GL each still
    costs its triangles on every frame (seven button outlines were a fifth of the home
    screen's frame), and nothing shows for it."""
    from kivy.graphics import Color, Line, Rectangle, RoundedRectangle

    found = []
    for w in root.walk(restrict=True):
        for group in (w.canvas.before, w.canvas, w.canvas.after):
            alpha = 1.0
            for ins in group.children:
                if isinstance(ins, Color):
                    alpha = ins.a
                elif alpha == 0 and isinstance(ins, Line) and len(ins.points) >= 4:
                    xs, ys = ins.points[0::2], ins.points[1::2]
                    if max(xs) - min(xs) > 1 or max(ys) - min(ys) > 1:
                        found.append(f"{type(w).__name__}: a transparent line")
                elif (
                    alpha == 0
                    and isinstance(ins, Rectangle | RoundedRectangle)
                    and min(ins.size) > 8  # a faded scroll bar, a few pixels wide: no cost
                ):
                    found.append(f"{type(w).__name__}: a transparent {type(ins).__name__}")
    return found


def _window_sized_quads(root) -> list[str]:
    from kivy.core.window import Window
    from kivy.graphics import Rectangle

    return [
        type(w).__name__
        for w in root.walk(restrict=True)
        for group in (w.canvas.before, w.canvas)
        for ins in group.children
        if isinstance(ins, Rectangle) and tuple(ins.size) == tuple(Window.size)
    ]


def test_frames_draw_nothing_that_does_not_show(gui, roster):
    from kivy.core.window import Window

    from kiosk.ui.theme import TONES, rgba

    # The answer to a card waits for the frame being drawn and then draws its own: at
    # 1280x800 under llvmpipe every shape is paid for on every frame.
    app = gui.app
    gui.take_away()
    gui.settle()
    assert _drawn_for_nothing(app.root) == []
    # The window is cleared to the screens' background colour; no quad paints it again.
    assert _window_sized_quads(app.root) == []
    # Screens switch without a transition: nothing to clip, so no stencil around them.
    assert [
        type(i).__name__ for i in app.sm.canvas.before.children if "Stencil" in type(i).__name__
    ] == []
    assert tuple(Window.clearcolor) == rgba("bg")
    gui.show_code(roster["V000101"]["code"])
    gui.wait_until(lambda: app.sm.current == "result", what="the result screen")
    gui.settle()
    gui.take_away()
    assert _drawn_for_nothing(app.root) == []
    assert _window_sized_quads(app.root) == []
    result = app.screen("result")
    assert [
        type(i).__name__ for i in result.canvas.before.children if "Rectangle" in type(i).__name__
    ] == []
    # The answer's colour is the window's, and goes when the screen does.
    assert tuple(Window.clearcolor) == rgba(result.bg) == rgba(TONES["success"][0])
    gui.press("ok")
    gui.wait_screen("home")
    assert tuple(Window.clearcolor) == rgba("bg")


def test_a_refreshed_home_screen_redraws_for_the_preview_only(gui):
    """Rebuilding today's activities (every return home, every minute) redraws the window
    then and there only: the list's scroll bar lit up and faded back, fifteen redraws
    half a second later, and a card shown meanwhile waited for the frame in flight
    (bench/bench_ui.py)."""
    app = gui.app
    gui.take_away()
    gui.wait_until(
        lambda: app.scanner.last_motion < app.scanner._clock() - 1.0, what="a still scene"
    )
    app.refresh_home()
    gui.settle()
    after = _watch(gui, 45)  # a second and a half of camera: the wait and the fade
    assert after["flips"] <= after["drawn"] + 1, after
