"""Small helpers the console's views share: the day in China time, site choice, titles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.ledger.db.pending import with_next_write

from ..deps import Staff, check_site, db_of, ledger_of

TZ = ZoneInfo("Asia/Shanghai")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), TZ)
    return start, start + timedelta(days=1)


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def parse_day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def sites_for(request, staff: Staff, wanted: str | None) -> tuple[list[str], str | None]:
    """The sites a page shows: the one asked for (403 if not the person's), else all theirs."""
    every = ledger_of(request).site_ids()
    if wanted:
        check_site(staff, wanted)
        if wanted not in every:
            return [], wanted
        return [wanted], wanted
    return staff.account.visible_sites(every), None


def scope(staff: Staff) -> list[str] | None:
    """None: every site; else the list a site worker may see."""
    return None if staff.account.all_sites else sorted(staff.account.sites)


def title(item: dict[str, Any], lang: str) -> str:
    """An activity's or a site's name in the page's language, Chinese when it has no other."""
    if lang == "en":
        return item.get("title_en") or item.get("name_en") or _zh(item)
    if lang == "zh-Hant":
        return item.get("title_zh_hant") or item.get("name_zh_hant") or _zh(item)
    return _zh(item)


def _zh(item: dict[str, Any]) -> str:
    return item.get("title_zh") or item.get("name_zh") or item.get("activity_id") or ""


def item_name(item: dict[str, Any], lang: str) -> str:
    names = item.get("names") or {}
    return names.get(lang) or names.get("zh-Hans") or item.get("item_id", "")


@contextmanager
def audited(request, entry: Callable[[Any], None]) -> Iterator[list]:
    """``entry(w)`` writes the audit entry of the change made in this block, in the change's
    own write transaction (db/pending.py). Nothing is written when the block raises or
    clears the list it is given (a change refused without writing); a change that wrote
    nothing gets its entry committed on its own after the block."""
    with with_next_write(entry) as box:
        yield box
        if box:
            with db_of(request).write():
                pass  # the transaction's commit writes the entry
