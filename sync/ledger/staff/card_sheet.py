"""Printable volunteer cards: an A4 PDF of wallet-size cards with crop marks, and PNGs
for sending to phones.

Pages are drawn at 300 dpi with Pillow and saved as PDF: the QR modules land on whole
pixels (sharp at print size) and the CJK font needs no PDF font embedding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from kiosk.private import open_private
from sync.ledger.staff.card_image import card_image

DPI = 300
MM = DPI / 25.4
A4 = (round(210 * MM), round(297 * MM))
CARD = (round(85.6 * MM), round(54 * MM))
COLS, ROWS = 2, 5
GAP = round(6 * MM)  # room for the crop marks between cards
MARK = round(4 * MM)


@dataclass(frozen=True)
class CardHolder:
    subject_id: str
    name: str
    code: str
    kind: str = "V"


def layout() -> list[tuple[int, int]]:
    """Top-left corners of the cards on a page, centred."""
    width = COLS * CARD[0] + (COLS - 1) * GAP
    height = ROWS * CARD[1] + (ROWS - 1) * GAP
    x0, y0 = (A4[0] - width) // 2, (A4[1] - height) // 2
    return [
        (x0 + c * (CARD[0] + GAP), y0 + r * (CARD[1] + GAP))
        for r in range(ROWS)
        for c in range(COLS)
    ]


def _crop_marks(draw: ImageDraw.ImageDraw, x: int, y: int) -> None:
    w, h = CARD
    off = round(1 * MM)  # marks stop short of the card so no line shows after cutting
    for cx, cy, dx, dy in (
        (x, y, -1, -1),
        (x + w, y, 1, -1),
        (x, y + h, -1, 1),
        (x + w, y + h, 1, 1),
    ):
        draw.line([(cx + dx * off, cy), (cx + dx * (off + MARK), cy)], fill="black", width=2)
        draw.line([(cx, cy + dy * off), (cx, cy + dy * (off + MARK))], fill="black", width=2)


def pages(holders: Iterable[CardHolder]) -> list[Image.Image]:
    holders = list(holders)
    out = []
    slots = layout()
    for start in range(0, len(holders), len(slots)):
        page = Image.new("RGB", A4, "white")
        draw = ImageDraw.Draw(page)
        for (x, y), holder in zip(slots, holders[start : start + len(slots)], strict=False):
            page.paste(
                card_image(holder.code, holder.name, holder.subject_id, holder.kind, width=CARD[0]),
                (x, y),
            )
            _crop_marks(draw, x, y)
        out.append(page)
    return out


def write_pdf(holders: Iterable[CardHolder], out: str | Path) -> int:
    rendered = pages(holders)
    if not rendered:
        raise ValueError("no cards to print")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Every card on the sheet is a working credential: the owner's alone until printed.
    with open_private(out, "wb") as fh:
        rendered[0].save(fh, "PDF", resolution=DPI, save_all=True, append_images=rendered[1:])
    return len(rendered)


def write_pngs(holders: Iterable[CardHolder], out_dir: str | Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for holder in holders:
        path = out_dir / f"{holder.subject_id}.png"
        with open_private(path, "wb") as fh:
            card_image(holder.code, holder.name, holder.subject_id, holder.kind).save(fh, "PNG")
        paths.append(path)
    return paths
