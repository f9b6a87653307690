"""Card images: a wallet-size volunteer card with its QR code, as a PNG."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

ASSETS = Path(__file__).resolve().parents[3] / "assets"
FONT = ASSETS / "fonts" / "NotoSansSC-Kiosk.otf"
FONT_BOLD = ASSETS / "fonts" / "NotoSansSC-Kiosk-Bold.otf"

COMMUNITY = "博凯社区新时代文明实践站"


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_BOLD if bold and FONT_BOLD.exists() else FONT
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default()


def qr_image(text: str, scale: int = 8, border: int = 4) -> Image.Image:
    """The QR code with its quiet zone, error correction M (survives a thumb or a scratch)."""
    buf = io.BytesIO()
    segno.make_qr(text, error="m").save(buf, kind="png", scale=scale, border=border)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def card_image(
    code_text: str, name: str, subject_id: str, kind: str = "V", width: int = 1012
) -> Image.Image:
    """A card at 300 dpi for 85.6 x 54 mm: 1012 x 638 px."""
    height = int(width * 54 / 85.6)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    band = (178, 34, 34) if kind == "V" else (30, 70, 140)
    draw.rectangle([0, 0, width, int(height * 0.17)], fill=band)
    draw.text(
        (int(width * 0.04), int(height * 0.035)),
        COMMUNITY,
        font=font(int(height * 0.075), True),
        fill="white",
    )
    qr_side = int(height * 0.74)
    qr = qr_image(code_text)
    qr = qr.resize((qr_side, qr_side), Image.NEAREST)
    img.paste(qr, (int(width * 0.03), int(height * 0.2)))
    x = int(width * 0.03) + qr_side + int(width * 0.03)
    label = "志愿者" if kind == "V" else "工作人员"
    draw.text((x, int(height * 0.24)), label, font=font(int(height * 0.06)), fill=(90, 90, 90))
    room = width - x - int(width * 0.03)
    size = int(height * 0.12)
    while size > 12 and draw.textlength(name, font=font(size, True)) > room:
        size -= 2  # long names (foreign residents' full names) shrink to fit the card
    draw.text((x, int(height * 0.33)), name, font=font(size, True), fill="black")
    draw.text((x, int(height * 0.5)), subject_id, font=font(int(height * 0.08)), fill="black")
    instr = font(int(height * 0.04))
    draw.text((x, int(height * 0.72)), "签到 · 签退 · 兑换积分", font=instr, fill=(60, 60, 60))
    draw.text((x, int(height * 0.79)), "Show this code at the kiosk", font=instr, fill=(60, 60, 60))
    return img
