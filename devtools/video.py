"""Synthetic camera video: a card or phone moving in front of the kiosk, frame by frame.

The single frames of devtools.synth show one moment; these sequences show how people
really hold a card up: brought into view (fast, so blurred, then slowing), held with a
shaking hand, tilted and turned, too close and out of focus then pulled back, under a
flickering lamp (rolling-shutter bands that move from frame to frame), and a phone
whose screen brightness changes while the camera's exposure catches up.

Everything is drawn from a seed (same seed, same pixels), with the geometry, light and
sensor of devtools.synth; motion blur follows the code's own movement during the
exposure. Each sequence knows its first frame in which the whole code is in view, so a
benchmark can time the answer from there (bench/bench_video.py).

    python -m devtools.video --kind bring_in --seed 3 --out clip.avi   # to look at one
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from devtools import synth
from kiosk.scanner.scene import room, to_pixels

KINDS: tuple[str, ...] = (
    "bring_in",
    "shake",
    "tilt",
    "too_close",
    "flicker",
    "phone_brightness",
)
FPS = 30.0
EXPOSURE = (0.4, 1.0)  # shutter open for this part of each frame interval: longer in dim rooms
OBJ_MPX = 8  # object pixels per module: sharp enough for every distance used here


@dataclass(frozen=True)
class Pose:
    """Where the code is in one frame, and what light and focus it is seen in."""

    cx: float  # the code's centre, image pixels
    cy: float
    module_px: float  # image pixels per module when facing the camera
    roll: float = 0.0  # degrees
    tilt: float = 0.0
    tilt_axis: float = 0.0
    defocus: float = 0.0  # Gaussian blur, in modules
    gain: float = 1.0  # the camera's exposure times the room light
    screen: float = 1.0  # a phone screen's brightness
    flicker: float = 0.0  # depth of a lamp's 100 Hz flicker
    flicker_phase: float = 0.0  # where in the flicker cycle this frame's exposure starts
    exposure: float = 0.5  # part of the frame interval the shutter is open: motion blur


@dataclass
class Sequence:
    kind: str
    seed: int
    text: str
    fps: float
    poses: list[Pose]
    visible: list[bool]  # the whole code (all four corners) inside the frame
    render_frame: Callable[[int], np.ndarray] = field(repr=False)

    @property
    def first_visible(self) -> int:
        return self.visible.index(True) if True in self.visible else len(self.visible)

    def __len__(self) -> int:
        return len(self.poses)

    def frames(self) -> Iterator[np.ndarray]:
        for i in range(len(self.poses)):
            yield self.render_frame(i)


# --- motion plans: one list of poses per kind -----------------------------------------


def _ease_out(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return 1 - (1 - u) ** 3


def _tremor(rng: np.random.Generator, n: int, amp_px: float, fps: float) -> np.ndarray:
    """A hand's tremor: a few sines of 3-9 Hz plus a slow drift, (n, 2) pixel offsets."""
    t = np.arange(n) / fps
    out = np.zeros((n, 2))
    for axis in range(2):
        for _ in range(3):
            f = rng.uniform(3, 9)
            out[:, axis] += amp_px / 3 * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        out[:, axis] += np.cumsum(rng.normal(0, amp_px / 10, n))
    return out


def _plan(kind: str, seed: int, size: tuple[int, int], fps: float) -> tuple[list[Pose], bool]:
    """The poses of one sequence and whether the object is a phone."""
    w, h = size
    k = h / 480.0
    rng = np.random.default_rng([seed, KINDS.index(kind), w, 7])
    module = rng.uniform(2.4, 4.6) * k  # a card at arm's length or nearer
    cx, cy = w / 2 + rng.uniform(-0.15, 0.15) * w, h / 2 + rng.uniform(-0.1, 0.1) * h
    base = Pose(cx, cy, module, roll=rng.uniform(-15, 15), tilt=rng.uniform(0, 15))
    base = replace(base, tilt_axis=rng.uniform(0, 360), exposure=rng.uniform(*EXPOSURE))
    phone = rng.random() < 0.35
    # One frame more than shown: the first is the pose just before, for its motion blur.
    n_hold = int(2.0 * fps) + 1
    poses: list[Pose] = []
    match kind:
        case "bring_in":
            # From beyond one edge to the hold point in 0.2-0.5 s, decelerating; then held.
            n_in = int(rng.uniform(0.2, 0.5) * fps)
            side = rng.uniform(0, 2 * np.pi)
            reach = 0.5 * w + 40 * module
            sx, sy = cx + reach * math.cos(side), cy + reach * math.sin(side)
            shake = _tremor(rng, n_in + n_hold, 2.5 * k, fps)
            for i in range(n_in + n_hold):
                u = _ease_out(i / n_in)
                poses.append(
                    replace(
                        base,
                        cx=sx + (cx - sx) * u + shake[i, 0],
                        cy=sy + (cy - sy) * u + shake[i, 1],
                        roll=base.roll + 20 * (1 - u),
                    )
                )
        case "shake":
            # An unsteady hand (an older volunteer's tremor): 10-24 px at 3-9 Hz, so the
            # code moves up to a few modules during one exposure.
            shake = _tremor(rng, n_hold, rng.uniform(10, 24) * k, fps)
            poses = [replace(base, cx=cx + dx, cy=cy + dy) for dx, dy in shake]
        case "tilt":
            # Held at a steep angle (to 60 degrees) and turned slowly back and forth, at a
            # normal distance: a far card tilted that much is a blur of grey for any reader.
            t = np.arange(n_hold) / fps
            base = replace(base, module_px=rng.uniform(3.4, 5.0) * k)
            mid, swing, f = rng.uniform(40, 48), rng.uniform(8, 12), rng.uniform(0.4, 0.9)
            shake = _tremor(rng, n_hold, 2.5 * k, fps)
            poses = [
                replace(
                    base,
                    cx=cx + shake[i, 0],
                    cy=cy + shake[i, 1],
                    tilt=mid + swing * math.sin(2 * math.pi * f * t[i]),
                    tilt_axis=base.tilt_axis + 20 * math.sin(2 * math.pi * f * 0.7 * t[i]),
                )
                for i in range(n_hold)
            ]
        case "too_close":
            # Far too close (modules 3-4x, the code larger than the frame, out of
            # focus), pulled back over 0.6-1 s to a normal distance, then held.
            n_back = int(rng.uniform(0.6, 1.0) * fps)
            near = module * rng.uniform(3.2, 4.2)
            shake = _tremor(rng, n_back + n_hold, 2.5 * k, fps)
            for i in range(n_back + n_hold):
                u = _ease_out(i / n_back)
                m = near + (module - near) * u
                poses.append(
                    replace(
                        base,
                        cx=cx + shake[i, 0],
                        cy=cy + shake[i, 1],
                        module_px=m,
                        # The lens focuses at arm's length: blur grows with closeness.
                        defocus=0.08 + 0.9 * max(0.0, m / module - 1.15),
                    )
                )
        case "flicker":
            # A 50 Hz lamp flickers at 100 Hz; a 30 fps sensor reading rows over the frame
            # time sees bright and dark bands that move from frame to frame.
            depth = rng.uniform(0.4, 0.8)
            gain = rng.uniform(0.3, 0.7)
            shake = _tremor(rng, n_hold, 2.5 * k, fps)
            poses = [
                replace(
                    base,
                    cx=cx + shake[i, 0],
                    cy=cy + shake[i, 1],
                    gain=gain,
                    flicker=depth,
                    flicker_phase=(i / fps * 100.0) % 1.0,
                )
                for i in range(n_hold)
            ]
        case "phone_brightness":
            # The screen brightens (or dims) over 0.3-0.8 s; the camera's auto exposure
            # follows it with a lag, so the code is first over- (or under-) exposed.
            phone = True
            start, end = (0.15, 2.6) if rng.random() < 0.6 else (2.6, 0.25)
            n_ramp = int(rng.uniform(0.3, 0.8) * fps)
            shake = _tremor(rng, n_hold, 2.5 * k, fps)
            exposure = 1.0 / start
            for i in range(n_hold):
                screen = start + (end - start) * min(1.0, i / n_ramp)
                exposure += (1.0 / screen - exposure) * 0.12  # AE settles in ~0.3 s
                poses.append(
                    replace(
                        base,
                        cx=cx + shake[i, 0],
                        cy=cy + shake[i, 1],
                        screen=screen,
                        gain=float(np.clip(exposure, 0.4, 3.0)),
                    )
                )
        case _:
            raise ValueError(f"unknown sequence kind {kind!r}")
    return poses, phone


# --- rendering --------------------------------------------------------------------------


class _Renderer:
    """Draws the poses of one sequence: one object and one room, new noise every frame."""

    def __init__(
        self, text: str, phone: bool, size: tuple[int, int], seed: int, inverted: bool = False
    ):
        self.size = size
        rng = np.random.default_rng([seed, 99])
        self.modules = synth.qr_modules(text)
        self.screen_box = None
        if phone:
            self.obj, self.code_box, self.screen_box = synth._phone_object(
                self.modules, OBJ_MPX, rng, inverted
            )
        else:
            self.obj, self.code_box = synth._card_object(self.modules, OBJ_MPX, rng, inverted)
        # Rendered in luminance: the decoders read grey, and one channel draws three
        # times faster; frames come out as BGR like a camera's.
        self.obj = _luma(self.obj)
        w, h = size
        self.room = _luma(room(w, h, rng)) * synth._light_field(w, h, rng)
        self.seed = seed
        # The webcam: a little soft, some sensor noise, and Motion-JPEG from the USB link.
        self.soft = rng.uniform(0.45, 0.8)
        self.noise = np.float32(rng.uniform(0.012, 0.03))
        self.jpeg = int(rng.integers(50, 85))

    def _homography(self, pose: Pose, ss: int) -> np.ndarray:
        bx, by, bw, bh = self.code_box
        w, h = self.size
        return synth._pose_homography(
            self.obj.shape[1],
            self.obj.shape[0],
            (bx + bw / 2, by + bh / 2),
            w * ss,
            h * ss,
            pose.module_px * ss / OBJ_MPX,
            (pose.cx * ss, pose.cy * ss),
            pose.roll,
            pose.tilt,
            pose.tilt_axis,
        )

    def code_corners(self, pose: Pose) -> np.ndarray:
        bx, by, bw, bh = self.code_box
        quad = np.array([[[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]]], np.float32)
        return cv2.perspectiveTransform(quad, self._homography(pose, 1))[0]

    def visible(self, pose: Pose) -> bool:
        w, h = self.size
        c = self.code_corners(pose)
        m = pose.module_px  # at least a module of the quiet zone in view
        return bool((c[:, 0] >= m).all() and (c[:, 0] <= w - m).all()) and bool(
            (c[:, 1] >= m).all() and (c[:, 1] <= h - m).all()
        )

    def frame(self, pose: Pose, prev: Pose | None, index: int) -> np.ndarray:
        w, h = self.size
        rng = np.random.default_rng([self.seed, 5, index])
        obj = self.obj
        if self.screen_box is not None and pose.screen != 1.0:
            obj = obj.copy()
            sx, sy, sw, sh = self.screen_box
            obj[sy : sy + sh, sx : sx + sw] *= pose.screen
        scene = self.room.copy()
        _composite(scene, obj, self._homography(pose, 2), 2)
        scene *= pose.gain
        if pose.flicker:
            # Rows are read over the frame time (33 ms): three flicker cycles top to bottom.
            rows = np.arange(h, dtype=np.float32) / h * (100.0 / FPS)
            band = 1.0 + pose.flicker * np.sin(2 * np.pi * (rows + pose.flicker_phase))
            scene *= band[:, None].astype(np.float32)
        sigma = max(self.soft, pose.defocus * pose.module_px)
        scene = cv2.GaussianBlur(scene, (0, 0), sigma)
        if prev is not None:
            # Motion during the exposure: the code centre's path, and roll at the code's edge.
            dx, dy = pose.cx - prev.cx, pose.cy - prev.cy
            spin = math.radians(pose.roll - prev.roll) * pose.module_px * self.modules.shape[0] / 2
            length = pose.exposure * math.hypot(math.hypot(dx, dy), spin)
            if length > 1.0:
                angle = math.degrees(math.atan2(dy, dx)) if abs(spin) < math.hypot(dx, dy) else 90
                kernel = synth._motion_kernel(length, angle)
                scene = cv2.filter2D(scene, -1, kernel, borderType=cv2.BORDER_REFLECT)
        scene += rng.standard_normal((h, w), dtype=np.float32) * self.noise
        img = cv2.cvtColor(to_pixels(scene), cv2.COLOR_GRAY2BGR)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg])
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def _luma(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(img, np.float32), cv2.COLOR_BGR2GRAY)


def _composite(scene: np.ndarray, obj: np.ndarray, hmat: np.ndarray, ss: int) -> None:
    """synth._composite for one channel: the object and its coverage warped in one pass."""
    h, w = scene.shape[:2]
    oh, ow = obj.shape[:2]
    corners = cv2.perspectiveTransform(
        np.array([[[0, 0], [ow, 0], [ow, oh], [0, oh]]], np.float32), hmat
    )[0]
    x0 = max(0, int(np.floor(corners[:, 0].min() / ss)) - 1)
    y0 = max(0, int(np.floor(corners[:, 1].min() / ss)) - 1)
    x1 = min(w, int(np.ceil(corners[:, 0].max() / ss)) + 1)
    y1 = min(h, int(np.ceil(corners[:, 1].max() / ss)) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    local = np.array([[1, 0, -x0 * ss], [0, 1, -y0 * ss], [0, 0, 1]], np.float64) @ hmat
    both = cv2.merge([obj, np.ones_like(obj)])
    warped = cv2.warpPerspective(both, local, ((x1 - x0) * ss, (y1 - y0) * ss))
    warped = cv2.resize(warped, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    region = scene[y0:y1, x0:x1]
    region *= 1 - warped[..., 1]
    region += warped[..., 0]


def sequence(
    kind: str,
    seed: int,
    size: tuple[int, int] = (640, 480),
    text: str | None = None,
    fps: float = FPS,
) -> Sequence:
    """One sequence of ``kind``; ``text`` defaults to a signed code in our format."""
    plan, phone = _plan(kind, seed, size, fps)
    lead, poses = plan[0], plan[1:]  # the lead pose gives frame 0 its motion blur
    text = text if text is not None else synth.demo_codes(1, seed=1000 + seed)[0]
    r = _Renderer(text, phone, size, seed * 31 + KINDS.index(kind))
    visible = [r.visible(p) for p in poses]

    def render_frame(i: int) -> np.ndarray:
        return r.frame(poses[i], poses[i - 1] if i else lead, i)

    return Sequence(kind, seed, text, fps, poses, visible, render_frame)


# --- clips for the idle benchmark -------------------------------------------------------


def empty_room(
    seconds: float, size: tuple[int, int] = (640, 480), fps: float = FPS, seed: int = 7
) -> Iterator[np.ndarray]:
    """Nobody there: the room with new sensor noise each frame."""
    w, h = size
    rng = np.random.default_rng(seed)
    lit = room(w, h, rng) * synth._light_field(w, h, rng)[..., None]
    for i in range(int(seconds * fps)):
        noise = np.random.default_rng([seed, i]).standard_normal((h, w), dtype=np.float32)
        # Mostly luminance noise, as after a camera's chroma denoising (as devtools.synth).
        yield to_pixels(lit + (noise * np.float32(0.012))[..., None])


def cards_every(
    texts: list[str],
    period_s: float = 10.0,
    size: tuple[int, int] = (640, 480),
    fps: float = FPS,
) -> Iterator[np.ndarray]:
    """An empty room, and every ``period_s`` seconds the next of ``texts`` brought into view
    and held for two seconds (a "bring_in" sequence), then taken away."""
    for n, text in enumerate(texts):
        seq = sequence("bring_in", n, size, text=text, fps=fps)
        yield from seq.frames()
        yield from empty_room(period_s - len(seq) / fps, size, fps, seed=7 + n)


def write_clip(path: str | Path, frames: Iterator[np.ndarray], fps: float = FPS) -> Path:
    """Frames to a Motion-JPEG AVI, which ``kiosk run --camera FILE`` replays in a loop."""
    path = Path(path)
    writer = None
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
                if not writer.isOpened():
                    raise OSError(f"cannot write {path}")
            writer.write(frame)
    finally:
        if writer is not None:
            writer.release()
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=KINDS, default="bring_in")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True, help="an .avi file")
    args = ap.parse_args(argv)
    seq = sequence(args.kind, args.seed)
    write_clip(args.out, seq.frames(), seq.fps)
    print(f"{args.out}: {len(seq)} frames, code fully in view from frame {seq.first_visible}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
