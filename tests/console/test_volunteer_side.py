"""Issue 15 in the console: the ledger's sign-up lists (signed up, waiting list, came, did
not come) on the 今日 and 活动 pages, star levels on a volunteer's page, and the button
that issues a 志愿服务证明 (recorded, and known to /verify)."""

from __future__ import annotations

import re
from datetime import timedelta

from kiosk.store.ids import uuid7
from sync.ledger.db.console import AuditFilter
from sync.ledger.staff import records
from tests.console.conftest import csrf_of


def _lists(html: str) -> dict[str, str]:
    """Each sign-up list's section, by its label."""
    return dict(
        re.findall(r'<section class="signup-list" aria-label="([^"]+)">(.*?)</section>', html, re.S)
    )


def _kiosk_events(console, events: list[tuple[str, str, dict]]) -> None:
    code = console.store.create_enrollment_code("service-center", console.clock(), timedelta(1))
    kiosk = console.store.enroll(code, "前台", console.clock()).kiosk_id
    batch = []
    for seq, (etype, actor, payload) in enumerate(events, 1):
        at = console.clock() + timedelta(seconds=seq)
        eid = uuid7(int(at.timestamp() * 1000))
        if etype == "attendance.sign_in":
            payload = {**payload, "session_id": eid}
        batch.append(
            {
                "id": eid,
                "kiosk_id": kiosk,
                "seq": seq,
                "type": etype,
                "occurred_at": at.isoformat(timespec="milliseconds"),
                "clock_offset_ms": 0,
                "actor": actor,
                "payload": payload,
            }
        )
    results, _ = console.store.ingest(kiosk, batch, console.clock())
    assert [r["status"] for r in results] == ["accepted"] * len(batch), results


def test_sign_up_lists_reach_today_and_the_activities(console):
    day = console.clock().date()
    today_act = f"A-{day:%Y%m%d}-01"  # 10:00-13:00, 8 places, V000101 and V000102 signed up
    soon = day + timedelta(days=2)
    small = f"A-{soon:%Y%m%d}-11"  # 2 places, V000104 holds one
    here = {"activity_id": today_act, "site_id": "service-center"}
    _kiosk_events(
        console,
        [
            ("signup.add", "V000103", here),
            ("signup.add", "V000105", {"activity_id": small, "site_id": "service-center"}),
            ("signup.add", "V000106", {"activity_id": small, "site_id": "service-center"}),
        ],
    )
    console.clock.move(minutes=40)  # 10:10: the activity has begun
    _kiosk_events(console, [("attendance.sign_in", "V000101", here)])
    c = console.login("wang")

    page = c.get("/console/today?site=service-center").text
    card = page[page.index(f'id="act-{today_act}"') :]
    card = card[: card.index("</article>")]
    lists = _lists(card)
    assert set(lists) == {"已报名", "候补", "来了", "未到"}
    assert all(v in lists["已报名"] for v in ("V000101", "V000102", "V000103"))
    assert "V000101" in lists["来了"] and "V000101" not in lists["未到"]
    assert "V000102" in lists["未到"] and "V000103" in lists["未到"]
    assert "报名 3 / 名额 8" in card

    # Before it begins nobody has failed to come; the full one has a waiting list, in order.
    detail = c.get(f"/console/activities/{small}").text
    lists = _lists(detail)
    assert "V000104" in lists["已报名"] and "V000105" in lists["已报名"]
    assert "V000106" in lists["候补"] and "V000106" not in lists["已报名"]
    assert "V0001" not in lists["未到"] and "V0001" not in lists["来了"]
    month = c.get(f"/console/activities?month={soon:%Y-%m}&lang=en").text
    row = month[month.index(f"/console/activities/{small}") :]
    row = row[: row.index("</tr>")]
    assert "2 / 2" in row and "1 waiting" in row


def test_star_levels_and_a_certificate_from_the_volunteers_page(console):
    records.set_ledger_settings(console.store, {"star_thresholds": "10,20,30,40,50"})
    c = console.login("wang")
    page = c.get("/console/volunteers/V000102").text  # 李秀英, 48 hours in all
    assert "★★★★☆" in page and "4 星志愿者" in page and "再服务 2.0 小时达到 5 星" in page
    assert "还没有出具过证明" in page
    newcomer = c.get("/console/volunteers/V000106").text  # 刘昇, no hours yet
    assert "☆☆☆☆☆" in newcomer and "尚未评星" in newcomer and "0 星" not in newcomer

    r = c.post(
        "/console/volunteers/V000102/certificate",
        data={"csrf_token": csrf_of(page), "from": "", "to": ""},
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf"
    with console.store.read() as tx:
        (issued,) = tx.certificates("V000102")
    assert issued["issued_by"].startswith("account:")
    assert issued["number"] in c.get("/console/volunteers/V000102").text
    check = c.get("/verify.json", params={"number": issued["number"]}).json()
    assert check["status"] == "genuine" and check["volunteer_id"] == "V000102"
    audit = c.get("/console/audit").text
    assert "出具志愿服务证明" in audit
    with console.db.read() as r:
        (entry,) = r.audit_entries(AuditFilter(action="console.certificate.issue"))
    assert (
        entry.after["number"] == issued["number"] and entry.after["from"] == issued["period_from"]
    )

    bad = c.post(
        "/console/volunteers/V000102/certificate",
        data={"csrf_token": csrf_of(page), "from": "2026-13-01"},
    )
    assert bad.status_code == 422 and "日期格式应为" in bad.text
    zhao = console.login("zhao")  # 只读: reports only
    token = csrf_of(zhao.get("/console/password").text)
    refused = zhao.post("/console/volunteers/V000102/certificate", data={"csrf_token": token})
    assert refused.status_code == 403 and "无权访问" in refused.text
    with console.store.read() as tx:
        assert len(tx.certificates("V000102")) == 1


def test_the_settings_page_sets_the_one_organisation_name(console):
    """设置: what a certificate and the poster name, without a terminal; administrators only."""
    c = console.login("wang")
    page = c.get("/console/settings").text
    assert 'value="博凯社区新时代文明实践站"' in page  # the demo's
    form = {"csrf_token": csrf_of(page)}
    form |= {k: v for k, v in records.ledger_settings(console.store).items()}
    form |= {"org_name": "博凯社区", "star_thresholds": "10，20,30,40,50"}
    r = c.post("/console/settings", data=form, follow_redirects=False)
    assert r.status_code == 303
    settings = records.ledger_settings(console.store)
    assert settings["org_name"] == "博凯社区" and settings["star_thresholds"] == "10,20,30,40,50"
    assert "修改了设置" in c.get("/console/audit").text

    bad = c.post("/console/settings", data={**form, "star_thresholds": "5,4,3"})
    assert bad.status_code == 422 and "星级门槛要写五个" in bad.text
    assert records.ledger_settings(console.store)["star_thresholds"] == "10,20,30,40,50"
    li = console.login("li")  # 站点工作人员
    assert li.get("/console/settings").status_code == 403
