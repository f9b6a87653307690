"""The certificate PDF, rendered back to pixels as a scan would see it: A4, every page's QR
code decodes with the kiosk's own pipeline and verifies with the community key."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pypdfium2 as pdfium

from kiosk.core import certificate as cert
from kiosk.scanner import DecodePipeline
from sync.ledger.staff.certificate_pdf import CertificateDoc, Organisation, ServiceLine, write_pdf

ORG = Organisation(
    "博凯社区新时代文明实践站", "中山市火炬开发区博凯社区", "李社工", "0760-8888 0000"
)


def figures(sessions: int, minutes: int) -> cert.CertificateFigures:
    return cert.CertificateFigures(
        "VC-2026-000001", "V000102", "欧阳喆", date(2026, 1, 1), date(2026, 11, 30), minutes,
        sessions, date(2026, 11, 30),
    )  # fmt: skip


def scan(pdf, dpi: int = 150) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        assert all(abs(w - 595.3) < 2 and abs(h - 841.9) < 2 for w, h in map(_size, doc))
        return [
            np.ascontiguousarray(
                np.asarray(page.render(scale=dpi / 72).to_pil().convert("RGB"))[:, :, ::-1]
            )
            for page in doc
        ]
    finally:
        doc.close()


def _size(page) -> tuple[float, float]:
    return page.get_size()


def test_the_qr_code_on_the_pdf_decodes_and_verifies(tmp_path, demo_data):
    lines = [
        ServiceLine(date(2026, 3, 1) + timedelta(days=7 * i), "社区图书角整理", 150, "香山书房")
        for i in range(5)
    ]
    fig = figures(5, 750)
    text = cert.sign(demo_data.keys.private_key, fig)
    pdf = tmp_path / "certificate.pdf"
    assert (
        write_pdf(CertificateDoc(fig, text, ORG, lines, "https://ledger.example/verify"), pdf) == 1
    )
    (page,) = scan(pdf)
    found = DecodePipeline().decode(page)
    assert [c.text for c in found.codes] == [text]
    assert cert.verify(found.codes[0].text, demo_data.keys.public_key) == fig


def test_a_long_record_runs_to_more_pages_each_with_its_code(tmp_path, demo_data):
    lines = [
        ServiceLine(date(2026, 1, 1) + timedelta(days=i), "长者助餐与陪伴探访（夕阳红志愿服务队）" * (1 + i % 2), 60)
        for i in range(60)
    ]  # fmt: skip
    fig = figures(60, 3600)
    text = cert.sign(demo_data.keys.private_key, fig)
    pdf = tmp_path / "long.pdf"
    n = write_pdf(CertificateDoc(fig, text, ORG, lines), pdf)
    assert n >= 3
    pages = scan(pdf, dpi=120)  # a coarser scan still reads
    assert len(pages) == n
    for page in pages:
        assert [c.text for c in DecodePipeline().decode(page).codes] == [text]


def test_control_characters_never_reach_the_page(tmp_path, demo_data):
    from sync.ledger.staff.certificate_pdf import clean

    assert clean("王\u202e秀\n英\x00") == "王秀 英"
    fig = cert.CertificateFigures(
        "VC-2026-000002", "V000103", "王\u202e秀英", date(2026, 1, 1), date(2026, 1, 31), 0, 0,
        date(2026, 2, 1),
    )  # fmt: skip
    pdf = tmp_path / "empty.pdf"
    assert write_pdf(CertificateDoc(fig, cert.sign(demo_data.keys.private_key, fig), ORG), pdf) == 1
