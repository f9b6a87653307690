"""Printed cards: every card on the A4 PDF decodes with the project's own pipeline."""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium

from kiosk.core.codes import verify
from kiosk.scanner import DecodePipeline
from sync.ledger import card_sheet
from sync.ledger.card_sheet import CardHolder


def test_every_card_on_the_pdf_decodes_at_print_size(tmp_path, demo_data):
    holders = [CardHolder(p["volunteer_id"], p["name"], p["code"], p["kind"]) for p in demo_data.roster]
    pdf = tmp_path / "cards.pdf"
    assert card_sheet.write_pdf(holders, pdf) == 2  # 12 people, 10 cards a page
    doc = pdfium.PdfDocument(str(pdf))
    assert len(doc) == 2
    width_pt, height_pt = doc[0].get_size()
    assert abs(width_pt - 595.3) < 2 and abs(height_pt - 841.9) < 2  # A4 in points

    # Rendered as a 150 dpi scan of the printed sheet, then each card cut out at its slot.
    scale = 150 / 72
    pipeline = DecodePipeline(public_key=demo_data.keys.public_key)
    found = []
    for page_no in range(len(doc)):
        page = np.asarray(doc[page_no].render(scale=scale).to_pil().convert("RGB"))[:, :, ::-1].copy()
        for x, y in card_sheet.layout():
            fx, fy = x / card_sheet.DPI * 150, y / card_sheet.DPI * 150
            w, h = card_sheet.CARD[0] / card_sheet.DPI * 150, card_sheet.CARD[1] / card_sheet.DPI * 150
            crop = page[int(fy):int(fy + h), int(fx):int(fx + w)]
            if crop.mean() > 250:  # an empty slot on the last page
                continue
            result = pipeline.decode(np.ascontiguousarray(crop))
            assert result.ok, f"card at {x},{y} on page {page_no + 1} did not decode"
            found.append(result.codes[0].text)
    assert sorted(found) == sorted(h.code for h in holders)
    for text in found:
        verify(text, demo_data.keys.public_key)


def test_pngs_for_phones(tmp_path, demo_data):
    holders = [CardHolder(p["volunteer_id"], p["name"], p["code"], p["kind"]) for p in demo_data.roster[:3]]
    paths = card_sheet.write_pngs(holders, tmp_path / "png")
    assert [p.name for p in paths] == [f"{h.subject_id}.png" for h in holders]
    import cv2

    pipeline = DecodePipeline()
    for path, holder in zip(paths, holders, strict=True):
        assert pipeline.decode(cv2.imread(str(path))).codes[0].text == holder.code
