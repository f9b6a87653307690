"""The console's words in three languages, from gettext catalogs in ``console/locale``
(Babel reads the .po files; compiled in memory when the .mo is missing or older).

Message ids are keys (``nav.today``), as on the kiosk: every word a person reads, Chinese
included, is in a catalog, and tests/console/test_catalogs.py fails on a key used in a
template or a view that a catalog lacks. zh-Hans is first; zh-Hant uses the Hong Kong forms.
"""

from __future__ import annotations

import gettext
import io
import logging
from datetime import datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

log = logging.getLogger("sync.ledger.console")

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "console"
LANGS = ("zh-Hans", "zh-Hant", "en")
DEFAULT = "zh-Hans"
LANG_NAMES = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}
HTML_LANG = {"zh-Hans": "zh-Hans", "zh-Hant": "zh-Hant-HK", "en": "en"}
_DIRS = {"zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant", "en": "en"}
_BABEL = {
    "zh-Hans": Locale.parse("zh_Hans_CN"),
    "zh-Hant": Locale.parse("zh_Hant_HK"),
    "en": Locale.parse("en_GB"),
}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / _DIRS[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str):
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=_DIRS[lang])


@cache
def translations(lang: str) -> gettext.NullTranslations:
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    try:
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            with mo.open("rb") as fh:
                return gettext.GNUTranslations(fh)
        buf = io.BytesIO()
        write_mo(buf, read_catalog(lang))
        buf.seek(0)
        return gettext.GNUTranslations(buf)
    except (OSError, ValueError) as exc:
        log.error("no console catalog for %s: %s", lang, exc)
        return gettext.NullTranslations()


def pick(requested: str | None, cookie: str | None, accept: str | None) -> str:
    """The page's language: the one asked for (``?lang=``), else the cookie, else the
    browser's first Chinese or English preference, else zh-Hans."""
    for choice in (requested, cookie):
        if choice in LANGS:
            return choice
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
            return "zh-Hant"
        if tag.startswith("zh"):
            return "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


class Words:
    """``t(key, **kw)`` in one language, with dates and numbers in its forms."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGS else DEFAULT
        self._t = translations(self.lang)
        self.locale = _BABEL[self.lang]

    def __call__(self, key: str, **kw: object) -> str:
        text = self._t.gettext(key)
        if kw:
            try:
                return text.format(**kw)
            except (KeyError, IndexError, ValueError):
                log.error("bad placeholders in %s/%s", self.lang, key)
        return text

    def date(self, dt: datetime, fmt: str = "medium") -> str:
        return format_date(dt, format=fmt, locale=self.locale)

    def time(self, dt: datetime) -> str:
        return format_time(dt, format="HH:mm", locale=self.locale)

    def datetime(self, dt: datetime) -> str:
        return format_datetime(dt, format="yyyy-MM-dd HH:mm", locale=self.locale)

    def number(self, n: float) -> str:
        return format_decimal(n, locale=self.locale)
