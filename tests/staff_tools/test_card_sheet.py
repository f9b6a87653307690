"""Printed cards: every card on the A4 PDF decodes with the project's own pipeline."""

from __future__ import annotations

import pypdfium2 as pdfium

from kiosk.core.codes import verify
from kiosk.scanner import DecodePipeline
from sync.ledger.staff import card_sheet
from sync.ledger.staff.card_sheet import CardHolder
from tests.staff_tools.helpers import decode_pdf


def test_every_card_on_the_pdf_decodes_at_print_size(tmp_path, demo_data):
    holders = [
        CardHolder(p["volunteer_id"], p["name"], p["code"], p["kind"]) for p in demo_data.roster
    ]
    pdf = tmp_path / "cards.pdf"
    assert card_sheet.write_pdf(holders, pdf) == 2  # 12 people, 10 cards a page
    doc = pdfium.PdfDocument(str(pdf))
    assert len(doc) == 2
    width_pt, height_pt = doc[0].get_size()
    doc.close()
    assert abs(width_pt - 595.3) < 2 and abs(height_pt - 841.9) < 2  # A4 in points
    # Rendered as a 150 dpi scan of the printed sheet, then each card cut out at its slot.
    found = decode_pdf(pdf, demo_data.keys.public_key, dpi=150)
    assert sorted(found) == sorted(h.code for h in holders)
    for text in found:
        verify(text, demo_data.keys.public_key)


def test_pngs_for_phones(tmp_path, demo_data):
    holders = [
        CardHolder(p["volunteer_id"], p["name"], p["code"], p["kind"]) for p in demo_data.roster[:3]
    ]
    paths = card_sheet.write_pngs(holders, tmp_path / "png")
    assert [p.name for p in paths] == [f"{h.subject_id}.png" for h in holders]
    import cv2

    pipeline = DecodePipeline()
    for path, holder in zip(paths, holders, strict=True):
        assert pipeline.decode(cv2.imread(str(path))).codes[0].text == holder.code
