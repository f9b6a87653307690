"""Webcam-like frames showing volunteer cards and phone screens, generated from a seed.

Dev tooling, not in the kiosk wheel: used by the decode benchmarks, the scanner
tests, the GUI tests and the screenshot tool.
Nothing is downloaded: each frame is drawn from a seeded ``numpy.random.Generator``,
so the same (seed, category, size) always gives the same pixels.

Geometry is a pinhole camera looking at a flat card or phone; the card is rendered
at about twice the final resolution and area-downsampled so thin modules alias like
a real sensor rather than like nearest-neighbour sampling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.codes import sign
from kiosk.scanner.scene import background_frame, room, to_pixels  # noqa: F401 (re-exported)

CATEGORIES: tuple[str, ...] = (
    "nominal",
    "far",
    "close",
    "tilt",
    "rotation",
    "blur",
    "motion_blur",
    "dim",
    "overexposed",
    "glare",
    "shadow",
    "noise",
    "jpeg",
    "moire",
    "occlusion",
    "inverted",
    "empty",
    # The single frames where every decoder failed (issue 14, item 5), after "empty" so
    # that the categories above keep their seeds and pixels: defocus past half a module,
    # long motion blur, and a thumb over 15 % of a code printed as the ledger prints cards
    # (error correction level M; the categories above use segno's default, L).
    "defocus",
    "motion_long",
    "thumb",
)
# The hard single frames, reported apart from the everyday ones in the benchmarks.
HARD: tuple[str, ...] = ("defocus", "motion_long", "thumb")
EVERYDAY: tuple[str, ...] = tuple(c for c in CATEGORIES if c not in HARD)

SIZES: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720))


@dataclass(frozen=True)
class SynthFrame:
    image: np.ndarray  # BGR uint8
    texts: tuple[str, ...]  # payloads visible in the frame (empty for "empty")
    category: str
    seed: int
    params: dict = field(default_factory=dict, compare=False)


def demo_codes(count: int = 8, seed: int = 0) -> list[str]:
    """Signed codes in our format, the same for the same seed: the key comes from the seed too
    (the scanner never checks signatures), so every run decodes the very same frames. With a
    fresh key per run, about 1 "far" frame in 75 came out unreadable, a test failing at random."""
    rng = np.random.default_rng(seed)
    key = Ed25519PrivateKey.from_private_bytes(rng.bytes(32))
    codes = []
    for i in range(count):
        kind = "S" if i % 7 == 6 else "V"
        subject = f"{kind}{int(rng.integers(1, 999_999)):06d}"
        codes.append(sign(key, kind, subject, int(rng.integers(1, 4))))
    return codes


@lru_cache(maxsize=64)
def qr_modules(text: str, error: str | None = None) -> np.ndarray:
    """Module matrix (1 = dark) without quiet zone; ``error="m"`` as the ledger prints cards
    (sync/ledger/staff/card_image.py), None for segno's default (L, boosted where it fits)."""
    qr = segno.make(text, micro=False, error=error)
    modules = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    modules.flags.writeable = False  # shared by the cache
    return modules


# --- objects in their own plane -------------------------------------------------------


def _render_code(modules: np.ndarray, mpx: int, quiet: int, inverted: bool) -> np.ndarray:
    """Grey [0, 1] image of the code with its quiet zone, ``mpx`` pixels per module."""
    padded = np.pad(modules, quiet)
    img = np.kron(1.0 - padded.astype(np.float32), np.ones((mpx, mpx), np.float32))
    if inverted:
        img = 1.0 - img
    return img


def _card_object(modules: np.ndarray, mpx: int, rng: np.random.Generator, inverted: bool):
    """A printed card: off-white, a coloured band, fake text lines, the code on the right."""
    code = _render_code(modules, mpx, 4, inverted)
    ink = 0.08 + 0.07 * rng.random()
    paper = 0.88 + 0.1 * rng.random()
    code = ink + (paper - ink) * code
    ch, cw = code.shape
    h, w = int(ch * 1.25), int(cw * 1.9)
    card = np.empty((h, w, 3), np.float32)
    card[:] = paper * np.array([0.97, 0.99, 1.0], np.float32)
    band = int(h * 0.16)
    card[:band] = np.array([0.15, 0.25, 0.75]) * (0.8 + 0.2 * rng.random())
    for i in range(4):
        y = band + int(h * (0.12 + 0.14 * i))
        length = int(w * (0.25 + 0.2 * rng.random()))
        card[y : y + max(2, mpx), int(w * 0.05) : int(w * 0.05) + length] = ink
    y0, x0 = h - ch - int(h * 0.04), w - cw - int(w * 0.02)
    card[y0 : y0 + ch, x0 : x0 + cw] = code[..., None]
    code_box = (x0 + 4 * mpx, y0 + 4 * mpx, cw - 8 * mpx, ch - 8 * mpx)
    return card, code_box


def _phone_object(modules: np.ndarray, mpx: int, rng: np.random.Generator, inverted: bool):
    """A phone: dark bezel, bright screen with the code; screens are emissive, so brighter."""
    code = _render_code(modules, mpx, 4, inverted)
    screen_white = 1.0
    ch, cw = code.shape
    sw, sh = int(cw * 1.3), int(ch * 2.0)
    bezel = max(3, int(sw * 0.05))
    h, w = sh + 2 * bezel, sw + 2 * bezel
    phone = np.full((h, w, 3), 0.05, np.float32)
    screen = np.full((sh, sw, 3), screen_white, np.float32) * np.array([1.0, 0.98, 0.95])
    if inverted:
        screen[:] = 0.08
    screen[: int(sh * 0.12)] = np.array([0.2, 0.6, 0.2])  # app header bar
    y0, x0 = (sh - ch) // 2, (sw - cw) // 2
    screen[y0 : y0 + ch, x0 : x0 + cw] = code[..., None] * screen_white
    phone[bezel : bezel + sh, bezel : bezel + sw] = screen
    code_box = (bezel + x0 + 4 * mpx, bezel + y0 + 4 * mpx, cw - 8 * mpx, ch - 8 * mpx)
    screen_box = (bezel, bezel, sw, sh)
    return phone, code_box, screen_box


# --- camera -------------------------------------------------------------------------


def _pose_homography(
    obj_w: int,
    obj_h: int,
    anchor: tuple[float, float],
    out_w: int,
    out_h: int,
    scale: float,
    centre: tuple[float, float],
    roll_deg: float,
    tilt_deg: float,
    tilt_axis_deg: float,
) -> np.ndarray:
    """Homography from object pixels to image pixels for a flat object seen by a pinhole camera.

    ``scale`` is image pixels per object pixel at the anchor when the object faces the
    camera; the anchor (the code's centre) lands on ``centre``.
    """
    f = 0.9 * out_w  # about a 70 degree webcam
    ax, ay = anchor
    # Object points in camera units: z = f / scale puts one object pixel at `scale` px.
    z0 = f / scale
    corners = np.array([[0, 0], [obj_w, 0], [obj_w, obj_h], [0, obj_h]], np.float32)
    pts = np.c_[corners - [ax, ay], np.zeros(4)].astype(np.float64)
    r = np.deg2rad(roll_deg)
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    a = np.deg2rad(tilt_axis_deg)
    axis = np.array([np.cos(a), np.sin(a), 0.0])
    t = np.deg2rad(tilt_deg)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rt = np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k
    cam = (rt @ rz @ pts.T).T
    cx, cy = centre
    offset = np.array([(cx - out_w / 2) * z0 / f, (cy - out_h / 2) * z0 / f, z0])
    cam = cam + offset
    proj = np.c_[f * cam[:, 0] / cam[:, 2] + out_w / 2, f * cam[:, 1] / cam[:, 2] + out_h / 2]
    return cv2.getPerspectiveTransform(corners, proj.astype(np.float32))


def _motion_kernel(length: float, angle_deg: float) -> np.ndarray:
    size = max(3, int(np.ceil(length)) | 1)
    k = np.zeros((size, size), np.float32)
    c = size // 2
    a = np.deg2rad(angle_deg)
    dx, dy = np.cos(a) * length / 2, np.sin(a) * length / 2
    cv2.line(
        k,
        (int(round(c - dx * 16)), int(round(c - dy * 16))),
        (int(round(c + dx * 16)), int(round(c + dy * 16))),
        1.0,
        1,
        cv2.LINE_AA,
        shift=4,
    )
    return k / max(k.sum(), 1e-6)


@dataclass
class _Shot:
    """What one category does to the nominal shot."""

    module_px: float
    roll: float
    tilt: float
    phone: bool
    inverted: bool = False
    blur_modules: float = 0.0
    motion_modules: float = 0.0
    gain: float = 1.0
    glare: float = 0.0
    shadow: float = 0.0
    noise: float = 0.012
    jpeg: int = 0
    moire: float = 0.0
    occlusion: float = 0.0
    has_code: bool = True
    error: str | None = None  # the code's error correction level (None: segno's default)


def _plan(category: str, height: int, rng: np.random.Generator) -> _Shot:
    # Module sizes are given for 480 lines and scaled with the frame height, as the same
    # webcam at a higher resolution sees the same field of view.
    k = height / 480.0
    u = rng.uniform
    shot = _Shot(
        module_px=u(3.2, 5.0) * k, roll=u(-15, 15), tilt=u(0, 15), phone=rng.random() < 0.35
    )
    match category:
        case "nominal":
            pass
        case "far":
            shot.module_px = u(1.6, 2.6) * k
        case "close":
            shot.module_px = u(7.5, 10.5) * k
            shot.blur_modules = u(0.05, 0.2)  # too close to focus well
        case "tilt":
            shot.tilt = u(30, 60)
            shot.module_px = u(3.5, 5.5) * k
        case "rotation":
            shot.roll = u(0, 360)
        case "blur":
            shot.blur_modules = u(0.25, 0.6)
        case "motion_blur":
            shot.motion_modules = u(0.6, 2.2)
        case "dim":
            shot.gain = u(0.12, 0.3)
            shot.noise = 0.02
        case "overexposed":
            shot.gain = u(1.6, 2.6)
        case "glare":
            shot.glare = u(0.5, 1.2)
        case "shadow":
            shot.shadow = u(0.45, 0.8)
        case "noise":
            shot.noise = u(0.05, 0.11)
        case "jpeg":
            shot.jpeg = int(rng.integers(8, 25))
        case "moire":
            shot.phone = True
            shot.moire = u(0.15, 0.35)
        case "occlusion":
            shot.occlusion = u(0.04, 0.2)
        case "inverted":
            shot.inverted = True
            shot.phone = rng.random() < 0.6
        case "empty":
            shot.has_code = False
        case "defocus":
            shot.blur_modules = u(0.6, 0.9)
        case "motion_long":
            shot.motion_modules = u(2.5, 4.0)
        case "thumb":
            shot.occlusion = u(0.15, 0.3)
            shot.error = "m"
        case _:
            raise ValueError(f"unknown category {category!r}")
    return shot


def render(
    category: str,
    seed: int,
    size: tuple[int, int] = (640, 480),
    text: str | None = None,
    variant: int = 0,
) -> SynthFrame:
    """One frame of ``category`` at ``size`` (width, height); ``text`` defaults to a signed code.

    Frames with the same seed and another ``variant`` are the next frames of the same
    shot: same pose and light, new sensor noise, a hand shake of about a pixel and a new
    direction of motion blur.
    """
    w, h = size
    rng = np.random.default_rng([seed, CATEGORIES.index(category), w])
    vrng = np.random.default_rng([seed, CATEGORIES.index(category), w, 1 + variant])
    shot = _plan(category, h, rng)
    if text is None:
        text = _code_for(seed)
    modules = qr_modules(text, shot.error)
    n = modules.shape[0]
    # Render at ~2x and downsample later; big modules need no more than 8 px to stay sharp.
    obj_mpx = max(2, min(8, int(np.ceil(shot.module_px * 2))))
    if shot.phone:
        obj, (bx, by, bw, bh), screen_box = _phone_object(modules, obj_mpx, rng, shot.inverted)
    else:
        obj, (bx, by, bw, bh) = _card_object(modules, obj_mpx, rng, shot.inverted)
        screen_box = None
    if not shot.has_code:
        blank = obj[by - 2, bx - 2].copy() if not shot.inverted else obj[by, bx].copy()
        obj[by : by + bh, bx : bx + bw] = blank
        # A card without a code still carries text-like marks: let decoders see clutter.
        for _ in range(6):
            y = by + int(rng.integers(0, bh - obj_mpx))
            x = bx + int(rng.integers(0, bw // 2))
            obj[y : y + obj_mpx, x : x + int(rng.integers(bw // 4, bw // 2))] = 0.15
    if shot.moire and screen_box is not None:
        sx, sy, sw, sh = screen_box
        yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
        period = rng.uniform(4.0, 9.0) * obj_mpx / 2
        ang = rng.uniform(0, np.pi)
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(ang) + yy * np.sin(ang)) / period)
        wave2 = 0.5 + 0.5 * np.sin(
            2 * np.pi * (xx * np.cos(ang + 1.2) + yy * np.sin(ang + 1.2)) / (period * 1.3)
        )
        pattern = 1.0 - shot.moire * (0.6 * wave + 0.4 * wave2)
        obj[sy : sy + sh, sx : sx + sw] *= pattern[..., None]
    if shot.occlusion:
        _draw_finger(obj, (bx, by, bw, bh), shot.occlusion, rng)

    # Supersample x2 then area-downsample: one step of realistic sensor integration. Only
    # the object's bounding box is rendered at 2x; the background is out of focus anyway.
    ss = 2
    scale = shot.module_px * ss / obj_mpx
    code_extent = (n + 8) * shot.module_px
    margin = 0.5 * code_extent
    cx = rng.uniform(min(margin, w / 2), max(w - margin, w / 2))
    cy = rng.uniform(min(margin, h / 2), max(h - margin, h / 2))
    anchor = (bx + bw / 2, by + bh / 2)
    if variant:
        cx, cy = cx + vrng.normal(0, 0.7), cy + vrng.normal(0, 0.7)
    hmat = _pose_homography(
        obj.shape[1],
        obj.shape[0],
        anchor,
        w * ss,
        h * ss,
        scale,
        (cx * ss, cy * ss),
        shot.roll,
        shot.tilt,
        rng.uniform(0, 360),
    )
    scene = room(w, h, rng)
    _composite(scene, obj, hmat, ss)

    # Light: a vignette and a side light, then the category's exposure effects.
    light = _light_field(w, h, rng) * shot.gain
    scene *= light[..., None]
    if shot.shadow:
        _cast_shadow(scene, (cx, cy), code_extent, shot.shadow, rng)
    if shot.glare:
        gx = cx + rng.uniform(-0.3, 0.3) * code_extent
        gy = cy + rng.uniform(-0.3, 0.3) * code_extent
        radius = rng.uniform(0.08, 0.2) * code_extent
        blob = np.zeros((h, w), np.float32)
        blob[int(np.clip(gy, 0, h - 1)), int(np.clip(gx, 0, w - 1))] = 1.0
        blob = cv2.GaussianBlur(blob, (0, 0), radius)
        scene += (shot.glare * blob / max(float(blob.max()), 1e-6))[..., None]

    # Optics: every webcam is a little soft; blur categories are given in module units.
    sigma = max(0.45, shot.blur_modules * shot.module_px)
    scene = cv2.GaussianBlur(scene, (0, 0), sigma)
    if shot.motion_modules:
        kernel = _motion_kernel(shot.motion_modules * shot.module_px, vrng.uniform(0, 180))
        scene = cv2.filter2D(scene, -1, kernel, borderType=cv2.BORDER_REFLECT)
    # Mostly luminance noise, as after a camera's chroma denoising; cheaper to draw, too.
    scene += (vrng.standard_normal(scene.shape[:2], dtype=np.float32) * np.float32(shot.noise))[
        ..., None
    ]
    img = to_pixels(scene)  # the camera's tone curve
    if shot.jpeg:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, shot.jpeg])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    params = {k: v for k, v in vars(shot).items()}
    return SynthFrame(img, (text,) if shot.has_code else (), category, seed, params)


def _composite(scene: np.ndarray, obj: np.ndarray, hmat: np.ndarray, ss: int) -> None:
    """Warp ``obj`` into ``scene`` (1x) through ``hmat`` (which maps into ss-times coordinates)."""
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
    shift = np.array([[1, 0, -x0 * ss], [0, 1, -y0 * ss], [0, 0, 1]], np.float64)
    local = shift @ hmat
    size = ((x1 - x0) * ss, (y1 - y0) * ss)
    warped = cv2.warpPerspective(obj, local, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((oh, ow), np.float32), local, size, flags=cv2.INTER_LINEAR)
    warped = cv2.resize(warped, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)[..., None]
    region = scene[y0:y1, x0:x1]
    region *= 1 - mask
    region += warped * mask


def _light_field(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """Vignette and a side light; smooth, so computed small and scaled up."""
    sw, sh = 64, 48
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    rr = ((xx - sw / 2) ** 2 + (yy - sh / 2) ** 2) / (sw * sw / 4 + sh * sh / 4)
    light = (1.0 - 0.25 * rr) * (0.9 + 0.2 * xx / sw * rng.uniform(-1, 1))
    return cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)


def _draw_finger(
    obj: np.ndarray, box: tuple[int, int, int, int], fraction: float, rng: np.random.Generator
) -> None:
    """A thumb coming in from one edge of the code, covering about ``fraction`` of it."""
    bx, by, bw, bh = box
    skin = np.array([0.55, 0.65, 0.85], np.float32) * rng.uniform(0.7, 1.1)
    width = int(bw * rng.uniform(0.25, 0.4))
    depth = int(min(bh, fraction * bw * bh / width))
    side = int(rng.integers(0, 4))
    along = int(rng.uniform(0.1, 0.9) * (bw - width))
    mask = np.zeros(obj.shape[:2], np.uint8)
    if side == 0:  # from the bottom edge
        x0, y0 = bx + along, by + bh - depth
        cv2.rectangle(mask, (x0, y0 + width // 2), (x0 + width, obj.shape[0]), 1, -1)
        cv2.ellipse(
            mask, (x0 + width // 2, y0 + width // 2), (width // 2, width // 2), 0, 180, 360, 1, -1
        )
    elif side == 1:  # from the top
        x0, y1 = bx + along, by + depth
        cv2.rectangle(mask, (x0, 0), (x0 + width, y1 - width // 2), 1, -1)
        cv2.ellipse(
            mask, (x0 + width // 2, y1 - width // 2), (width // 2, width // 2), 0, 0, 180, 1, -1
        )
    elif side == 2:  # from the left
        y0, x1 = by + along, bx + depth
        cv2.rectangle(mask, (0, y0), (x1 - width // 2, y0 + width), 1, -1)
        cv2.ellipse(
            mask, (x1 - width // 2, y0 + width // 2), (width // 2, width // 2), 0, -90, 90, 1, -1
        )
    else:  # from the right
        y0, x0 = by + along, bx + bw - depth
        cv2.rectangle(mask, (x0 + width // 2, y0), (obj.shape[1], y0 + width), 1, -1)
        cv2.ellipse(
            mask, (x0 + width // 2, y0 + width // 2), (width // 2, width // 2), 0, 90, 270, 1, -1
        )
    obj[mask.astype(bool)] = skin


def _cast_shadow(
    scene: np.ndarray,
    centre: tuple[float, float],
    extent: float,
    strength: float,
    rng: np.random.Generator,
) -> None:
    """A soft-edged shadow (a head or the kiosk's own frame) across part of the code."""
    h, w = scene.shape[:2]
    ang = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)  # full size: the shadow edge is sharp-ish
    cx, cy = centre
    d = (xx - cx) * np.cos(ang) + (yy - cy) * np.sin(ang) - rng.uniform(-0.25, 0.25) * extent
    soft = max(1.0, rng.uniform(0.02, 0.1) * extent)
    shade = 1.0 - strength / (1.0 + np.exp(-d / soft))
    scene *= shade[..., None]


_CODES: list[str] = []


def _code_for(seed: int) -> str:
    """Payloads vary from frame to frame, and one key signs them all for the whole process."""
    if not _CODES:
        _CODES.extend(demo_codes(16, seed=12345))
    return _CODES[seed % len(_CODES)]


def frames(
    categories: tuple[str, ...] | list[str] = CATEGORIES,
    per_category: int = 10,
    size: tuple[int, int] = (640, 480),
    seed: int = 0,
):
    """Yield ``per_category`` frames of each category, deterministic for a given ``seed``."""
    for category in categories:
        for i in range(per_category):
            yield render(category, seed * 100_003 + i, size)


def noise_frame(seed: int, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """Pure sensor noise, the hardest test for false reads."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


def card_image(text: str, module_px: int = 8, inverted: bool = False) -> np.ndarray:
    """A flat, front-on picture of a card (BGR), for the demo mode's on-screen cards."""
    rng = np.random.default_rng(0)
    obj, _ = _card_object(qr_modules(text), module_px, rng, inverted)
    return (np.clip(obj, 0, 1) * 255 + 0.5).astype(np.uint8)
