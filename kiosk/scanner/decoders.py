"""Thin wrappers around the QR decoders, each returning plain text candidates.

Both libraries are asked for QR codes only: fewer symbologies means fewer bogus reads
from stripes and text, and less time spent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zxingcpp
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol


@dataclass(frozen=True)
class Candidate:
    text: str
    decoder: str
    # Corner points in the image that was decoded (x, y), when the decoder reports them.
    quad: tuple[tuple[float, float], ...] = ()


def zxing(
    gray: np.ndarray,
    *,
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
    try_invert: bool = True,
    try_downscale: bool = True,
    name: str = "zxing-cpp",
) -> list[Candidate]:
    found = zxingcpp.read_barcodes(
        gray,
        formats=zxingcpp.BarcodeFormat.QRCode,
        try_rotate=False,  # a QR finder pattern is rotation invariant; this only slows it
        try_downscale=try_downscale,
        try_invert=try_invert,
        binarizer=binarizer,
    )
    out = []
    for b in found:
        if not b.valid:
            continue
        p = b.position
        quad = (
            (p.top_left.x, p.top_left.y),
            (p.top_right.x, p.top_right.y),
            (p.bottom_right.x, p.bottom_right.y),
            (p.bottom_left.x, p.bottom_left.y),
        )
        out.append(Candidate(b.text, name, quad))
    return out


def zbar(gray: np.ndarray, *, name: str = "pyzbar") -> list[Candidate]:
    out = []
    for sym in pyzbar.decode(gray, symbols=[ZBarSymbol.QRCODE]):
        try:
            text = sym.data.decode("utf-8")
        except UnicodeDecodeError:
            # Not ours (ours is ASCII); keep it as a foreign code rather than dropping it.
            text = sym.data.decode("latin-1")
        quad = tuple((float(p.x), float(p.y)) for p in sym.polygon)
        out.append(Candidate(text, name, quad))
    return out
