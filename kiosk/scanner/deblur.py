"""Undoing defocus blur on the region where zxing-cpp saw a code it could not read.

A card held too close, or a cheap webcam's fixed focus, blurs the modules into each
other; past about half a module no binariser separates them. Blur of a lens is close
to a Gaussian, and its width can be estimated from the region itself: a code holds
sharp black-to-white steps, and a step blurred by a Gaussian of width sigma rises at
most contrast / (sigma * sqrt(2 pi)) per pixel. Wiener deconvolution with that kernel
(in the frequency domain, a few milliseconds on the enlarged region) restores enough
of the steps for the decoders.

Measured on bench/bench_decode.py's "blur" frames (0.25-0.6 modules): with the region
deconvolved, the frames no other stage reads are read too, and no wrong payload; the
estimate runs about a fifth low, so the kernel used is 1.3 times as wide, where the
Wiener filter is forgiving (too narrow a kernel leaves the blur, a wider one only adds
a little ringing).
"""

from __future__ import annotations

import cv2
import numpy as np

SIGMA_BIAS = 1.3
NOISE_TO_SIGNAL = 0.01
_PAD = 16


def blur_sigma(gray: np.ndarray) -> float:
    """Estimated Gaussian blur of ``gray`` (a region holding a code), in its pixels."""
    f = gray.astype(np.float32)
    lo, hi = np.percentile(f, (5, 95))
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    steepest = float(np.percentile(cv2.magnitude(gx, gy), 99.5))
    return float((hi - lo) / (np.sqrt(2 * np.pi) * steepest + 1e-6))


def _gaussian_otf(shape: tuple[int, int], sigma: float) -> np.ndarray:
    h, w = shape
    fy = np.fft.fftfreq(h).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(w).astype(np.float32)[None, :]
    return np.exp(-2.0 * np.pi**2 * sigma**2 * (fx**2 + fy**2))


def deconvolve(gray: np.ndarray, sigma: float, nsr: float = NOISE_TO_SIGNAL) -> np.ndarray:
    """Wiener deconvolution of ``gray`` by a Gaussian of width ``sigma`` pixels."""
    f = cv2.copyMakeBorder(gray.astype(np.float32) / 255.0, *(_PAD,) * 4, cv2.BORDER_REFLECT)
    otf = _gaussian_otf(f.shape, sigma)
    restored = np.fft.irfft2(np.fft.rfft2(f) * (otf / (otf * otf + nsr)), s=f.shape)
    restored = restored[_PAD:-_PAD, _PAD:-_PAD]
    return np.clip(restored * 255.0, 0, 255).astype(np.uint8)


def sharpen_region(gray: np.ndarray) -> np.ndarray:
    """``gray`` with its estimated blur undone."""
    return deconvolve(gray, SIGMA_BIAS * blur_sigma(gray))
