"""What a person sees: sizes, contrast, fonts and words, checked on the live screens."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp, sp
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput

from kiosk.ui import i18n
from kiosk.ui.theme import PAIRS, PALETTE, contrast
from kiosk.ui.widgets import DemoCard, ItemTile, KButton
from tests.gui.staff.common import login

UI = Path(i18n.__file__).resolve().parent


def check_screen(gui) -> list[str]:
    gui.settle()
    problems = []
    for w in gui.visible_walk():
        if isinstance(w, Label) and w.text and w.opacity > 0 and w.font_size < sp(24) - 0.01:
            problems.append(
                f"{gui.app.sm.current}: text {w.text[:20]!r} at {w.font_size / sp(1):.0f}sp"
            )
        target = (
            isinstance(w, KButton | ItemTile | DemoCard | TextInput)
            and w.opacity > 0
            and w.width > 0
        )
        if target and (w.height < dp(48) - 0.01 or w.width < dp(48) - 0.01):
            problems.append(
                f"{gui.app.sm.current}: touch target {getattr(w, 'text', '')!r} {w.size}"
            )
    return problems


def test_text_sizes_and_touch_targets_on_every_screen(gui, roster):
    problems = check_screen(gui)
    gui.press("help")
    problems += check_screen(gui)
    gui.press("back")
    gui.press("rewards")
    problems += check_screen(gui)
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("catalog")
    problems += check_screen(gui)
    gui.press("item", None)
    gui.wait_screen("result")
    problems += check_screen(gui)
    gui.press("ok")
    gui.clock.set(10, 30)
    gui.wedge(roster["V000101"]["code"])
    gui.wait_screen("choose")
    problems += check_screen(gui)
    gui.press("cancel")
    login(gui, roster)
    for tab in (
        "stock",
        "catalog",
        "sessions",
        "points",
        "assist",
        "redemptions",
        "sync",
        "settings",
    ):
        gui.press("tab", tab)
        problems += check_screen(gui)
    assert problems == []


def test_every_colour_pair_has_at_least_7_to_1_contrast():
    low = [
        (a, b, round(contrast(PALETTE[a], PALETTE[b]), 2))
        for a, b in PAIRS
        if contrast(PALETTE[a], PALETTE[b]) < 7.0
    ]
    assert low == []


def test_catalogs_cover_every_key_in_all_three_languages():
    used = set()
    for path in list(UI.rglob("*.py")) + list(UI.rglob("*.kv")):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""", text))
        used |= set(re.findall(r'message_key(?:, self.message_args)? = "([a-z_.]+)"', text))
    catalogs = {
        lang: {m.id for m in i18n.read_catalog(lang) if m.id and m.string} for lang in i18n.LANGS
    }
    for lang, ids in catalogs.items():
        assert used - ids == set(), f"{lang} lacks {sorted(used - ids)}"
        assert ids == catalogs["zh-Hans"], f"{lang} and zh-Hans differ"
    for lang in i18n.LANGS:  # the shipped .mo files hold what the current .po files say
        with i18n.mo_path(lang).open("rb") as fh:
            shipped = gettext.GNUTranslations(fh)._catalog
        fresh = gettext.GNUTranslations(io.BytesIO(i18n.compile_catalog(lang)))._catalog
        assert {k: v for k, v in shipped.items() if k} == {k: v for k, v in fresh.items() if k}, (
            "stale .mo: run python -m kiosk.ui.i18n compile"
        )


def test_no_user_facing_chinese_in_python_code():
    han = re.compile(r"[\u4e00-\u9fff]")
    offenders = []
    for path in UI.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if han.search(code) and "LANG_NAMES" not in code:
                offenders.append(f"{path.name}:{n}")
    assert offenders == []


def test_rare_name_characters_render_in_the_kiosk_font(gui):
    def pixels(text: str) -> bytes:
        lbl = CoreLabel(text=text, font_size=48)
        lbl.refresh()
        return lbl.texture.pixels

    tofu = pixels("\U000f0000")  # a private-use code point: the font's missing-glyph box
    for ch in "喆昇彧張曉黃":
        assert pixels(ch) != tofu, f"{ch} renders as a missing glyph"
    gui.press("lang", "zh-Hant")
    assert "請出示義工卡" in gui.texts()
