"""The 志愿服务证明 as an A4 PDF, in the layout 民政部令第67号 recommends: the volunteer's
name and number, the service (activities, dates, credited hours) and its total, the
issuing organisation with its address and contact, the date of issue, room for the seal,
the certificate's number, and a note that it is issued free of charge.

Each page carries a QR code of the certificate's signed figures (kiosk.core.certificate),
so a school can check it with any volunteer kiosk of the community, or type the number
at the ledger's /verify page. Pages are drawn at 300 dpi with Pillow, like the card
sheets: the QR modules land on whole pixels and the CJK font needs no PDF embedding.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw

from kiosk.core.certificate import CertificateFigures
from kiosk.core.linebreak import wrap
from sync.ledger.staff.card_image import font, qr_image

DPI = 300
MM = DPI / 25.4
A4 = (round(210 * MM), round(297 * MM))
MARGIN = round(20 * MM)
PT = DPI / 72  # pixels per typographic point
INK = (20, 20, 20)
MUTED = (80, 80, 80)
RULE = (120, 120, 120)
QR_SIDE = round(32 * MM)


@dataclass(frozen=True)
class Organisation:
    name: str
    address: str = ""
    contact: str = ""  # a person
    phone: str = ""


@dataclass(frozen=True)
class ServiceLine:
    day: date
    activity: str
    minutes: int  # credited
    site: str = ""


@dataclass(frozen=True)
class CertificateDoc:
    figures: CertificateFigures
    qr_text: str
    organisation: Organisation
    lines: Sequence[ServiceLine] = field(default_factory=tuple)
    verify_url: str = ""  # the ledger's /verify page, printed under the QR code


def clean(text: str) -> str:
    """Printable text only: control and format characters (a name pasted with a newline,
    a bidi override) never reach the page."""
    return "".join(
        " " if ch in "\t\r\n" else ch
        for ch in str(text)
        if ch in "\t\r\n" or unicodedata.category(ch)[0] != "C"
    ).strip()


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def hours(minutes: int) -> str:
    return f"{minutes // 60}.{(minutes % 60) * 10 // 60}"


class _Page:
    def __init__(self) -> None:
        self.img = Image.new("RGB", A4, "white")
        self.draw = ImageDraw.Draw(self.img)
        self.y = MARGIN

    def text(self, x: int, text: str, size_pt: float, *, bold=False, fill=INK, width=None):
        """Draw ``text`` at (x, y), wrapped to ``width`` by the Chinese line-breaking rule;
        moves y below it and returns the lines drawn."""
        f = font(round(size_pt * PT), bold)
        room = width if width is not None else A4[0] - MARGIN - x
        lines = wrap(clean(text), room, lambda s: self.draw.textlength(s, font=f))
        step = round(size_pt * PT * 1.5)
        for line in lines:
            self.draw.text((x, self.y), line, font=f, fill=fill)
            self.y += step
        return lines

    def centred(self, text: str, size_pt: float, *, bold=False, fill=INK) -> None:
        f = font(round(size_pt * PT), bold)
        w = self.draw.textlength(text, font=f)
        self.draw.text(((A4[0] - w) / 2, self.y), text, font=f, fill=fill)
        self.y += round(size_pt * PT * 1.6)


# table columns: 序号, 日期, 活动, 时长 (x offsets from the margin, and widths)
_COLS = (
    ("序号", 0, round(14 * MM)),
    ("服务日期", round(14 * MM), round(36 * MM)),
    ("服务项目（活动）", round(50 * MM), round(92 * MM)),
    ("时长（小时）", round(142 * MM), round(28 * MM)),
)
_TABLE_PT = 10.5
_ROW_PAD = round(2.2 * MM)


def _row_lines(page: _Page, cells: Sequence[str]) -> list[list[str]]:
    f = font(round(_TABLE_PT * PT))
    out = []
    for (_, _, width), cell in zip(_COLS, cells, strict=True):
        out.append(
            wrap(clean(cell), width - 2 * _ROW_PAD, lambda s: page.draw.textlength(s, font=f))
        )
    return out


def _row_height(lines: list[list[str]]) -> int:
    return max(len(c) for c in lines) * round(_TABLE_PT * PT * 1.45) + 2 * _ROW_PAD


def _draw_row(page: _Page, lines: list[list[str]], *, bold: bool = False) -> None:
    h = _row_height(lines)
    f = font(round(_TABLE_PT * PT), bold)
    x0 = MARGIN
    for (_, dx, width), cell in zip(_COLS, lines, strict=True):
        page.draw.rectangle([x0 + dx, page.y, x0 + dx + width, page.y + h], outline=RULE, width=2)
        y = page.y + _ROW_PAD
        for line in cell:
            page.draw.text((x0 + dx + _ROW_PAD, y), line, font=f, fill=INK)
            y += round(_TABLE_PT * PT * 1.45)
    page.y += h


def _footer(page: _Page, doc: CertificateDoc, number: int, total: int) -> None:
    """The QR code, how to check it, the number and the page, at the foot of every page."""
    fig = doc.figures
    qr = qr_image(doc.qr_text, scale=1, border=4)
    side = QR_SIDE
    modules = qr.size[0]
    side = (side // modules) * modules  # whole pixels per module: sharp at print size
    qr = qr.resize((side, side), Image.NEAREST)
    top = A4[1] - MARGIN - side
    page.img.paste(qr, (MARGIN, top))
    x = MARGIN + side + round(5 * MM)
    page.y = top + round(3 * MM)
    room = A4[0] - MARGIN - x
    page.text(x, f"证明编号：{fig.number}", 10.5, bold=True, width=room)
    page.text(
        x,
        "核验：在本社区任一志愿服务自助机出示左侧二维码，"
        + (f"或访问 {doc.verify_url} 输入证明编号。" if doc.verify_url else "或向出具组织查询。"),
        9,
        fill=MUTED,
        width=room,
    )
    page.text(x, "本证明免费出具。Certificate of volunteer service, issued free of charge.", 9,
              fill=MUTED, width=room)  # fmt: skip
    page.text(x, f"第 {number} 页，共 {total} 页", 9, fill=MUTED, width=room)


def _footer_top() -> int:
    return A4[1] - MARGIN - QR_SIDE - round(8 * MM)


def _closing_height() -> int:
    return round(78 * MM)


def pages(doc: CertificateDoc) -> list[Image.Image]:
    fig = doc.figures
    org = doc.organisation
    out: list[_Page] = []

    def new_page(first: bool) -> _Page:
        page = _Page()
        if first:
            page.centred("志愿服务记录证明", 24, bold=True)
            page.centred("Certificate of Volunteer Service", 12, fill=MUTED)
            page.y += round(4 * MM)
            name = clean(fig.name) or fig.volunteer_id
            page.text(
                MARGIN,
                f"兹证明 {name}（志愿者编号：{fig.volunteer_id}）于 {cn_date(fig.period_from)}"
                f"至 {cn_date(fig.period_to)} 在{clean(org.name)}参加志愿服务，"
                f"经记录的服务共 {fig.sessions} 次，累计服务时长 {hours(fig.minutes)} 小时。"
                "服务记录如下：",
                12,
            )
            page.y += round(3 * MM)
        else:
            page.text(MARGIN, f"志愿服务记录证明（续） {fig.number}", 12, bold=True)
            page.y += round(2 * MM)
        _draw_row(page, _row_lines(page, [c[0] for c in _COLS]), bold=True)
        out.append(page)
        return page

    page = new_page(True)
    for i, line in enumerate(doc.lines, 1):
        cells = _row_lines(
            page,
            [
                str(i),
                line.day.isoformat(),
                line.activity + (f"（{line.site}）" if line.site else ""),
                hours(line.minutes),
            ],
        )
        if page.y + _row_height(cells) > _footer_top():
            page = new_page(False)
        _draw_row(page, cells)
    total_cells = _row_lines(page, ["", "合计", f"{fig.sessions} 次", hours(fig.minutes)])
    if page.y + _row_height(total_cells) + _closing_height() > _footer_top():
        page = new_page(False)
    _draw_row(page, total_cells, bold=True)
    page.y += round(6 * MM)
    page.text(MARGIN, "特此证明。", 12)
    page.y += round(4 * MM)
    # the organisation on the left, the seal's place on the right
    block_top = page.y
    seal_r = round(21 * MM)
    seal_cx = A4[0] - MARGIN - seal_r - round(4 * MM)
    room = seal_cx - seal_r - MARGIN - round(6 * MM)
    page.text(MARGIN, f"出具组织：{clean(org.name)}", 12, width=room)
    if org.address:
        page.text(MARGIN, f"地址：{clean(org.address)}", 11, width=room)
    contact = "　".join(x for x in (clean(org.contact), clean(org.phone)) if x)
    if contact:
        page.text(MARGIN, f"联系人及电话：{contact}", 11, width=room)
    page.text(MARGIN, f"出具日期：{cn_date(fig.issued)}", 12, width=room)
    cy = block_top + seal_r
    page.draw.ellipse(
        [seal_cx - seal_r, cy - seal_r, seal_cx + seal_r, cy + seal_r], outline=RULE, width=3
    )
    f = font(round(11 * PT))
    label = "（盖章）"
    page.draw.text(
        (seal_cx - page.draw.textlength(label, font=f) / 2, cy - 11 * PT * 0.7),
        label,
        font=f,
        fill=MUTED,
    )
    for n, p in enumerate(out, 1):
        _footer(p, doc, n, len(out))
    return [p.img for p in out]


def write_pdf(doc: CertificateDoc, out: str | Path) -> int:
    """Write the certificate; returns the number of pages."""
    rendered = pages(doc)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rendered[0].save(
        out,
        "PDF",
        resolution=DPI,
        save_all=True,
        append_images=rendered[1:],
        title=f"志愿服务记录证明 {doc.figures.number}",
    )
    return len(rendered)
