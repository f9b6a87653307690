"""Every console page renders for the roles that may open it, in all three languages, with
no message key left showing; site staff are refused other sites' pages."""

from __future__ import annotations

import re

import pytest

from kiosk.core.version import VERSION
from sync.ledger.console.i18n import LANGS

PAGES = [
    "/console/today",
    "/console/kiosks",
    "/console/volunteers?q=zxm",
    "/console/volunteers/V000101",
    "/console/volunteers/import",
    "/console/activities",
    "/console/activities?view=calendar",
    "/console/activities/new",
    "/console/catalog",
    "/console/exceptions",
    "/console/corrections",
    "/console/reports",
    "/console/audit",
    "/console/accounts",
    "/console/staff-cards",
    "/console/settings",
    "/console/password",
]
KEY = re.compile(
    r">\s*(?!console\.)[a-z_]+\.[a-z_]+(\.[a-z_]+)*\s*<"
)  # audit codes are shown on purpose


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_renders_for_an_administrator(console, lang):
    c = console.login("wang")
    for page in PAGES:
        sep = "&" if "?" in page else "?"
        r = c.get(f"{page}{sep}lang={lang}")
        assert r.status_code == 200, (page, r.status_code, r.text[:300])
        assert not KEY.search(r.text), (page, KEY.search(r.text).group(0))
        # The version at every page's foot: what staff read out when they ask for help.
        assert f"volunteer-kiosk {VERSION}</small></footer>" in r.text, page


def test_search_finds_by_name_number_phone_and_initials(console):
    c = console.login("wang")
    for q in ("张晓明", "晓明", "V000101", "v0001", "zxm", "张"):
        assert "V000101" in c.get("/console/volunteers", params={"q": q}).text, q
    frag = c.get("/console/volunteers", params={"q": "zxm"}, headers={"HX-Request": "true"})
    assert "<html" not in frag.text and "V000101" in frag.text


def test_site_staff_are_refused_another_sites_pages(console):
    li = console.login("li")  # xiangshan-study only
    assert li.get("/console/today?site=xiangshan-study").status_code == 200
    r = li.get("/console/today?site=service-center")
    assert r.status_code == 403 and "无权访问" in r.text
    assert li.get("/console/activities?site=service-center").status_code == 403
    page = li.get("/console/today").text
    assert "service-center" not in page


def test_read_only_sees_reports_only(console):
    zhao = console.login("zhao")
    assert zhao.get("/console/reports").status_code == 200
    for page in ("/console/today", "/console/volunteers", "/console/exceptions"):
        assert zhao.get(page).status_code == 403, page


def test_search_follows_a_rename_by_any_writer(console):
    from sync.ledger.console import tools

    c = console.login("wang")
    assert "V000105" in c.get("/console/volunteers", params={"q": "wz"}).text  # 王喆
    assert "V000105" not in c.get("/console/volunteers", params={"q": "阳喆"}).text
    parsed = tools.RosterFile(
        rows=[tools.RosterRow(2, "V000105", "欧阳喆", "", "", "", "")],
        headers={"name": "姓名", "volunteer_id": "志愿者编号"},
    )
    assert tools.import_roster(console.store, parsed, console.clock()).ok
    assert "V000105" in c.get("/console/volunteers", params={"q": "oyz"}).text
    assert "V000105" in c.get("/console/volunteers", params={"q": "阳喆"}).text  # a part of it
    assert "V000105" not in c.get("/console/volunteers", params={"q": "wz"}).text


def test_today_lists_a_session_left_open_from_an_earlier_day(console):
    """A sign-in from yesterday never signed out shows on today's page of its site only."""
    from datetime import datetime, timedelta

    from kiosk.store.ids import uuid7
    from sync.ledger.console import tools

    code = console.store.create_enrollment_code("service-center", console.clock(), timedelta(1))
    kiosk = console.store.enroll(code, "前台", console.clock()).kiosk_id
    when = console.clock() - timedelta(days=1)
    # Yesterday's general duty, as the ledger would have held it (the demo lays on today's).
    with console.store.read() as r:
        today = next(a for a in r.activities() if a["activity_id"].startswith("GEN-SC-"))
    day = timedelta(days=1)
    yesterday = {
        **today,
        "activity_id": f"GEN-SC-{when:%Y%m%d}",
        "start": (datetime.fromisoformat(today["start"]) - day).isoformat(),
        "end": (datetime.fromisoformat(today["end"]) - day).isoformat(),
    }
    tools.upsert_activities(console.store, [yesterday], console.clock())
    eid = uuid7(int(when.timestamp() * 1000))
    ev = {
        "id": eid,
        "kiosk_id": kiosk,
        "seq": 1,
        "type": "attendance.sign_in",
        "occurred_at": when.isoformat(timespec="milliseconds"),
        "clock_offset_ms": 0,
        "actor": "V000102",
        "payload": {
            "session_id": eid,
            "activity_id": f"GEN-SC-{when:%Y%m%d}",
            "site_id": "service-center",
        },
    }
    (result,), _ = console.store.ingest(kiosk, [ev], when)
    assert result["status"] == "accepted", result
    c = console.login("wang")
    page = c.get("/console/today?site=service-center").text
    assert "活动结束后仍未签退" in page and "李秀英" in page
    other = c.get("/console/today?site=xiangshan-study").text
    assert "李秀英" not in other


def test_today_for_a_district_is_one_line_per_site(console, monkeypatch):
    from sync.ledger.console.views import today

    monkeypatch.setattr(today, "SUMMARY_OVER", 1)  # the demo has two sites; a district 100
    c = console.login("wang")
    page = c.get("/console/today").text
    assert "各站点今日概况" in page
    assert 'href="/console/today?site=xiangshan-study' in page
    assert "各站点今日概况" not in c.get("/console/today?site=xiangshan-study").text


def test_a_communitys_own_numbers_work_from_import_to_a_kiosk_sign_in(console):
    """BK-0012, as on the register the community kept before: imported as it is, found by
    it, signed in at a kiosk under it, shown on its page."""
    from datetime import timedelta

    from kiosk.core.ids import uuid7_at

    from .conftest import csrf_of

    c = console.login("wang")
    token = csrf_of(c.get("/console/volunteers/import").text)
    sheet = "姓名,志愿者编号,队伍\n周敏,bk-0012,书房队\n吴昊,2019017,书房队\n".encode()
    r = c.post(
        "/console/volunteers/import",
        data={"csrf_token": token},
        files={"file": ("名册.csv", sheet, "text/csv")},
    )
    assert r.status_code == 200 and "BK-0012" in r.text, r.text[:500]
    upload = re.search(r'name="upload" value="([^"]+)"', r.text).group(1)
    r = c.post(
        "/console/volunteers/import", data={"csrf_token": token, "apply": "1", "upload": upload}
    )
    assert r.status_code == 200, r.text[:500]
    assert "BK-0012" in c.get("/console/volunteers", params={"q": "bk-00"}).text
    code = console.store.create_enrollment_code("xiangshan-study", console.clock(), timedelta(1))
    kiosk = console.store.enroll(code, "书房", console.clock()).kiosk_id
    now = console.clock()
    eid = uuid7_at(int(now.timestamp() * 1000))
    ev = {
        "id": eid,
        "kiosk_id": kiosk,
        "seq": 1,
        "type": "attendance.sign_in",
        "occurred_at": now.isoformat(timespec="milliseconds"),
        "clock_offset_ms": 0,
        "actor": "BK-0012",
        "payload": {
            "session_id": eid,
            "activity_id": f"GEN-XS-{now:%Y%m%d}",
            "site_id": "xiangshan-study",
        },
    }
    (result,), _ = console.store.ingest(kiosk, [ev], now)
    assert result["status"] == "accepted", result
    page = c.get("/console/volunteers/BK-0012").text
    sessions = page[page.index("<tbody") :]
    assert "周敏" in page and "香山书房" in sessions and "签到中" in sessions
