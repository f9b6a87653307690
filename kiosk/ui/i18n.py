"""Screen text in three languages, from gettext catalogs in ``kiosk/ui/locale``.

Message ids are keys (``home.instruction``), not source-language text: every word a
person reads, Chinese included, lives in a catalog, and a key left untranslated is
easy to spot (the GUI tests fail on one). Placeholders use ``str.format`` names.

``python -m kiosk.ui.i18n compile`` turns the .po files into .mo files with Babel;
at run time a missing or stale .mo is compiled in memory, so the .po is the truth.
"""

from __future__ import annotations

import gettext
import io
import logging
import sys
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger("kiosk.ui.i18n")

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kiosk"
LANGS = ("zh-Hans", "zh-Hant", "en")
_DIRS = {"zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant", "en": "en"}
# Babel locales for dates: Hong Kong and Macau residents read Traditional with HK forms.
_BABEL = {
    "zh-Hans": Locale.parse("zh_Hans_CN"),
    "zh-Hant": Locale.parse("zh_Hant_HK"),
    "en": Locale.parse("en_GB"),
}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / _DIRS[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def read_catalog(lang: str):
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=_DIRS[lang])


def compile_catalog(lang: str) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, read_catalog(lang))
    return buf.getvalue()


def compile_all() -> list[Path]:
    written = []
    for lang in LANGS:
        path = mo_path(lang)
        path.write_bytes(compile_catalog(lang))
        written.append(path)
    return written


class Translator:
    def __init__(self) -> None:
        self._catalogs: dict[str, gettext.NullTranslations] = {}
        self.missing: set[tuple[str, str]] = set()
        for lang in LANGS:
            self._catalogs[lang] = self._load(lang)

    @staticmethod
    def _load(lang: str) -> gettext.NullTranslations:
        po, mo = po_path(lang), mo_path(lang)
        try:
            if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
                with mo.open("rb") as fh:
                    return gettext.GNUTranslations(fh)
            return gettext.GNUTranslations(io.BytesIO(compile_catalog(lang)))
        except (OSError, ValueError) as exc:
            log.error("no catalog for %s: %s", lang, exc)
            return gettext.NullTranslations()

    def terms(self) -> list[str]:
        """Every language's glossary terms (the ``glossary.*`` messages)."""
        return [
            text
            for catalog in self._catalogs.values()
            for key, text in getattr(catalog, "_catalog", {}).items()
            if isinstance(key, str) and key.startswith("glossary.")
        ]

    def has(self, key: str, lang: str) -> bool:
        catalog = self._catalogs.get(lang) or self._catalogs["zh-Hans"]
        return catalog.gettext(key) != key

    def t(self, key: str, lang: str, **kw: object) -> str:
        catalog = self._catalogs.get(lang) or self._catalogs["zh-Hans"]
        text = catalog.gettext(key)
        if text == key:
            self.missing.add((lang, key))
        if kw:
            try:
                return text.format(**kw)
            except (KeyError, IndexError, ValueError):
                log.error("bad placeholders in %s/%s", lang, key)
                return text
        return text


def pick(titles: dict[str, str], lang: str) -> str:
    """A name or title in ``lang``, else in zh-Hans, else in English, else any."""
    return (
        titles.get(lang)
        or titles.get("zh-Hans")
        or titles.get("en")
        or next(iter(titles.values()), "")
    )


def date_text(dt: datetime, lang: str) -> str:
    return format_date(dt, format="full", locale=_BABEL[lang])


def time_text(dt: datetime, lang: str) -> str:
    return format_time(dt, format="HH:mm", locale=_BABEL[lang])


def short_date(dt: datetime, lang: str) -> str:
    return format_date(dt, format="medium", locale=_BABEL[lang])


if __name__ == "__main__":
    if sys.argv[1:] == ["compile"]:
        for p in compile_all():
            print(p)
    else:
        print("usage: python -m kiosk.ui.i18n compile", file=sys.stderr)
        sys.exit(2)
