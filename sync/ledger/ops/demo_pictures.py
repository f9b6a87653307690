"""Pictures of the demo catalog's rewards, drawn here with Pillow (nothing downloaded):
a bag of rice, a bottle of oil, a folded towel, a notebook, a community room, a film
ticket. Flat shapes with a dark outline on a pale ground, readable at 100 px on the
kiosk's tiles. A reward without a drawing of its own gets its first character."""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageDraw

from sync.ledger.staff.card_image import font

S = 4  # drawn at four times the size, then scaled down: smooth edges
INK = (45, 45, 45)
LINE = 7 * S


def _canvas(
    size: int, ground: tuple[int, int, int]
) -> tuple[Image.Image, ImageDraw.ImageDraw, int]:
    big = size * S
    img = Image.new("RGB", (big, big), ground)
    return img, ImageDraw.Draw(img), big


def _pt(big: int, *xy: float) -> list[float]:
    """Coordinates given as fractions of the picture."""
    return [v * big for v in xy]


def rice(d: ImageDraw.ImageDraw, big: int) -> None:
    # A woven sack tied at the neck, with a bowl of rice on its label.
    sack = (238, 226, 196)
    d.polygon(
        _pt(big, 0.22, 0.30, 0.78, 0.30, 0.86, 0.90, 0.14, 0.90), fill=sack, outline=INK, width=LINE
    )
    d.polygon(
        _pt(big, 0.32, 0.30, 0.68, 0.30, 0.60, 0.14, 0.40, 0.14), fill=sack, outline=INK, width=LINE
    )
    d.line(_pt(big, 0.34, 0.28, 0.66, 0.28), fill=(170, 60, 50), width=LINE * 2)
    d.rounded_rectangle(
        _pt(big, 0.26, 0.44, 0.74, 0.80),
        radius=4 * S,
        fill=(255, 255, 255),
        outline=INK,
        width=LINE // 2,
    )
    # the rice heaped over the bowl, then the bowl
    d.chord(
        _pt(big, 0.32, 0.48, 0.68, 0.70),
        180,
        360,
        fill=(252, 252, 245),
        outline=INK,
        width=LINE // 3,
    )
    for cx, cy, tilt in (
        (0.42, 0.56, 0.0),
        (0.50, 0.53, 1.0),
        (0.58, 0.56, 0.0),
        (0.46, 0.61, 1.0),
        (0.55, 0.61, 0.0),
    ):
        w, h = (0.018, 0.03) if tilt else (0.03, 0.018)
        d.ellipse(_pt(big, cx - w, cy - h, cx + w, cy + h), fill=(225, 220, 200))
    d.chord(
        _pt(big, 0.30, 0.50, 0.70, 0.78), 0, 180, fill=(60, 110, 170), outline=INK, width=LINE // 2
    )


def oil(d: ImageDraw.ImageDraw, big: int) -> None:
    # A clear bottle of golden oil: cap, neck, shoulders, label.
    d.rectangle(_pt(big, 0.42, 0.10, 0.58, 0.20), fill=(200, 40, 40), outline=INK, width=LINE)
    d.polygon(
        _pt(
            big,
            0.45,
            0.20,
            0.55,
            0.20,
            0.55,
            0.30,
            0.70,
            0.42,
            0.70,
            0.90,
            0.30,
            0.90,
            0.30,
            0.42,
            0.45,
            0.30,
        ),
        fill=(250, 205, 60),
        outline=INK,
        width=LINE,
    )
    d.rectangle(
        _pt(big, 0.30, 0.55, 0.70, 0.76), fill=(255, 255, 255), outline=INK, width=LINE // 2
    )
    # an oil drop on the label
    d.polygon(_pt(big, 0.50, 0.58, 0.56, 0.68, 0.44, 0.68), fill=(240, 170, 20))
    d.ellipse(_pt(big, 0.44, 0.63, 0.56, 0.74), fill=(240, 170, 20))
    d.line(_pt(big, 0.36, 0.46, 0.36, 0.52), fill=(255, 245, 200), width=LINE)


def towel(d: ImageDraw.ImageDraw, big: int) -> None:
    # A towel folded over a rail: two layers, stripes near the hem.
    d.rounded_rectangle(
        _pt(big, 0.10, 0.18, 0.90, 0.26),
        radius=3 * S,
        fill=(150, 150, 150),
        outline=INK,
        width=LINE,
    )
    d.rectangle(_pt(big, 0.22, 0.22, 0.78, 0.86), fill=(120, 180, 230), outline=INK, width=LINE)
    d.rectangle(
        _pt(big, 0.26, 0.22, 0.74, 0.72), fill=(150, 200, 240), outline=INK, width=LINE // 2
    )
    for y in (0.76, 0.81):
        d.line(_pt(big, 0.22, y, 0.78, y), fill=(255, 255, 255), width=LINE)
    for x in (0.28, 0.36, 0.44, 0.52, 0.60, 0.68):  # the fringe
        d.line(_pt(big, x, 0.86, x, 0.92), fill=INK, width=LINE // 2)


def notebook(d: ImageDraw.ImageDraw, big: int) -> None:
    # A spiral notebook with ruled lines and a pencil beside it.
    d.rounded_rectangle(
        _pt(big, 0.20, 0.14, 0.70, 0.88),
        radius=4 * S,
        fill=(255, 255, 250),
        outline=INK,
        width=LINE,
    )
    for y in (0.34, 0.46, 0.58, 0.70):
        d.line(_pt(big, 0.30, y, 0.62, y), fill=(120, 160, 210), width=LINE // 2)
    for y in (0.22, 0.34, 0.46, 0.58, 0.70, 0.80):
        d.ellipse(
            _pt(big, 0.16, y - 0.025, 0.24, y + 0.025),
            fill=(200, 200, 200),
            outline=INK,
            width=LINE // 2,
        )
    pencil = _pt(big, 0.78, 0.20, 0.86, 0.20, 0.86, 0.74, 0.82, 0.84, 0.78, 0.74)
    d.polygon(pencil, fill=(250, 200, 60), outline=INK, width=LINE // 2)
    d.polygon(
        _pt(big, 0.78, 0.74, 0.86, 0.74, 0.82, 0.84),
        fill=(240, 215, 180),
        outline=INK,
        width=LINE // 3,
    )


def room(d: ImageDraw.ImageDraw, big: int) -> None:
    # A room's open door with a calendar beside it: a room booked first.
    d.rectangle(_pt(big, 0.12, 0.16, 0.56, 0.90), fill=(205, 170, 120), outline=INK, width=LINE)
    d.polygon(
        _pt(big, 0.18, 0.22, 0.44, 0.28, 0.44, 0.90, 0.18, 0.84),
        fill=(150, 105, 60),
        outline=INK,
        width=LINE // 2,
    )
    d.ellipse(_pt(big, 0.37, 0.54, 0.42, 0.59), fill=(250, 210, 70), outline=INK, width=LINE // 3)
    d.rounded_rectangle(
        _pt(big, 0.60, 0.30, 0.92, 0.66),
        radius=3 * S,
        fill=(255, 255, 255),
        outline=INK,
        width=LINE,
    )
    d.rectangle(_pt(big, 0.60, 0.30, 0.92, 0.40), fill=(200, 60, 50), outline=INK, width=LINE // 2)
    d.line(_pt(big, 0.66, 0.52, 0.72, 0.58, 0.86, 0.44), fill=(20, 120, 50), width=LINE)


def ticket(d: ImageDraw.ImageDraw, big: int) -> None:
    # A film ticket with its stub, and a strip of film.
    d.rounded_rectangle(
        _pt(big, 0.10, 0.30, 0.90, 0.72),
        radius=4 * S,
        fill=(250, 150, 140),
        outline=INK,
        width=LINE,
    )
    d.line(_pt(big, 0.66, 0.30, 0.66, 0.72), fill=INK, width=LINE // 2)
    for y in (0.36, 0.46, 0.56, 0.66):
        d.ellipse(_pt(big, 0.645, y - 0.015, 0.675, y + 0.015), fill=(255, 255, 255))
    d.rectangle(_pt(big, 0.18, 0.40, 0.58, 0.62), fill=(60, 60, 70), outline=INK, width=LINE // 2)
    for x in (0.22, 0.32, 0.42, 0.52):
        d.rectangle(_pt(big, x, 0.42, x + 0.04, 0.45), fill=(255, 255, 255))
        d.rectangle(_pt(big, x, 0.57, x + 0.04, 0.60), fill=(255, 255, 255))
    d.polygon(_pt(big, 0.34, 0.47, 0.34, 0.55, 0.42, 0.51), fill=(255, 255, 255))
    d.polygon(
        _pt(
            big,
            0.78,
            0.44,
            0.80,
            0.49,
            0.85,
            0.49,
            0.81,
            0.52,
            0.83,
            0.57,
            0.78,
            0.54,
            0.73,
            0.57,
            0.75,
            0.52,
            0.71,
            0.49,
            0.76,
            0.49,
        ),
        fill=(250, 210, 70),
        outline=INK,
    )


DRAWINGS: dict[str, Callable[[ImageDraw.ImageDraw, int], None]] = {
    "rice-5kg": rice,
    "oil-1l": oil,
    "towel": towel,
    "notebook": notebook,
    "room-priority": room,
    "film-ticket": ticket,
}


def picture(
    item_id: str, names: dict[str, str], ground: tuple[int, int, int], size: int = 256
) -> Image.Image:
    """The item's picture: its drawing, else its first character on a tile."""
    img, d, big = _canvas(size, ground)
    draw = DRAWINGS.get(item_id)
    if draw is not None:
        draw(d, big)
    else:
        d.rounded_rectangle(
            [12 * S, 12 * S, big - 12 * S, big - 12 * S], radius=28 * S, outline=INK, width=4 * S
        )
        glyph = (names.get("zh-Hans") or names.get("en") or "?")[0]
        f = font(int(big * 0.55), True)
        box = d.textbbox((0, 0), glyph, font=f)
        d.text(
            ((big - (box[2] - box[0])) / 2 - box[0], (big - (box[3] - box[1])) / 2 - box[1]),
            glyph,
            font=f,
            fill=INK,
        )
    return img.resize((size, size), Image.LANCZOS)
