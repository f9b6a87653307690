"""Bar charts as SVG, drawn on the server: no script, no CDN, readable at any zoom.
Each chart has a text title and description for screen readers, and the page shows the
same figures in a table beside it."""

from __future__ import annotations

from html import escape

WIDTH = 640
BAR_H = 26
GAP = 8
LABEL_W = 190
COLOURS = ("#9b1c1c", "#0b4f9c")


def bar_chart(
    title: str, rows: list[tuple[str, float]], unit: str = "", chart_id: str = "chart"
) -> str:
    """Horizontal bars, one per (label, value), longest value full width."""
    top = max((v for _, v in rows), default=0) or 1
    height = max(1, len(rows)) * (BAR_H + GAP) + GAP
    span = WIDTH - LABEL_W - 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}"'
        f' height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">'
        + escape("; ".join(f"{label}: {_num(v)}{unit}" for label, v in rows))
        + "</desc>",
    ]
    for i, (label, value) in enumerate(rows):
        y = GAP + i * (BAR_H + GAP)
        w = max(1.0, span * value / top) if value else 0
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + BAR_H * 0.7:.1f}" text-anchor="end"'
            f' font-size="15" fill="#1a1a1a">{escape(short)}</text>'
            f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR_H}"'
            f' fill="{COLOURS[0]}"></rect>'
            f'<text x="{LABEL_W + w + 6:.1f}" y="{y + BAR_H * 0.7:.1f}" font-size="15"'
            f' fill="#1a1a1a">{escape(_num(value))}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _num(v: float) -> str:
    return f"{v:,.1f}".rstrip("0").rstrip(".") if isinstance(v, float) else f"{v:,}"
