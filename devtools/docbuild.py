"""Markdown pages to print-ready A4 PDFs, with the kiosk's own CJK font embedded:

    python -m devtools.docbuild --out docs/build            # what `make docs` runs: the
                                                            # manual and an example poster
    python -m devtools.docbuild --out DIR docs/社工操作手册.md  # one page

markdown-it-py turns the page into HTML as GitHub shows it (CommonMark with tables: lists
nested by three spaces and code blocks inside list items come out the same in both
places; Python-Markdown needs four and no fences in lists), and WeasyPrint lays it out
and writes the PDF:
WeasyPrint shapes Chinese text with HarfBuzz, breaks lines by CJK rules and embeds a
subset of each font it used, so the PDF prints the same on any machine with no fonts
installed. The font is the one in assets/fonts (Noto Sans CJK SC, subset), named by its
file, so no system font can stand in for it unnoticed.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "assets" / "fonts"
MANUALS = (ROOT / "docs" / "社工操作手册.md",)

CSS = """
@font-face { font-family: "Kiosk Sans"; font-weight: normal;
             src: url("{regular}"); }
@font-face { font-family: "Kiosk Sans"; font-weight: bold;
             src: url("{bold}"); }
@page {
  size: A4; margin: 20mm 18mm 20mm 18mm;
  @bottom-center { content: counter(page); font: 9pt "Kiosk Sans"; color: #555; }
  @top-right { content: string(chapter); font: 9pt "Kiosk Sans"; color: #555; }
}
@page :first { @bottom-center { content: none; } @top-right { content: none; } }
html { font-family: "Kiosk Sans"; font-size: 11pt; line-height: 1.6; color: #1a1a1a; }
body { margin: 0; }
h1 { font-size: 26pt; margin: 0 0 6mm 0; color: #12335b; line-height: 1.25; }
h2 { font-size: 17pt; color: #12335b; border-bottom: 1.5pt solid #12335b;
     padding-bottom: 1mm; margin: 9mm 0 3mm 0; string-set: chapter content();
     break-after: avoid; }
h2.chapter { break-before: page; }
h3 { font-size: 13pt; margin: 6mm 0 2mm 0; break-after: avoid; }
p, li { orphans: 2; widows: 2; }
ol, ul { padding-left: 7mm; }
li ul { list-style-type: disc; }  /* the default circle (U+25E6) is not in the kiosk font */
li { margin: 1mm 0; }
code { font-family: "Kiosk Sans"; background: #eef1f5; padding: 0 1mm; border-radius: 1mm;
       font-size: 10pt; }
pre { background: #eef1f5; padding: 2.5mm 3mm; border-radius: 1.5mm; font-size: 9.5pt;
      white-space: pre-wrap; break-inside: avoid; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; width: 100%; margin: 3mm 0; font-size: 10pt;
        break-inside: auto; }
th, td { border: 0.6pt solid #9aa5b1; padding: 1.5mm 2mm; vertical-align: top;
         text-align: left; }
th { background: #dde4ec; }
tr { break-inside: avoid; }
img { max-width: 100%; max-height: 62mm; display: block; margin: 3mm auto;
      border: 0.6pt solid #9aa5b1; }
blockquote { margin: 3mm 0; padding: 2mm 4mm; border-left: 2mm solid #e0a800;
             background: #fff7dd; }
blockquote p { margin: 1mm 0; }
"""


def page_html(source: Path) -> str:
    """The page as one HTML document; every ``##`` after the first starts a new sheet."""
    text = source.read_text(encoding="utf-8")
    body = MarkdownIt("commonmark", {"typographer": False}).enable("table").render(text)
    first = True

    def chapter(m: re.Match[str]) -> str:
        nonlocal first
        if first:
            first = False
            return m.group(0)
        return m.group(0).replace("<h2", '<h2 class="chapter"', 1)

    body = re.sub(r"<h2[ >]", chapter, body)
    title = re.search(r"<h1[^>]*>(.*?)</h1>", body)
    css = CSS.replace("{regular}", (FONTS / "NotoSansSC-Kiosk.otf").as_uri()).replace(
        "{bold}", (FONTS / "NotoSansSC-Kiosk-Bold.otf").as_uri()
    )
    return (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
        f"<title>{html.escape(re.sub('<[^>]+>', '', title.group(1)) if title else source.stem)}"
        f"</title><style>{css}</style></head><body>{body}</body></html>"
    )


def build(source: Path, out_dir: Path) -> Path:
    from weasyprint import HTML

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / (source.stem + ".pdf")
    # base_url: the page's own folder, so images/x.png resolves as it does on the web.
    HTML(string=page_html(source), base_url=str(source.parent) + "/").write_pdf(target)
    return target


def build_example_poster(out_dir: Path) -> Path:
    """The volunteers' poster, made as a community makes it: `kiosk-ledger poster` on a
    ledger (here the demo one, in a temporary folder)."""
    import contextlib
    import io
    import tempfile

    from sync.ledger.ops.cli import main as ledger

    target = out_dir / "志愿者海报.pdf"
    with tempfile.TemporaryDirectory(prefix="docs-poster-") as tmp:
        db = str(Path(tmp) / "ledger.db")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            ok = ledger(["demo-data", "--db", db, "--out", str(Path(tmp) / "demo"), "--no-cards"])
            ok = ok or ledger(
                ["poster", "--db", db, "--site", "xiangshan-study", "--out", str(target)]
                + [
                    "--community",
                    "博凯社区新时代文明实践站",
                    "--contact",
                    "社工 李老师 0760-8888 0000",
                ]
            )
    if ok != 0:
        raise SystemExit(f"kiosk-ledger poster failed ({ok})")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", type=Path, help="Markdown pages (default: the manual)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "build")
    args = parser.parse_args(argv)
    targets = [build(source, args.out) for source in args.pages or MANUALS]
    if not args.pages:
        targets.append(build_example_poster(args.out))
    for target in targets:
        print(f"{target}  {target.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
