"""Reading a picture staff upload (a reward's photo) without letting it take the
server's memory: a 190 KB PNG of 13,000 x 13,000 pixels decoded to 1.4 GB.

The size in the file's header is checked before any pixel is decoded; JPEGs (phone
photos, up to 48 MP) are decoded at a reduced scale, which is all a 256 px kiosk tile
needs; Pillow's own bomb limit is set here on purpose, not left at its default.
"""

from __future__ import annotations

import io

from PIL import Image, ImageFile, UnidentifiedImageError

MAX_PICTURE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # 8,660 x 5,773: more than any phone camera's photo
FORMATS = ("JPEG", "PNG", "WEBP")

# Pillow warns over MAX_IMAGE_PIXELS and refuses over twice that: refuse over our limit.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
ImageFile.LOAD_TRUNCATED_IMAGES = False


class PictureError(ValueError):
    """A picture that cannot be used; the message is Chinese, then English."""


def read_picture(raw: bytes, fit: int = 1024) -> Image.Image:
    """The picture, decoded (a JPEG at no less than ``fit`` pixels a side), or PictureError."""
    if len(raw) > MAX_PICTURE_BYTES:
        raise PictureError(
            f"图片超过 {MAX_PICTURE_BYTES // 1024 // 1024} MB / the picture is over"
            f" {MAX_PICTURE_BYTES // 1024 // 1024} MB"
        )
    try:
        img = Image.open(io.BytesIO(raw), formats=FORMATS)
        width, height = img.size
        if width * height > MAX_PIXELS or width > 20_000 or height > 20_000:
            raise PictureError(
                f"图片尺寸太大（{width} x {height} 像素），请缩小后再上传"
                f" / the picture is too large ({width} x {height} pixels): make it smaller"
            )
        if img.format == "JPEG":
            img.draft("RGB", (fit, fit))  # decode at 1/2, 1/4 or 1/8 scale: far less memory
        img.load()
    except PictureError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PictureError(
            "图片尺寸太大，请缩小后再上传 / the picture is too large: make it smaller"
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PictureError(
            "图片无法读取，请用 JPG 或 PNG / the picture cannot be read: use a JPG or PNG file"
        ) from exc
    return img
