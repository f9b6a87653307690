"""Reading a code a thumb covers: the module grid sampled here, and Reed-Solomon decoding
told which codewords it cannot see.

A QR code's error correction repairs up to t = (n - k) / 2 wrong codewords per block,
but twice as many *erasures*: codewords known to be unreadable. zxing-cpp and zbar
treat what a thumb covers as errors, so a thumb over about half the correction capacity
(7 % of an L code, 15 % of an M code) defeats them. Here the code's grid is sampled
from the quad zxing-cpp reported for its near-miss, modules under something smooth
and featureless (a thumb, a glare spot, a sticker: no module edge in a 3x3 patch) are
marked unknown, and each block is decoded with those codewords as erasures
(``reedsolo``), so a thumb can cover nearly the whole correction capacity.

The grid layout (function patterns, placement order, block structure, format words)
comes from segno's encoder tables, the library the ledger prints cards with. A read is
kept only with two symbols of the code's correction left unused in every block, so that
a wrong grid or a miscorrection is still detected; our own codes are signed besides, and
the pipeline checks the signature when it knows the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import reedsolo
from segno import consts as qr
from segno import encoder as qrenc

MARGIN = 2  # correction symbols per block that must stay unused
CELL = 6  # pixels per module when the grid is warped square for sampling
VERSIONS = range(1, 11)  # our cards are version 5 or 6; room for longer foreign codes
_LEVEL_OF_FORMAT = {
    0: qr.ERROR_LEVEL_M,
    1: qr.ERROR_LEVEL_L,
    2: qr.ERROR_LEVEL_H,
    3: qr.ERROR_LEVEL_Q,
}
_MASKS = qrenc.get_data_mask_functions(False)


@dataclass(frozen=True)
class Layout:
    size: int
    data_cells: np.ndarray  # (bits, 2) row, column of each data bit in placement order
    known: np.ndarray  # size x size: 0/1 for function modules of fixed colour, -1 otherwise
    format_a: tuple[tuple[int, int], ...]  # the 15 format bits (bit 0 first), both copies
    format_b: tuple[tuple[int, int], ...]


@lru_cache(maxsize=16)
def layout(version: int) -> Layout:
    n = 17 + 4 * version
    m = qrenc.make_matrix(n, n)  # 2 = free for data, timing set, format/version reserved
    qrenc.add_finder_patterns(m, n, n)
    qrenc.add_alignment_patterns(m, n, n)
    m[-8][8] = 1  # the dark module
    grid = np.array([list(row) for row in m], np.int8)
    cells = []
    for right in range(n - 1, 0, -2):  # segno.encoder.add_codewords' order
        if right <= 6:
            right -= 1
        for vertical in range(n):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = n - 1 - vertical if upwards else vertical
                if grid[i, j] == 2:
                    cells.append((i, j))
                    grid[i, j] = 3  # placed
    a = [(i + (i >= 6), 8) for i in range(8)] + [(8, 14 - b + (14 - b >= 6)) for b in range(8, 15)]
    b = [(8, n - 1 - i) for i in range(8)] + [(n - 1 - (14 - b), 8) for b in range(8, 15)]
    known = np.where(grid <= 1, grid, -1).astype(np.int8)
    for i, j in a + b:
        known[i, j] = -1
    if version >= 7:
        known[:6, n - 11 : n - 8] = -1
        known[n - 11 : n - 8, :6] = -1
    return Layout(n, np.array(cells, np.int32), known, tuple(a), tuple(b))


def _sample(gray: np.ndarray, quad, n: int) -> np.ndarray:
    """Mean grey level at the centre of each module, through the quad's homography."""
    side = n * CELL
    src = np.array(quad, np.float32)
    dst = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    warped = cv2.warpPerspective(
        gray, cv2.getPerspectiveTransform(src, dst), (side, side), flags=cv2.INTER_LINEAR
    ).astype(np.float32)
    core = warped.reshape(n, CELL, n, CELL)[:, 1 : CELL - 1, :, 1 : CELL - 1]
    return core.mean(axis=(1, 3))


def _binarize(cells: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Dark (1) or light (0) by the local mean of the visible modules around each."""
    seen = (~hidden).astype(np.float32)
    k = (7, 7)
    local = cv2.blur(cells * seen, k) / np.maximum(cv2.blur(seen, k), 1e-3)
    return (cells < local).astype(np.int8)


def _hidden(cells: np.ndarray) -> np.ndarray:
    """Modules under something featureless: no light-dark step anywhere in their 3x3."""
    flat_cells = cells.ravel()
    k = flat_cells.size
    lo, hi = np.partition(flat_cells, (k // 10, 9 * k // 10))[[k // 10, 9 * k // 10]]
    kernel = np.ones((3, 3), np.uint8)
    spread = cv2.dilate(cells, kernel) - cv2.erode(cells, kernel)
    flat = (spread < 0.3 * max(hi - lo, 1.0)).astype(np.uint8)
    return flat.astype(bool)


_FORMAT_BITS = np.array(
    [[(word >> bit) & 1 for bit in range(15)] * 2 for word in qr.FORMAT_INFO], np.int8
)


def _format(bits: np.ndarray, hidden: np.ndarray, lay: Layout) -> tuple[int, int] | None:
    """(error level, mask) from the two format copies, nearest valid word on visible bits."""
    cells = np.array(lay.format_a + lay.format_b)
    read = bits[cells[:, 0], cells[:, 1]]
    seen = ~hidden[cells[:, 0], cells[:, 1]]
    if seen.sum() < 12:
        return None
    errors = ((read != _FORMAT_BITS) & seen).sum(axis=1)
    best = int(errors.argmin())
    if errors[best] > max(3, int(seen.sum()) // 8):
        return None
    return _LEVEL_OF_FORMAT[best >> 3], best & 7


@lru_cache(maxsize=128)
def _mask_bits(version: int, mask: int) -> np.ndarray:
    cells = layout(version).data_cells
    return np.fromiter((_MASKS[mask](i, j) for i, j in cells), bool, len(cells))


@lru_cache(maxsize=16)
def _codec(nsym: int) -> reedsolo.RSCodec:
    return reedsolo.RSCodec(nsym, nsize=255, fcr=0, prim=0x11D, generator=2, c_exp=8)


def _blocks(version: int, level: int) -> list[tuple[int, int]]:
    """(data codewords, correction codewords) of each block, in order."""
    return [
        (ec.num_data, ec.num_total - ec.num_data)
        for ec in qr.ECC[version][level]
        for _ in range(ec.num_blocks)
    ]


def _correct(codewords: list[int], hidden: list[int], version: int, level: int) -> bytes | None:
    """The data codewords, each block corrected, or None. ``hidden``: how many of each
    codeword's 8 modules are hidden. A codeword with one hidden module is more often
    right than not (a guess is right about half the time, and so are its neighbours'),
    so each block is tried with every codeword that has any hidden module erased, then
    with only those with at least 2 or 3, the rest counted on as possible errors."""
    blocks = _blocks(version, level)
    where: list[tuple[int, int]] = []  # stream position -> (block, index in block)
    for idx in range(max(d for d, _ in blocks)):
        where += [(b, idx) for b, (d, _) in enumerate(blocks) if idx < d]
    for idx in range(blocks[0][1]):
        where += [(b, d + idx) for b, (d, _) in enumerate(blocks)]
    if len(codewords) < len(where):
        return None
    words = [bytearray(d + e) for d, e in blocks]
    covered: list[list[tuple[int, int]]] = [[] for _ in blocks]  # (index, hidden modules)
    for pos, (b, i) in enumerate(where):
        words[b][i] = codewords[pos]
        if hidden[pos]:
            covered[b].append((i, hidden[pos]))
    data = bytearray()
    for (d, e), word, cover in zip(blocks, words, covered, strict=True):
        fixed = _correct_block(word, cover, e)
        if fixed is None:
            return None
        data += fixed[:d]
    return bytes(data)


def _correct_block(word: bytearray, cover: list[tuple[int, int]], nsym: int) -> bytes | None:
    for least in (1, 2, 3):
        gone = [i for i, k in cover if k >= least]
        if len(gone) > nsym - MARGIN:
            continue
        try:
            fixed, _full, errata = _codec(nsym).decode(word, erase_pos=gone)
        except reedsolo.ReedSolomonError:
            continue
        errors = len(set(errata) - set(gone))
        if 2 * errors + len(gone) <= nsym - MARGIN:
            return bytes(fixed)
    return None


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _text(data: bytes, version: int) -> str | None:
    """The segments of a data stream (numeric, alphanumeric, byte, ECI) as text."""
    bits = "".join(f"{b:08b}" for b in data)
    pos = 0

    def take(k: int) -> int | None:
        nonlocal pos
        if pos + k > len(bits):
            return None
        v = int(bits[pos : pos + k], 2)
        pos += k
        return v

    wide = version >= 10
    out = bytearray()
    while True:
        mode = take(4)
        if mode in (None, 0):
            break
        if mode == qr.MODE_ECI:
            first = take(8)
            if first is None:
                return None
            if first & 0x80:
                take(8 if first & 0x40 == 0 else 16)
            continue
        if mode == qr.MODE_BYTE:
            count = take(16 if wide else 8)
            if count is None:
                return None
            for _ in range(count):
                v = take(8)
                if v is None:
                    return None
                out.append(v)
        elif mode == qr.MODE_ALPHANUMERIC:
            count = take(11 if wide else 9)
            if count is None:
                return None
            for _ in range(count // 2):
                v = take(11)
                if v is None or v >= 45 * 45:
                    return None
                out += (_ALNUM[v // 45] + _ALNUM[v % 45]).encode()
            if count % 2:
                v = take(6)
                if v is None or v >= 45:
                    return None
                out += _ALNUM[v].encode()
        elif mode == qr.MODE_NUMERIC:
            count = take(12 if wide else 10)
            if count is None:
                return None
            for size, width in (
                ((3, 10),) * (count // 3)
                + (((2, 7),) if count % 3 == 2 else ())
                + (((1, 4),) if count % 3 == 1 else ())
            ):
                v = take(width)
                if v is None or v >= 10**size:
                    return None
                out += f"{v:0{size}d}".encode()
        else:
            return None  # Kanji, structured append: not on any card of ours
    # Byte segments carry no charset without an ECI: UTF-8 as phones write it, then
    # Shift JIS (what segno and many generators use for CJK text that fits it), then
    # ISO 8859-1, the standard's default. Ours are ASCII.
    for charset in ("utf-8", "shift_jis"):
        try:
            return out.decode(charset)
        except UnicodeDecodeError:
            pass
    return out.decode("latin-1")


def read(gray: np.ndarray, quad) -> str | None:
    """The text of the code inside ``quad`` (zxing-cpp's corners: top-left, top-right,
    bottom-right, bottom-left of the symbol), reading hidden modules as erasures."""
    best: tuple[float, int, np.ndarray] | None = None
    for version in VERSIONS:
        lay = layout(version)
        cells = _sample(gray, quad, lay.size)
        hidden = _hidden(cells)
        dark = _binarize(cells, hidden)
        fixed = (lay.known >= 0) & ~hidden
        if fixed.sum() < 40:
            continue
        agree = float((dark[fixed] == lay.known[fixed]).mean())
        if best is None or agree > best[0]:
            best = (agree, version, cells)
    if best is None or best[0] < 0.85:
        return None  # no grid fits the function patterns: not where zxing-cpp said
    _agree, version, cells = best
    lay = layout(version)
    hidden = _hidden(cells)
    dark = _binarize(cells, hidden)
    found = _format(dark, hidden, lay)
    if found is None:
        return None
    level, mask = found
    rows, cols = lay.data_cells[:, 0], lay.data_cells[:, 1]
    bits = dark[rows, cols].astype(bool) ^ _mask_bits(version, mask)
    gone = hidden[rows, cols]
    usable = len(bits) // 8 * 8
    words = np.packbits(bits[:usable]).tolist()
    hidden_per_word = gone[:usable].reshape(-1, 8).sum(axis=1).tolist()
    data = _correct(words, hidden_per_word, version, level)
    return None if data is None else _text(data, version)
