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

# (language folder, screenshot name, picture in docs/images, width in pixels)
PICTURES: tuple[tuple[str, str, str, int], ...] = (
    ("zh-Hans", "01-home", "kiosk-home.png", 800),
    ("zh-Hans", "05-signed-out", "kiosk-signed-out.png", 800),
    ("zh-Hans", "03-signed-in", "kiosk-signed-in.png", 640),
    ("zh-Hans", "06-forgotten-session", "kiosk-forgotten-session.png", 640),
    ("zh-Hans", "07-refused-not-ours", "kiosk-refused.png", 640),
    ("zh-Hans", "15-catalog", "kiosk-catalog.png", 640),
    ("zh-Hans", "17-confirm", "kiosk-confirm.png", 640),
    ("zh-Hans", "18-redeemed", "kiosk-redeemed.png", 640),
    ("zh-Hans", "22-staff-pin", "kiosk-staff-pin.png", 640),
    ("zh-Hans", "24-staff-stock", "kiosk-staff-stock.png", 640),
    ("zh-Hans", "28-staff-sessions", "kiosk-staff-sessions.png", 640),
    ("zh-Hans", "29-staff-correct-session", "kiosk-staff-correct.png", 640),
    ("zh-Hans", "32-staff-points", "kiosk-staff-points.png", 640),
    ("zh-Hans", "39-staff-sync", "kiosk-staff-sync.png", 640),
    ("zh-Hans", "40-staff-settings", "kiosk-staff-settings.png", 640),
    ("zh-Hans", "41-camera-banner", "kiosk-camera-banner.png", 640),
)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, default=Path("test-output/screenshots"))
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args(argv)
    missing = [
        f"{lang}/{name}.png"
        for lang, name, _, _ in PICTURES
        if not (args.shots / lang / f"{name}.png").exists()
    ]
    if missing:
        sys.stderr.write(f"not in {args.shots} (run `make screenshots`): {', '.join(missing)}\n")
        return 1
    total = 0
    for lang, name, out, width in PICTURES:
        size = optimise(args.shots / lang / f"{name}.png", args.out / out, width)
        total += size
        print(f"{args.out / out}  {size // 1024} KB")
    print(f"{len(PICTURES)} pictures, {total // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
