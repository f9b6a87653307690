"""The pictures in README.md and docs/: chosen from `make screenshots`, scaled down and
reduced to a palette, so the repository stays small and the pages load fast.

    python -m devtools.docs_images --shots test-output/screenshots --out docs/images

Run by `make docs-images` (which takes the screenshots first). The list below is the
only place that says which screen appears where; a test checks that every picture the
docs use is in it and exists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

# (language folder, screen, picture in docs/images, width in pixels); a screen is named as
# the tour names it (devtools/screenshots.py), its file numbered in the tour's order.
PICTURES: tuple[tuple[str, str, str, int], ...] = (
    ("zh-Hans", "home", "kiosk-home.png", 800),
    ("zh-Hans", "signed-out", "kiosk-signed-out.png", 800),
    ("zh-Hans", "signed-in", "kiosk-signed-in.png", 640),
    ("zh-Hans", "forgotten-session", "kiosk-forgotten-session.png", 640),
    ("zh-Hans", "refused-not-ours", "kiosk-refused.png", 640),
    ("zh-Hans", "catalog", "kiosk-catalog.png", 640),
    ("zh-Hans", "confirm", "kiosk-confirm.png", 640),
    ("zh-Hans", "redeemed", "kiosk-redeemed.png", 640),
    ("zh-Hans", "my-record", "kiosk-record.png", 640),
    ("zh-Hans", "upcoming", "kiosk-upcoming.png", 640),
    ("zh-Hans", "staff-pin", "kiosk-staff-pin.png", 640),
    ("zh-Hans", "staff-stock", "kiosk-staff-stock.png", 640),
    ("zh-Hans", "staff-sessions", "kiosk-staff-sessions.png", 640),
    ("zh-Hans", "staff-correct-session", "kiosk-staff-correct.png", 640),
    ("zh-Hans", "staff-points", "kiosk-staff-points.png", 640),
    ("zh-Hans", "staff-sync", "kiosk-staff-sync.png", 640),
    ("zh-Hans", "staff-settings", "kiosk-staff-settings.png", 640),
    ("zh-Hans", "camera-banner", "kiosk-camera-banner.png", 640),
)
# The screens on the volunteers' poster (kiosk-ledger poster): shipped with the ledger,
# which has no Kivy to take them. (screenshot, picture in POSTER_DIR, width)
POSTER_DIR = Path(__file__).resolve().parents[1] / "sync" / "ledger" / "staff" / "poster_images"
POSTER: tuple[tuple[str, str, int], ...] = (
    ("signed-in", "signed-in.png", 560),
    ("signed-out", "signed-out.png", 560),
    ("catalog", "catalog.png", 560),
)
# Console pages (devtools/console_screenshots.py, run by `make screenshots`):
# (language, page, picture in docs/images, width).
CONSOLE: tuple[tuple[str, str, str, int], ...] = (
    ("zh-Hans", "today", "console-today.png", 800),
    ("zh-Hans", "kiosks", "console-kiosks.png", 800),
)
CONSOLE_SHOTS = Path("test-output/console-screenshots")
# Fast octree keeps small areas of colour (the amber sync dot, the red refusal bar) true:
# median cut at this size turned the amber dot grey-green, and colours carry meaning here.
COLOURS = 128


def optimise(src: Path, dest: Path, width: int) -> int:
    """``src`` scaled to ``width`` and saved as a palette PNG; returns the file's size."""
    with Image.open(src) as im:
        im = im.convert("RGB")
        if im.width > width:
            im = im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)
        small = im.quantize(COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    dest.parent.mkdir(parents=True, exist_ok=True)
    small.save(dest, optimize=True)
    return dest.stat().st_size


def shot(folder: Path, name: str) -> Path:
    """The screenshot of the screen ``name`` (``NN-name.png``; the number follows the tour)."""
    found = sorted(folder.glob(f"[0-9][0-9]-{name}.png"))
    return found[0] if found else folder / f"NN-{name}.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, default=Path("test-output/screenshots"))
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args(argv)
    sources = [shot(args.shots / lang, name) for lang, name, _, _ in PICTURES]
    sources += [shot(args.shots / "zh-Hans", name) for name, _, _ in POSTER]
    sources += [CONSOLE_SHOTS / lang / f"{name}.png" for lang, name, _, _ in CONSOLE]
    missing = [str(src) for src in sources if not src.exists()]
    if missing:
        sys.stderr.write(f"not in {args.shots} (run `make screenshots`): {', '.join(missing)}\n")
        return 1
    jobs = [(shot(args.shots / lang, name), args.out / out, w) for lang, name, out, w in PICTURES]
    jobs += [(shot(args.shots / "zh-Hans", name), POSTER_DIR / out, w) for name, out, w in POSTER]
    jobs += [
        (CONSOLE_SHOTS / lang / f"{name}.png", args.out / out, w) for lang, name, out, w in CONSOLE
    ]
    total = 0
    for src, dest, width in jobs:
        size = optimise(src, dest, width)
        total += size
        print(f"{dest}  {size // 1024} KB")
    print(f"{len(jobs)} pictures, {total // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
