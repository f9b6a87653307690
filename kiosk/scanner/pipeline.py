"""One frame in, the codes it shows out: decoders and preprocessing in measured order.

Order (see bench/bench_decode.py for the figures behind it):

1. zxing-cpp on the grey frame. Fast (about 1 ms at 640x480), reads inverted codes,
   and, asked for its failures too, tells where a code is that it could not read.
2. Where zxing-cpp saw a code but failed: that region only, enlarged, through pyzbar
   after an adaptive threshold, then zxing-cpp again. Cheap, because small; it reads
   most of the dim, noisy, glared and blurred codes that zxing-cpp alone misses.
3. pyzbar on an adaptive-threshold of the frame (at most 640 px wide): its binariser
   is weak in dim, noisy and unevenly lit frames; thresholding first fixes that. It
   costs several times stage 1, so it runs only where the frame could hold a code:
   somewhere in it, dense edges in both directions, as a code's modules make and a
   room, a face or a line of text do not (``code_texture``). An empty frame then costs
   zxing-cpp and that check, a little over 1 ms at 640x480, instead of 4 to 12 ms.
4. Where zxing-cpp saw a code and nothing above read it: its grid sampled here, with
   the modules under a thumb (or anything featureless) passed to Reed-Solomon as
   erasures, which it corrects twice as many of as errors (kiosk.scanner.erasure).
5. Still nothing: that region deconvolved with its estimated defocus blur
   (kiosk.scanner.deblur), then both decoders. It reads the blurred codes (past half a
   module) that every binariser gives up on.

A stage runs only if the earlier ones found nothing usable, and a costly stage only if
the frame's time budget allows it. Tried and dropped, as it read nothing the stages
above did not: zxing-cpp on the whole frame enlarged 2x (helps alone, not after 2),
unsharp masking, CLAHE, zxing-cpp's GlobalHistogram binariser, pyzbar on inverted
frames (zxing-cpp already reads inverted codes), and for the hard single frames of
issue 14: the near-miss region rectified by its quad (steep tilts: nothing gained)
and enlarged to 600-900 px with Lanczos, "super-sampled" (one dim frame in 50). A
text that looks like ours
but does not parse (a decoder's bogus read, zxing-cpp issue #1162) never counts as a
card and does not stop the search.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

from kiosk.core.codes import CodeRefused, Refusal, verify
from kiosk.scanner import deblur, decoders, erasure
from kiosk.scanner.decoders import Candidate
from kiosk.scanner.result import classify

Quad = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Decoded:
    text: str
    is_card: bool
    decoder: str
    refusal: Refusal | None = None


@dataclass(frozen=True)
class FrameDecode:
    codes: tuple[Decoded, ...]
    ms: float
    # Where zxing-cpp saw a code it could not read: the multi-frame reader looks there
    # again in the next frames (kiosk.scanner.evidence).
    near_misses: tuple[Quad, ...] = ()
    # The frame could hold a code: a near-miss or code-like texture (None: not judged,
    # because a code was read first or the caller ruled the whole-frame search out).
    evidence: bool | None = None

    @property
    def ok(self) -> bool:
        return bool(self.codes)


@dataclass
class Work:
    """What the stages share about one frame."""

    gray: np.ndarray
    near_misses: list[Quad] = field(default_factory=list)
    deadline: float = float("inf")  # time.perf_counter() value
    clock: Callable[[], float] = time.perf_counter
    # False when the caller knows the whole-frame fallbacks already searched this very
    # scene and found nothing (kiosk.scanner.evidence: a still scene); near-misses still count.
    whole_frame: bool = True
    gated: bool = True  # False: the fallbacks run on every unread frame (for comparison)
    public_key: str | None = None  # to check a read the erasure stage is unsure of
    _texture: float | None = None

    def can_afford(self, ms: float) -> bool:
        return self.clock() + ms / 1000.0 <= self.deadline

    def could_hold_code(self) -> bool:
        """Evidence for the whole-frame fallbacks: a near-miss, or code-like texture."""
        if self.near_misses or not self.gated:
            return True
        if not self.whole_frame:
            return False
        if self._texture is None:
            self._texture = code_texture(self.gray)
        return self._texture >= CODE_TEXTURE


Stage = Callable[[Work], list[Candidate]]


def to_gray(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


# Measured on devtools.synth frames: 700 "empty" ones (a room, a card with lines of text
# but no code) score at most 0.08; of 2,900 frames with a code, the ones only the
# whole-frame fallback reads (no near-miss) score 0.127 and up. The threshold sits between.
CODE_TEXTURE = 0.10


def code_texture(gray: np.ndarray) -> float:
    """How much the most code-like patch of the frame looks like a code's modules: edges
    in both directions, densely, relative to the patch's brightness (so a dim code counts).

    Measured on the frame scaled to 320 px wide, in patches about half a nominal code
    across; about 0.3 ms at 640x480. Text and furniture have edges mostly in one
    direction at a time, or sparse ones; a QR code has both everywhere in its area.
    """
    h, w = gray.shape[:2]
    if w < 32 or h < 32:
        return 0.0
    sh = max(16, int(round(h * 320.0 / w)))
    small = cv2.resize(gray, (320, sh), interpolation=cv2.INTER_AREA)
    gx = cv2.absdiff(small[:-1, 1:], small[:-1, :-1])
    gy = cv2.absdiff(small[1:, :-1], small[:-1, :-1])
    both = cv2.min(cv2.blur(gx, (3, 3)), cv2.blur(gy, (3, 3)))
    edges = cv2.blur(both.astype(np.float32), (24, 24))
    light = cv2.blur(small[:-1, :-1].astype(np.float32), (24, 24))
    return float((edges / (light + 8.0)).max())


def _threshold(gray: np.ndarray, block: int) -> np.ndarray:
    block = max(3, block | 1)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 5)


def stage_zxing(work: Work) -> list[Candidate]:
    found = zxingcpp.read_barcodes(
        work.gray,
        formats=zxingcpp.BarcodeFormat.QRCode,
        try_rotate=False,
        try_downscale=True,
        try_invert=True,
        return_errors=True,
    )
    out = []
    for b in found:
        p = b.position
        quad = (
            (p.top_left.x, p.top_left.y),
            (p.top_right.x, p.top_right.y),
            (p.bottom_right.x, p.bottom_right.y),
            (p.bottom_left.x, p.bottom_left.y),
        )
        if b.valid:
            out.append(Candidate(b.text, "zxing-cpp", quad))
        else:
            work.near_misses.append(quad)
    return out


def _roi(gray: np.ndarray, quad: Quad) -> np.ndarray | None:
    pts = np.array(quad, np.float32)
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    side = max(x1 - x0, y1 - y0)
    margin = 0.15 * side  # the quiet zone and some slack for a skewed quad
    h, w = gray.shape
    xa, ya = int(max(0, x0 - margin)), int(max(0, y0 - margin))
    xb, yb = int(min(w, x1 + margin)), int(min(h, y1 + margin))
    if xb - xa < 16 or yb - ya < 16:
        return None
    crop = gray[ya:yb, xa:xb]
    # Enlarge so a module spans several pixels: measured best near 450 px (600 reads one
    # more code in 60 but costs half as much again in pyzbar).
    scale = float(np.clip(450.0 / max(crop.shape), 1.0, 3.0))
    if scale > 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return crop


def _area(quad: Quad) -> float:
    pts = np.array(quad, np.float32)
    return float(abs(cv2.contourArea(pts)))


def stage_roi(work: Work) -> list[Candidate]:
    # The largest near-misses first: small ones are mostly parts of the same code.
    for quad in sorted(work.near_misses, key=_area, reverse=True)[:2]:
        crop = _roi(work.gray, quad)
        if crop is None:
            continue
        if not work.can_afford(ROI_MS_PER_MPX * crop.size / 1e6):
            break
        # pyzbar after a local threshold reads most of these; zxing-cpp gets a few others.
        block = max(15, min(crop.shape) // 12)
        out = decoders.zbar(_threshold(crop, block), name="pyzbar+roi")
        out = out or decoders.zxing(crop, try_downscale=False, name="zxing-cpp+roi")
        if out:
            return out
    return []


def stage_pyzbar_threshold(work: Work) -> list[Candidate]:
    if not work.could_hold_code():
        return []
    gray = work.gray
    downscaled = gray.shape[1] > 640
    if downscaled:
        # A 1280x720 frame costs pyzbar ~4x the time of 640 wide: downscale.
        f = 640 / gray.shape[1]
        gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    cost = PYZBAR_MS_PER_MPX * gray.size / 1e6
    if not work.can_afford(cost):
        return []
    block = max(15, min(gray.shape) // 16)
    out = decoders.zbar(_threshold(gray, block), name="pyzbar+threshold")
    if not out and downscaled and work.can_afford(cost):
        # Downscaling merges the modules of steeply tilted codes into grey that the
        # threshold then breaks; pyzbar's own binariser reads some of those.
        out = decoders.zbar(gray, name="pyzbar+downscale")
    return out


def stage_deblur(work: Work) -> list[Candidate]:
    """Where zxing-cpp saw a code that nothing above read: undo the region's estimated
    defocus blur and decode again (kiosk.scanner.deblur). Only the largest near-miss."""
    for quad in sorted(work.near_misses, key=_area, reverse=True)[:1]:
        crop = _roi(work.gray, quad)
        if crop is None or not work.can_afford(DEBLUR_MS_PER_MPX * crop.size / 1e6):
            return []
        sharp = deblur.sharpen_region(crop)
        return decoders.zxing(sharp, try_downscale=False, name="zxing-cpp+deblur") or decoders.zbar(
            sharp, name="pyzbar+deblur"
        )
    return []


def stage_erasures(work: Work) -> list[Candidate]:
    """Where zxing-cpp saw a code that nothing above read: our own grid sampling, with the
    modules under a thumb read as erasures (kiosk.scanner.erasure). A read of one of our
    codes whose signature fails is dropped when the key is known: this stage corrects
    closest to the code's limit, so it must never turn a card into a "forged" one."""
    for quad in sorted(work.near_misses, key=_area, reverse=True)[:1]:
        if not work.can_afford(ERASURE_MS):
            return []
        text = erasure.read(work.gray, quad)
        if text is None:
            return []
        if work.public_key and classify(text)[0]:
            try:
                verify(text, work.public_key)
            except CodeRefused:
                return []
        return [Candidate(text, "erasures", quad)]
    return []


# Worst-case costs measured on the 2-core reference machine (p95, one thread), used to
# skip a stage that would overrun the frame's budget: the next frame comes soon anyway.
ROI_MS_PER_MPX = 25.0  # pyzbar + zxing-cpp on an enlarged crop
PYZBAR_MS_PER_MPX = 30.0  # threshold + pyzbar
DEBLUR_MS_PER_MPX = 50.0  # FFT deconvolution + zxing-cpp + pyzbar on an enlarged crop
ERASURE_MS = 10.0  # sampling for ten versions, then Reed-Solomon with erasures

DEFAULT_STAGES: tuple[Stage, ...] = (
    stage_zxing,
    stage_roi,
    stage_pyzbar_threshold,
    stage_erasures,
    stage_deblur,
)


def default_budget_ms(width: int, height: int) -> float:
    """A cap on the slowest frames. Most frames end after the first stage, so the p95
    targets (16 ms at 640x480, 33 ms at 1280x720) hold with a cap above them; a lower cap
    (14 ms) skipped the threshold stage on frames it would have read. At 640x480 the cap
    is about one frame interval (30 fps): the hard-case stages (deblur, erasures) fit in
    it on the frames that need them, and the next frame is not yet there anyway."""
    return 30.0 if width * height <= 640 * 480 else 50.0


class DecodePipeline:
    """Decode one frame at a time; safe to call from one thread (the decode thread)."""

    def __init__(
        self,
        public_key: str | None = None,
        stages: tuple[Stage, ...] = DEFAULT_STAGES,
        budget_ms: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
        gated: bool = True,
    ):
        """``budget_ms``: time after which costly stages are skipped (None: by frame size).
        ``gated=False``: the whole-frame fallbacks run on every frame zxing-cpp does not read,
        evidence or not (how the pipeline worked before; bench/bench_decode.py compares)."""
        self.public_key = public_key
        self.stages = stages
        self.budget_ms = budget_ms
        self.gated = gated
        self._clock = clock

    def decode(self, frame: np.ndarray, *, whole_frame: bool = True) -> FrameDecode:
        """``whole_frame=False``: skip the whole-frame fallbacks unless zxing-cpp saw a code
        it could not read (the caller knows this scene was searched already)."""
        t0 = self._clock()
        gray = to_gray(frame)
        budget = self.budget_ms or default_budget_ms(gray.shape[1], gray.shape[0])
        work = Work(
            gray, [], t0 + budget / 1000.0, self._clock, whole_frame, self.gated, self.public_key
        )
        suspicious: list[Candidate] = []
        found: list[Candidate] = []
        for stage in self.stages:
            for cand in stage(work):
                is_card, refusal = classify(cand.text)
                if refusal is Refusal.MALFORMED:
                    suspicious.append(cand)  # keep looking for a clean read
                else:
                    found.append(cand)
            if found:
                break
        codes = self.choose(found or suspicious)
        if work.near_misses:
            evidence: bool | None = True
        elif work._texture is not None:
            evidence = work._texture >= CODE_TEXTURE
        else:
            evidence = None
        return FrameDecode(codes, (self._clock() - t0) * 1000.0, tuple(work.near_misses), evidence)

    def choose(self, cands: list[Candidate]) -> tuple[Decoded, ...]:
        seen: dict[str, Decoded] = {}
        for c in cands:
            if c.text in seen:
                continue
            is_card, refusal = classify(c.text)
            seen[c.text] = Decoded(c.text, is_card, c.decoder, refusal)
        codes = list(seen.values())
        if self.public_key and sum(d.is_card for d in codes) > 1:
            codes = self._prefer_verified(codes)
        return tuple(codes)

    def _prefer_verified(self, codes: list[Decoded]) -> list[Decoded]:
        """When decoders disagree about one card, drop the variant whose signature fails.

        Two different readings with the same id are one card read twice, one of them
        wrongly; two genuinely different cards have different ids and both stay.
        """
        good: set[str] = set()
        for d in codes:
            if not d.is_card:
                continue
            try:
                verify(d.text, self.public_key)
                good.add(d.text)
            except CodeRefused:
                pass
        good_ids = {d.text.split(".")[2] for d in codes if d.text in good}
        return [
            d
            for d in codes
            if not d.is_card or d.text in good or d.text.split(".")[2] not in good_ids
        ]
