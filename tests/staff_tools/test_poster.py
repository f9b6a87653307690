"""The volunteers' poster: one A4 sheet, the community and contact from the ledger's
settings, every text escaped, the kiosk font embedded. Rendered to PNG in test-output/docs."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from sync.ledger.staff import records
from sync.ledger.staff.poster import PosterText, poster_html, write_poster

OUT = Path(__file__).resolve().parents[2] / "test-output" / "docs"


def _text_and_fonts(pdf: pdfium.PdfDocument) -> tuple[str, set[tuple[str, bool]]]:
    page = pdf[0]
    fonts = set()
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        buf = ctypes.create_string_buffer(size)
        pdfium_c.FPDFFont_GetBaseFontName(font, buf, size)
        fonts.add((buf.value.decode(), bool(pdfium_c.FPDFFont_GetIsEmbedded(font))))
    return re.sub(r"\s+", "", page.get_textpage().get_text_range()), fonts


def test_the_poster_is_one_a4_sheet_in_three_languages(tmp_path):
    text = PosterText("博凯社区新时代文明实践站", "社工 李老师 0760-8888 0000", "香山书房")
    pdf = pdfium.PdfDocument(write_poster(text, tmp_path / "poster.pdf"))
    assert len(pdf) == 1, "the poster must fit one sheet"
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)
    OUT.mkdir(parents=True, exist_ok=True)
    pdf[0].render(scale=2).to_pil().save(OUT / "poster.png")

    words, fonts = _text_and_fonts(pdf)
    for expected in (
        "博凯社区新时代文明实践站·香山书房",
        "社工李老师0760-88880000",
        "签到",
        "簽到",
        "Signin",
        "签退",
        "換領",
        "Rewards",
        "颜色和声音",
        "绿色",
        "红色",
        "橙色",
    ):
        assert expected in words, expected
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert all(name.split("+")[-1].startswith("Kiosk-Sans") for name, _ in fonts), fonts
    images = list(pdf[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    assert len(images) == 3, "a picture of the screen for each step"


def test_the_poster_names_the_rewards_button_as_the_kiosk_shows_it():
    """The ledger reads the label from the kiosk's catalogs without Kivy; compared here
    with what the kiosk's own i18n reads, in each language."""
    from kiosk.ui import i18n
    from sync.ledger.staff.poster import REWARDS_BUTTON

    page = poster_html(PosterText("博凯社区", ""))
    for lang, quoted in (("zh-Hans", "“{}”"), ("zh-Hant", "「{}」"), ("en", "<b>{}</b>")):
        label = {m.id: m.string for m in i18n.read_catalog(lang)}[REWARDS_BUTTON]
        assert label and quoted.format(label) in page, (lang, label)


def test_without_a_contact_it_sends_people_to_the_desk():
    page = poster_html(PosterText("博凯社区", ""))
    assert (
        "请到前台找工作人员" in page
        and "Ask staff at the front desk" in page
        and '<div class="where">博凯社区</div>' in page
    )


def test_settings_text_is_escaped_for_the_page():
    page = poster_html(PosterText('<img src=x onerror="alert(1)">社区', "<b>李</b>", "<i>"))
    assert "<img src=x" not in page and "<b>李</b>" not in page and "<i>" not in page
    assert "&lt;img src=x" in page and "&lt;b&gt;李&lt;/b&gt;" in page


def test_the_command_takes_the_organisation_and_contact_from_the_settings(
    ledger, tmp_path, monkeypatch, capsys
):
    from sync.ledger.ops.cli import main

    # A ledger set up before the organisation setting: ledger.toml's names are used.
    records.set_ledger_settings(ledger.store, {"org_name": "", "org_contact": "", "org_phone": ""})
    settings = tmp_path / "ledger.toml"
    settings.write_text(
        '[ledger]\ncommunity_name = "博凯社区新时代文明实践站"\ncontact = "社工 王老师 0760-1234 5678"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KIOSK_LEDGER_CONFIG", str(settings))
    out = tmp_path / "海报.pdf"
    argv = ["poster", "--db", str(ledger.db), "--site", "香山书房", "--out", str(out)]
    assert main(argv) == 0
    assert '"ok": true' in capsys.readouterr().out
    words, _ = _text_and_fonts(pdfium.PdfDocument(out))
    assert "博凯社区新时代文明实践站·香山书房" in words and "社工王老师0760-12345678" in words

    # The ledger's own organisation setting, the one a certificate names, comes first.
    records.set_ledger_settings(
        ledger.store,
        {"org_name": "博凯社区", "org_contact": "社工 李老师", "org_phone": "0760-8888 0000"},
    )
    assert main(argv) == 0
    words, _ = _text_and_fonts(pdfium.PdfDocument(out))
    assert "博凯社区·香山书房" in words and "社工李老师0760-88880000" in words
    assert "新时代文明实践站" not in words

    # The command line wins over the settings; the site may be named by its id.
    argv = [*argv[:4], "xiangshan-study", "--out", str(out), "--contact", "服务台"]
    assert main(argv) == 0
    words, _ = _text_and_fonts(pdfium.PdfDocument(out))
    assert "请找：服务台" in words and "社工王老师" not in words


def test_the_command_refuses_without_a_community_or_with_an_unknown_site(
    ledger, tmp_path, monkeypatch, capsys
):
    from sync.ledger.ops.cli import main

    monkeypatch.delenv("KIOSK_LEDGER_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_LEDGER_COMMUNITY_NAME", raising=False)
    records.set_ledger_settings(ledger.store, {"org_name": ""})
    out = tmp_path / "p.pdf"
    assert main(["poster", "--db", str(ledger.db), "--out", str(out)]) == 2
    assert "--org-name" in capsys.readouterr().err and not out.exists()
    argv = ["poster", "--db", str(ledger.db), "--community", "博凯社区", "--site", "月球站"]
    assert main([*argv, "--out", str(out)]) == 2
    assert "unknown site" in capsys.readouterr().err and not out.exists()
    # A folder that cannot be made: one line saying so, no traceback.
    (tmp_path / "a-file").write_text("x")
    assert main([*argv[:-2], "--out", str(tmp_path / "a-file" / "p.pdf")]) == 2
    assert "cannot write the poster" in capsys.readouterr().err


def test_the_poster_pictures_are_the_ones_the_docs_images_tool_makes():
    from devtools.docs_images import POSTER, POSTER_DIR
    from sync.ledger.staff.poster import PICTURE_NAMES, PICTURES

    assert POSTER_DIR == PICTURES
    assert sorted(out for _, out, _ in POSTER) == sorted(PICTURE_NAMES)
    for name in PICTURE_NAMES:
        assert (PICTURES / name).stat().st_size < 40_000, f"{name}: keep it small"
