"""`make docs`: the Chinese manual as an A4 PDF with its CJK font embedded, read back.

The pages are rendered to PNG into test-output/docs/ (look at them after a change) and
checked: every font embedded and the kiosk's own, the chapters' words extractable as
text, every picture the page shows drawn on some sheet."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from devtools import docbuild

ROOT = Path(__file__).resolve().parents[1]
MANUAL = ROOT / "docs" / "社工操作手册.md"
OUT = ROOT / "test-output" / "docs"
A4_POINTS = (595.3, 841.9)


def fonts_of(page: pdfium.PdfPage) -> set[tuple[str, bool]]:
    """(base font name, embedded) of every text object on the page."""
    found = set()
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        buf = ctypes.create_string_buffer(size)
        pdfium_c.FPDFFont_GetBaseFontName(font, buf, size)
        found.add(
            (buf.value.decode("utf-8", "replace"), bool(pdfium_c.FPDFFont_GetIsEmbedded(font)))
        )
    return found


@pytest.fixture(scope="module")
def manual(tmp_path_factory) -> pdfium.PdfDocument:
    target = docbuild.build(MANUAL, tmp_path_factory.mktemp("docs"))
    pdf = pdfium.PdfDocument(target)
    OUT.mkdir(parents=True, exist_ok=True)
    for index in range(len(pdf)):
        pdf[index].render(scale=1).to_pil().save(OUT / f"{MANUAL.stem}-{index + 1:02d}.png")
    return pdf


def test_the_manual_is_a4_with_every_chapter(manual):
    assert len(manual) >= 10
    for index in range(len(manual)):
        width, height = manual[index].get_size()
        assert (round(width, 1), round(height, 1)) == A4_POINTS
    text = "".join(manual[i].get_textpage().get_text_range() for i in range(len(manual)))
    text = re.sub(r"\s+", "", text)
    chapters = re.findall(r"^## (.+)$", MANUAL.read_text(encoding="utf-8"), re.M)
    assert len(chapters) >= 10
    for chapter in chapters:
        assert re.sub(r"\s+", "", chapter) in text, f"chapter {chapter!r} is not in the PDF"
    for task in ("导入名册", "安排活动", "打印志愿者卡", "补办卡", "处理异常", "新增自助机"):
        assert task in text
    assert "i志愿" in text and "自助机未联网怎么办" in text  # the glossary: 未联网


def test_only_the_kiosk_font_is_used_and_it_is_embedded(manual):
    fonts = set().union(*(fonts_of(manual[i]) for i in range(len(manual))))
    assert fonts, "no text objects: the PDF is pictures only"
    for name, embedded in fonts:
        assert embedded, f"{name} is not embedded: the PDF would print in another font"
        # "Kiosk Sans" is the @font-face that names the files in assets/fonts.
        assert name.split("+")[-1].startswith("Kiosk-Sans"), (
            f"{name}: a system font stood in for the kiosk's own (a character it lacks?)"
        )


def test_every_picture_is_on_a_sheet(manual):
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", MANUAL.read_text(encoding="utf-8"))
    drawn = sum(
        len(list(manual[i].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])))
        for i in range(len(manual))
    )
    assert drawn == len(shown)
    # A page that shows a screenshot is not blank where it is drawn: the rendered sheet
    # has the kiosk's deep-blue top bar in it.
    bar = (0x12, 0x35, 0x5B)
    sheets_with_bar = 0
    for index in range(len(manual)):
        image = manual[index].render(scale=0.5).to_pil().convert("RGB")
        colours = image.getcolors(1 << 20) or []
        if any(
            count > 50 and all(abs(a - b) <= 12 for a, b in zip(rgb, bar, strict=True))
            for count, rgb in colours
        ):
            sheets_with_bar += 1
    assert sheets_with_bar >= 5
