"""Make the kiosk's CJK font: Noto Sans CJK SC cut down to GB 2312, Big5 level 1 (the
common traditional characters), Latin, punctuation and a list of rare name characters.

Run once when the character set changes; the result is committed in assets/fonts/.
Needs fonttools and Debian's fonts-noto-cjk:
    python deploy/tools/subset_font.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

RARE_NAME_CHARS = "喆昇彧堃玥淼犇鑫焱赟燚晔琰琮珺璟炜煜祎禕翀翯镕鎔昕昀暐曌垚壵懿濛沅泓湉滢瀚璐瑄瑾芃茜莘蓥谞邕鋆錤頔颢顥龑䶮"


def charset() -> set[str]:
    chars: set[str] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for hi in range(0xA1, 0xC7):
        for lo in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            try:
                chars.add(bytes([hi, lo]).decode("big5"))
            except UnicodeDecodeError:
                pass
    chars.update(chr(c) for c in range(0x20, 0x250))
    chars.update(chr(c) for c in range(0x2000, 0x2070))
    chars.update(chr(c) for c in range(0x3000, 0x3040))
    chars.update(chr(c) for c in range(0xFF00, 0xFFF0))
    chars.update("€¥•·…—–‘’“”×÷✓✔✗✘←→↑↓")
    chars.update(RARE_NAME_CHARS)
    return chars


def main(source: str, out: str = "assets/fonts/NotoSansSC-Kiosk.otf", index: int = 2) -> None:
    font = TTCollection(source).fonts[index]  # 2: Noto Sans CJK SC
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(charset())))
    subsetter.subset(font)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    print(out, Path(out).stat().st_size, "bytes")


if __name__ == "__main__":
    main(*sys.argv[1:])
