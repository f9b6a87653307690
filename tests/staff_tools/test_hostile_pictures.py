"""Attack 4 on pictures: a 190 KB PNG of 13,000 x 13,000 pixels took the server to
1.4 GB. The header's size is checked before any pixel is decoded, phone-size JPEGs are
decoded at a reduced scale, and a fuzz test over the reader finds only clean refusals."""

from __future__ import annotations

import io
import resource
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sync.ledger.staff.pictures import MAX_PICTURE_BYTES, PictureError, read_picture


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def png_of_size(width: int, height: int) -> bytes:
    """A valid grey PNG, all black, compressed row by row (never held whole in memory)."""
    z = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    data = b"".join(z.compress(row) for _ in range(height)) + z.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def test_a_small_file_of_huge_dimensions_is_refused_before_decoding():
    bomb = png_of_size(13_000, 13_000)
    assert len(bomb) < 400_000
    before = peak_mb()
    with pytest.raises(PictureError) as exc:
        read_picture(bomb)
    assert str(exc.value).startswith("图片尺寸太大") and "too large" in str(exc.value)
    assert peak_mb() - before < 100


def test_a_phone_photo_is_read_at_a_reduced_scale():
    photo = io.BytesIO()
    Image.new("RGB", (6000, 4000), (200, 120, 40)).save(photo, "JPEG", quality=70)
    img = read_picture(photo.getvalue(), fit=1024)
    assert 1024 <= max(img.size) < 6000


@pytest.mark.parametrize(
    "raw",
    [b"", b"GIF89a" + b"\x00" * 100, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, b"x" * 1000],
)
def test_what_is_not_a_picture_is_refused(raw):
    with pytest.raises(PictureError, match="cannot be read"):
        read_picture(raw)


def test_an_oversized_upload_is_refused_unread():
    with pytest.raises(PictureError, match="over 10 MB"):
        read_picture(b"\xff\xd8" + b"\x00" * MAX_PICTURE_BYTES)


def _mutations():
    good = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(good, "PNG")
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(jpeg, "JPEG")
    seeds = st.sampled_from([good.getvalue(), jpeg.getvalue()])
    flips = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8)
    return st.one_of(
        st.binary(max_size=2000),
        st.tuples(seeds, flips, st.integers(0, 2000)).map(
            lambda t: bytes(dict(t[1]).get(i, b) for i, b in enumerate(t[0][: t[2] or None]))
        ),
    )


@settings(max_examples=300, deadline=None)
@given(_mutations())
def test_fuzz_the_picture_reader_refuses_cleanly(raw):
    try:
        img = read_picture(raw)
    except PictureError as exc:
        assert " / " in str(exc)
    else:
        assert img.size[0] * img.size[1] <= 50_000_000


def test_the_bomb_through_the_catalog_command_and_http(ledger, tmp_path):
    bomb = png_of_size(13_000, 13_000)
    (tmp_path / "bomb.png").write_bytes(bomb)
    code, _, err = ledger.run("catalog", "add", "towel", "--image", tmp_path / "bomb.png")
    assert code == 1 and "图片尺寸太大" in err
    r = ledger.client.put("/v1/admin/catalog/towel/image", content=bomb, headers=ledger.auth)
    assert r.status_code == 422 and "too large" in r.json()["message"]
