"""活动 as a community worker reads it: today's and coming activities of their sites, 50 to a
page, the past behind 更早的活动, a date range, and a calendar of one month that shows a
few a day and links to the rest."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta

from sync.ledger.console import tools

from .conftest import TZ

ROWS = re.compile(r'<tr><td>.*?href="/console/activities/([^"/?]+)"', re.S)


def _activity(aid: str, site: str, start: datetime, n: int) -> dict:
    return {
        "activity_id": aid,
        "site_id": site,
        "title_zh": f"批量活动{n:03d}",
        "title_en": f"Batch {n:03d}",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "rule": {"points_per_hour": 10},
    }


def _ids(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return ROWS.findall(body)


def _link(page: str, words: str) -> str | None:
    """The address of the link whose text holds ``words`` (as a browser would follow it)."""
    for href, text in re.findall(r'<a[^>]*href="([^"]*)"[^>]*>(.*?)</a>', page, re.S):
        if words in text:
            return "/console/activities" + html.unescape(href)
    return None


def _expected(console, site: str, keep) -> list[str]:
    with console.store.read() as r:
        acts = [
            a
            for a in r.activities()
            if a["site_id"] == site and not a.get("general") and keep(a["start"])
        ]
    return [a["activity_id"] for a in sorted(acts, key=lambda a: (a["start"], a["activity_id"]))]


def test_the_list_shows_today_and_coming_fifty_to_a_page_and_the_past_behind_a_link(console):
    now = console.clock()
    today = now.date()
    midnight = datetime.combine(today, time(), TZ)
    site = "xiangshan-study"
    coming = [
        _activity(f"A-T{i:03d}", site, midnight + timedelta(hours=8 + i * 5), i) for i in range(120)
    ]
    past = [
        _activity(f"A-P{i:03d}", site, midnight - timedelta(hours=3 + i * 5), 200 + i)
        for i in range(60)
    ]
    other = [_activity("A-SC001", "service-center", midnight + timedelta(hours=20), 999)]
    tools.upsert_activities(console.store, coming + past + other, now)
    c = console.login("wang")

    # Page by page from the default address: 50, 50, then the rest, in time order, from
    # today's first; every coming activity of the site once, nothing from the past.
    expected = _expected(console, site, lambda s: s >= midnight.isoformat())
    seen, sizes = [], []
    url = f"/console/activities?site={site}"
    first = c.get(url).text
    while url:
        page = c.get(url).text
        sizes.append(len(_ids(page)))
        seen += _ids(page)
        url = _link(page, "下一页")
    assert sizes == [50, 50, len(expected) - 100] and seen == expected
    assert "A-P000" not in first and "今天及以后" in first
    assert f"A-{today:%Y%m%d}-02" in _ids(first)[:3]  # today's, first, marked as today's
    assert '<span class="tag ok">今天</span>' in first
    last = c.get(f"/console/activities?site={site}&page=3").text
    assert "上一页" in last and "下一页" not in last and "第 3 页" in last

    # 更早的活动: the past, the latest first, 50 of them, then the next page.
    earlier = _link(first, "更早的活动")
    assert earlier is not None
    page = c.get(earlier).text
    old = _expected(console, site, lambda s: s < midnight.isoformat())[::-1]
    assert _ids(page) == old[:50] and "最近的在前" in page
    assert _ids(c.get(_link(page, "下一页")).text) == old[50:100]

    # A date range, both days included; reversed days are read in order.
    day = today + timedelta(days=2)
    want = _expected(console, site, lambda s: s[:10] in (str(day), str(day + timedelta(1))))
    assert len(want) > 1
    got = c.get(f"/console/activities?site={site}&from={day + timedelta(1)}&to={day}").text
    assert _ids(got) == want and "下一页" not in got

    # Without a site: all of the person's sites; a site worker sees only theirs.
    assert "A-SC001" in c.get("/console/activities").text
    li = console.login("li")  # xiangshan-study only
    mine = li.get("/console/activities").text
    assert "A-SC001" not in mine and _ids(mine) == expected[:50]


def test_the_calendar_shows_its_month_a_few_a_day_and_links_to_the_rest(console):
    now = console.clock()
    day = now.date() + timedelta(days=3)
    at = datetime.combine(day, time(8), TZ)
    busy = [
        _activity(f"A-C{i:02d}", "service-center", at + timedelta(minutes=30 * i), i)
        for i in range(9)
    ]
    nxt = (day.replace(day=1) + timedelta(days=40)).replace(day=15)
    later = [_activity("A-NEXT", "service-center", datetime.combine(nxt, time(9), TZ), 50)]
    tools.upsert_activities(console.store, busy + later, now)
    c = console.login("wang")
    month = f"{day:%Y-%m}"
    page = c.get(f"/console/activities?view=calendar&month={month}&site=service-center").text
    shown = [a for a in re.findall(r'href="/console/activities/(A-C\d\d)"', page)]
    assert shown == [f"A-C{i:02d}" for i in range(6)]
    assert "另有 3 个活动" in page and "A-NEXT" not in page
    rest = c.get(_link(page, "另有 3 个活动")).text
    assert [a for a in _ids(rest) if a.startswith("A-C")] == [f"A-C{i:02d}" for i in range(9)]
    assert "A-NEXT" in c.get(f"/console/activities?view=calendar&month={nxt:%Y-%m}").text


def test_a_hand_edited_address_gets_a_page_not_an_error(console):
    """An address typed or edited by hand (a page that is no number, a day that is no day)
    shows the default list, with one line saying which part was not understood."""
    now = console.clock()
    midnight = datetime.combine(now.date(), time(), TZ)
    site = "xiangshan-study"
    acts = [_activity(f"A-H{i:02d}", site, midnight + timedelta(hours=30 + i), i) for i in range(3)]
    tools.upsert_activities(console.store, acts, now)
    c = console.login("wang")
    default = _ids(c.get(f"/console/activities?site={site}").text)
    assert {"A-H00", "A-H01", "A-H02"} <= set(default)

    for page in ("abc", "-2", "1.5", "", "²"):
        r = c.get(f"/console/activities?site={site}&page={page}")
        assert r.status_code == 200 and _ids(r.text) == default and "第 1 页" not in r.text

    for bad in (
        "from=2026-13-45",
        "to=yesterday",
        "from=%3Cscript%3E",
        f"from=nonsense&to={now.date() + timedelta(days=9)}",
    ):
        r = c.get(f"/console/activities?site={site}&{bad}")
        assert r.status_code == 200 and _ids(r.text) == default
        assert r.text.count('class="msg error"') == 1 and "日期看不懂" in r.text
        assert "<script>" not in r.text
    good = c.get(f"/console/activities?site={site}&from={now.date()}").text
    assert 'class="msg error"' not in good
