"""The catalogs hold to their glossary: one word per state, role and thing in each
language. A ``glossary.*`` message names the term; its ``never:`` comment lists the words
that catalog must not use instead (未连接, 离线 for 未联网; 攝像頭 for 鏡頭 in Hong Kong
usage); a message marked ``term: <name>`` must use that term."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.ui import i18n
from sync.agent import EVENT_TYPES


def catalog(lang: str) -> dict[str, tuple[str, list[str]]]:
    return {m.id: (m.string, list(m.auto_comments)) for m in i18n.read_catalog(lang) if m.id}


def glossary(lang: str) -> dict[str, tuple[str, list[str]]]:
    """glossary key -> (term, words never to use)."""
    out = {}
    for key, (text, comments) in catalog(lang).items():
        if key.startswith("glossary."):
            never = [
                w.strip()
                for c in comments
                if c.startswith("never:")
                for w in c.removeprefix("never:").split(",")
                if w.strip()
            ]
            out[key] = (text, never)
    return out


def offenders(lang: str) -> list[str]:
    terms = glossary(lang)
    found = []
    for key, (text, comments) in catalog(lang).items():
        if key.startswith("glossary."):
            continue
        for gkey, (term, never) in terms.items():
            for word in never:
                # A forbidden word inside the glossary term itself is no offence (离线 vs 未联网
                # never overlap; 同步 must not match inside a longer allowed term).
                if word in text.replace(term, ""):
                    found.append(f"{lang} {key}: {word!r} (say {term!r}, {gkey})")
        for c in comments:
            if c.startswith("term:"):
                gkey = "glossary." + c.removeprefix("term:").strip()
                term = terms[gkey][0]
                if term.lower() not in text.lower():
                    found.append(f"{lang} {key}: must say {term!r} ({gkey})")
    return found


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_message_uses_the_glossary_terms(lang):
    assert offenders(lang) == []


def test_every_language_has_the_same_glossary_with_distinct_states():
    keys = {lang: set(glossary(lang)) for lang in i18n.LANGS}
    assert keys["zh-Hans"] == keys["zh-Hant"] == keys["en"]
    assert {"glossary.state.online", "glossary.state.offline", "glossary.state.standalone"} <= keys[
        "en"
    ]
    assert {"glossary.role.staff", "glossary.role.volunteer"} <= keys["en"]
    for lang in i18n.LANGS:
        g = glossary(lang)
        states = [g[f"glossary.state.{s}"][0] for s in ("online", "offline", "standalone")]
        assert len(set(states)) == 3, states


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_glossary_term_is_used(lang):
    texts = [t for k, (t, _c) in catalog(lang).items() if not k.startswith("glossary.")]
    unused = [
        key
        for key, (term, _never) in glossary(lang).items()
        if not any(term.lower() in t.lower() for t in texts)
    ]
    assert unused == []


def test_the_hong_kong_catalog_is_not_a_conversion_of_the_mainland_one():
    hant = {k: t for k, (t, _c) in catalog("zh-Hant").items()}
    # Hong Kong and Macau words where the mainland has others
    for key, word in (
        ("banner.camera", "鏡頭"),
        ("home.instruction_detail", "掃描器"),
        ("result.redeemed.next", "櫃檯"),
        ("home.instruction", "義工"),
        ("sync.offline", "上載"),
        ("home.rewards", "換領"),
    ):
        assert word in hant[key], (key, hant[key])


def test_the_checker_finds_a_forbidden_word(monkeypatch):
    real = catalog

    def with_slip(lang):
        out = dict(real(lang))
        if lang == "zh-Hans":
            out["sync.offline"] = ("未连接 · {n} 条待上传", ["term: state.offline"])
        return out

    monkeypatch.setitem(globals(), "catalog", with_slip)
    found = offenders("zh-Hans")
    assert any("未连接" in f for f in found) and any("must say" in f for f in found)
    assert re.search(r"sync\.offline", " ".join(found))


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_event_type_has_plain_words(lang):
    # The sync page names each waiting record in words (签到, 兑换 ...): a new event type in
    # the wire schema needs its words here before staff would see its code instead.
    words = catalog(lang)
    missing = [t for t in EVENT_TYPES if not words.get(f"event.{t}", ("",))[0].strip()]
    assert missing == []


ROOT = Path(__file__).resolve().parents[2]
MANUAL = ROOT / "docs" / "社工操作手册.md"
CONSOLE_PO = ROOT / "sync" / "ledger" / "console" / "locale" / "zh_Hans" / "LC_MESSAGES"


def banned_in(text: str, lang: str, allowed: str = "") -> list[str]:
    """The words the kiosk's glossary bans that ``text`` uses (a word ``allowed`` holds, the
    console's own, is no offence: the manual names console pages as the console does)."""
    found = []
    for gkey, (term, never) in glossary(lang).items():
        for word in never:
            if word not in allowed and word in text.replace(term, ""):
                found.append(f"{word!r} (say {term!r}, {gkey})")
    return found


def test_the_manual_speaks_the_kiosks_words():
    # commands and file names in code spans are what a person types, not words to read
    prose = re.sub(
        r"`[^`\n]*`", "", re.sub(r"```.*?```", "", MANUAL.read_text("utf-8"), flags=re.S)
    )
    console = "\n".join(m.string for m in read_po_dir(CONSOLE_PO) if m.id)
    assert "志愿者卡" in prose and "未联网" in prose
    assert banned_in(prose, "zh-Hans", allowed=console) == []


def read_po_dir(folder: Path):
    from babel.messages.pofile import read_po

    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            yield from read_po(fh)


def test_the_poster_speaks_the_kiosks_words_in_each_language():
    from sync.ledger.staff.poster import PosterText, poster_html

    page = poster_html(PosterText("博凯社区新时代文明实践站", "", "香山书房"))
    for cls, lang in (("zh", "zh-Hans"), ("hant", "zh-Hant"), ("en", "en")):
        lines = re.findall(rf'<div class="{cls}"[^>]*>(.*?)</div>', page, flags=re.S)
        assert len(lines) >= 8, (cls, lines)
        assert banned_in("\n".join(lines), lang) == [], cls


def test_the_docs_checker_finds_a_banned_word():
    assert sorted(banned_in("终端未连接，请出示志愿者码", "zh-Hans")) == [
        "'志愿者码' (say '志愿者卡', glossary.thing.card)",
        "'未连接' (say '未联网', glossary.state.offline)",
        "'终端' (say '自助机', glossary.thing.kiosk)",
    ]
    assert banned_in("终端未连接", "zh-Hans", allowed="终端的页面") == [
        "'未连接' (say '未联网', glossary.state.offline)"
    ]
