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

# Words for the machine that no catalog happened to use, so the kiosk's ``never:`` lists do
# not name them; the console, the docs and the ledger once did (设备, 机器, 站点机).
ALSO_NEVER = {
    "zh-Hans": {"glossary.thing.kiosk": ["设备", "机器", "站点机"]},
    "zh-Hant": {"glossary.thing.kiosk": ["設備", "機器", "站點機"]},
    "en": {"glossary.thing.kiosk": ["device", "machine"]},
}


def banned_in(text: str, lang: str) -> list[str]:
    """The words the kiosk's glossary (and ``ALSO_NEVER``) bans that ``text`` uses."""
    found = []
    # a command's name is what a person types, not a word to read (kiosk-ledger)
    text = text.replace("kiosk-ledger", "")
    for gkey, (term, never) in glossary(lang).items():
        for word in never + ALSO_NEVER[lang].get(gkey, []):
            if word in text.replace(term, ""):
                found.append(f"{word!r} (say {term!r}, {gkey})")
    return found


def console_catalog(lang: str) -> dict[str, str]:
    from sync.ledger.console import i18n as console_i18n

    return {m.id: m.string for m in console_i18n.read_catalog(lang) if m.id}


def console_offenders(lang: str) -> list[str]:
    return [
        f"{lang} {key}: {slip}"
        for key, text in console_catalog(lang).items()
        for slip in banned_in(text, lang)
    ]


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_console_speaks_the_kiosks_words(lang):
    assert console_offenders(lang) == []


def test_the_console_checker_finds_a_planted_slip(monkeypatch):
    real = console_catalog

    def with_slips(lang):
        out = dict(real(lang))
        out["nav.kiosks"] = {"zh-Hans": "终端", "zh-Hant": "站點機", "en": "Each terminal"}[lang]
        out["kiosks.alert_never"] = {
            "zh-Hans": "从未联系过总台账",
            "zh-Hant": "從未聯絡過台賬",
            "en": "has never contacted the ledger",
        }[lang]
        return out

    monkeypatch.setitem(globals(), "console_catalog", with_slips)
    for lang in i18n.LANGS:
        assert sorted({f.split(":")[0] for f in console_offenders(lang)}) == [
            f"{lang} kiosks.alert_never",
            f"{lang} nav.kiosks",
        ]


def test_the_consoles_hong_kong_catalog_is_not_a_conversion_of_the_mainland_one():
    hans, hant = console_catalog("zh-Hans"), console_catalog("zh-Hant")
    # the kiosk's Hong Kong and Macau words where the mainland has others
    for key, mainland, hong_kong in (
        ("nav.volunteers", "志愿者", "義工"),
        ("nav.catalog", "奖品与库存", "禮品與存貨"),
        ("nav.kiosks", "自助机", "自助服務機"),
        ("common.site", "站点", "服務點"),
        ("common.save", "保存", "儲存"),
        ("nav.settings", "设置", "設定"),
        ("login.submit", "登录", "登入"),
        ("nav.logout", "退出", "登出"),
        ("volunteers.redemptions", "兑换记录", "換領紀錄"),
        ("kiosks.pending", "未上传记录", "未上載紀錄"),
        ("volunteers.print", "打印", "列印"),
        ("import.title", "导入名册", "匯入名冊"),
        ("import.file", "名册文件", "名冊檔案"),
        ("role.read_only", "只读", "唯讀"),
    ):
        assert mainland in hans[key], (key, hans[key])
        assert hong_kong in hant[key], (key, hant[key])
    # quotation marks as Hong Kong prints them
    assert not [k for k, v in hant.items() if "“" in v or "”" in v]


def ledger_strings() -> list[tuple[str, str]]:
    """Every Chinese string literal the ledger can show or write (refusals, exceptions, export
    headers, role and permission names), docstrings aside: (where, text)."""
    import ast

    found = []
    for path in sorted((ROOT / "sync").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and re.search(r"[\u4e00-\u9fff]", node.value)
            ):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    return found


def test_the_ledgers_messages_speak_the_kiosks_words():
    strings = ledger_strings()
    # the scan reaches what staff read: a refusal, an export's header, a role's permission
    assert any("本机" in text for _where, text in strings)
    assert any(text == "自助机" for _where, text in strings)
    slips = [f"{where}: {slip}" for where, text in strings for slip in banned_in(text, "zh-Hans")]
    assert slips == []


def prose(markdown: str) -> str:
    # commands and file names in code spans are what a person types, not words to read
    return re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", markdown, flags=re.S))


def test_the_manual_speaks_the_kiosks_words():
    text = prose(MANUAL.read_text("utf-8"))
    assert "志愿者卡" in text and "未联网" in text and "自助机" in text
    assert banned_in(text, "zh-Hans") == []


@pytest.mark.parametrize(
    "doc", sorted(p.name for p in (ROOT / "docs").glob("*.md") if p != MANUAL) + ["README.md"]
)
def test_the_docs_name_screens_in_the_kiosks_words(doc):
    # The English docs are for the people who install and look after the system: they say
    # ledger and sync as the code does. The Chinese they quote is what a screen shows.
    path = ROOT / doc if doc == "README.md" else ROOT / "docs" / doc
    chinese = "\n".join(re.findall(r"[\u4e00-\u9fff（），、：；]+", prose(path.read_text("utf-8"))))
    assert banned_in(chinese, "zh-Hans") == []


def test_the_poster_speaks_the_kiosks_words_in_each_language():
    from sync.ledger.staff.poster import PosterText, poster_html

    page = poster_html(PosterText("博凯社区新时代文明实践站", "", "香山书房"))
    for cls, lang in (("zh", "zh-Hans"), ("hant", "zh-Hant"), ("en", "en")):
        lines = re.findall(rf'<div class="{cls}"[^>]*>(.*?)</div>', page, flags=re.S)
        assert len(lines) >= 8, (cls, lines)
        assert banned_in("\n".join(lines), lang) == [], cls


def test_the_docs_checker_finds_a_banned_word():
    assert sorted(banned_in("终端未连接，请出示志愿者码，设备已同步", "zh-Hans")) == [
        "'同步' (say '服务器', glossary.thing.server)",
        "'志愿者码' (say '志愿者卡', glossary.thing.card)",
        "'未连接' (say '未联网', glossary.state.offline)",
        "'终端' (say '自助机', glossary.thing.kiosk)",
        "'设备' (say '自助机', glossary.thing.kiosk)",
    ]
    assert banned_in("sudo kiosk-ledger serve 自助机", "en") == []
