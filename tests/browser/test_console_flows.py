"""The community worker's tasks in a real browser against a real ledger process: each test
does what a person would, with the keyboard and mouse, and checks what the page shows."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import requests
from playwright.sync_api import expect

from devtools.console_browser import login
from kiosk.cli import main as kiosk_main
from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import Store
from sync.agent import enroll, sync_once


def test_log_in_and_out_with_the_keyboard(page, ledger):
    page.goto(ledger.console("/console/today"))
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.get_by_label("账户名").fill("wang")
    page.keyboard.press("Tab")
    page.keyboard.type("wang-secret-1")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/today$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("今日")
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    page.goto(ledger.console("/console/today"))
    expect(page).to_have_url(re.compile(r"/console/login"))


def test_wrong_password_is_refused_and_then_locks(page, ledger):
    for _ in range(5):
        page.goto(ledger.console("/console/login"))
        page.get_by_label("账户名").fill("nobody-here")
        page.get_by_label("密码").fill("guess")
        page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("输错次数太多")


def _sheet(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def test_import_a_roster_with_an_error_then_fixed(page, ledger, tmp_path):
    login(page, ledger.url, "wang")
    bad = _sheet(
        tmp_path / "名册.xlsx",
        [
            ["姓名", "手机", "志愿者编号", "队伍"],
            ["孙悦", "13911112222", "BK-0001", "书房队"],
            ["", "13911113333", "BK-0002", "书房队"],
        ],
    )
    page.goto(ledger.console("/console/volunteers/import"))
    page.get_by_label("名册文件（.xlsx 或 .csv）").set_input_files(str(bad))
    page.get_by_role("button", name="检查文件（先不写入）").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("文件有 1 处问题")
    expect(page.locator("table")).to_contain_text("姓名为空")
    good = _sheet(
        tmp_path / "名册2.xlsx",
        [
            ["姓名", "手机", "志愿者编号", "队伍"],
            ["孙悦", "13911112222", "BK-0001", "书房队"],
            ["钱多多", "13911113333", "BK-0002", "书房队"],
        ],
    )
    page.get_by_label("名册文件（.xlsx 或 .csv）").set_input_files(str(good))
    page.get_by_role("button", name="检查文件（先不写入）").click()
    expect(page.get_by_role("heading", name="预览：将要做的改动")).to_be_visible()
    expect(page.locator("section.msg")).to_contain_text("新增 2 人")
    # Nothing is written by the preview (looked up in a second tab).
    other = page.context.new_page()
    other.goto(ledger.console("/console/volunteers?q=BK-0001"))
    expect(other.locator("#results")).to_contain_text("没有找到")
    other.close()
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("status").first).to_contain_text("已导入：新增 2 人")
    # Search as you type: by the community's own number, then by pinyin initials.
    page.goto(ledger.console("/console/volunteers"))
    page.get_by_label("查找志愿者").press_sequentially("qdd", delay=30)
    expect(page.locator("#results")).to_contain_text("钱多多")
    expect(page.locator("#results")).to_contain_text("BK-0002")


def test_create_an_activity(page, ledger):
    login(page, ledger.url, "wang")
    page.goto(ledger.console("/console/activities/new"))
    page.get_by_label("活动名称（中文）").fill("书房读书会")
    page.get_by_label("英文名称").fill("Reading circle")
    page.get_by_label("站点").select_option("xiangshan-study")
    page.get_by_label("日期").fill("2026-11-29")
    page.get_by_label("开始").fill("14:00")
    page.get_by_label("结束").fill("16:00")
    page.get_by_label("名额（空为不限）").fill("12")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存")
    expect(page.get_by_role("heading", level=1)).to_contain_text("书房读书会")
    page.goto(ledger.console("/console/activities?month=2026-11"))
    expect(page.locator("table")).to_contain_text("书房读书会")


def _kiosk(ledger, tmp_path: Path, site: str, name: str):
    from tests.sync.conftest import StepClock

    store = Store.in_dir(tmp_path / f"kiosk-{name}", create=True)
    clock = StepClock(ledger.proc.now())
    result = enroll(store, ledger.url, ledger.proc.enroll_code(site), name, clock=clock)
    assert result["ok"], result
    return store, Kiosk(store, KioskConfig(), clock=clock), clock


def test_kiosk_sign_ins_show_on_today_and_kiosks(page, ledger, tmp_path):
    store, kiosk, clock = _kiosk(ledger, tmp_path, "service-center", "前台")
    for vid in ("V000101", "V000102"):
        outcome = kiosk.scan(ledger.proc.card(vid))
        assert outcome.ok, outcome
    assert sync_once(store, clock=clock)["ok"]
    login(page, ledger.url, "wang")
    page.goto(ledger.console("/console/today?site=service-center"))
    live = page.locator("#today-live")
    expect(live).to_contain_text("张晓明")
    expect(live).to_contain_text("李秀英")
    expect(live).to_contain_text("人正在签到")
    # 自助机: the kiosk, its last contact and the queue it reported.
    page.goto(ledger.console("/console/kiosks"))
    row = page.locator("tr", has_text="前台")
    expect(row).to_contain_text("党群服务中心")
    expect(row).to_contain_text("正常")
    store.close()


def test_enroll_a_new_kiosk_with_its_camera(page, ledger, tmp_path, capsys):
    """自助机 → 登记新自助机: the QR code on the page, as the new kiosk's camera sees the screen,
    enrolls it at the site chosen (`kiosk enroll --scan`, the real decoder)."""
    from tests.sync.conftest import StepClock

    login(page, ledger.url, "wang")
    page.goto(ledger.console("/console/kiosks"))
    page.locator("#enroll-site").select_option("xiangshan-study")
    page.get_by_role("button", name="生成登记二维码").click()
    expect(page.locator("main img")).to_have_attribute("alt", re.compile("自助机登记二维码"))
    camera = tmp_path / "camera"
    camera.mkdir()
    page.screenshot(path=str(camera / "screen.png"))
    capsys.readouterr()
    args = ["enroll", "--scan", "--camera", str(camera), "--timeout", "30", "--name", "书房二号"]
    code = kiosk_main(
        args + ["--data-dir", str(tmp_path / "kiosk")], clock=StepClock(ledger.proc.now())
    )
    assert code == 0, capsys.readouterr()
    page.goto(ledger.console("/console/kiosks"))
    expect(page.locator("tr", has_text="书房二号")).to_contain_text("香山书房")


def test_resolve_an_overdraft(page, ledger, tmp_path):
    a, ka, ca = _kiosk(ledger, tmp_path, "service-center", "A")
    b, kb, cb = _kiosk(ledger, tmp_path, "xiangshan-study", "B")
    # Both kiosks know V000103 has 45 points; each hands over a 40-point ticket.
    assert ka.redeem(ledger.proc.card("V000103"), "film-ticket").ok
    assert kb.redeem(ledger.proc.card("V000103"), "film-ticket").ok
    assert sync_once(a, clock=ca)["ok"] and sync_once(b, clock=cb)["ok"]
    login(page, ledger.url, "wang")
    page.goto(ledger.console("/console/exceptions?kind=overdraft"))
    card = page.locator("article", has_text="V000103")
    expect(card).to_contain_text("积分透支")
    card.get_by_label("撤销（退回积分和库存）").check()
    card.get_by_label("处理说明").fill("票已退回")
    card.get_by_role("button", name=re.compile("处理")).click()
    expect(page.get_by_role("status")).to_contain_text("已处理")
    page.goto(ledger.console("/console/volunteers/V000103"))
    expect(page.locator(".card", has_text="积分余额")).to_contain_text("5")
    page.goto(ledger.console("/console/audit?action=console.exception.reverse"))
    expect(page.locator("#audit-rows")).to_contain_text("account:wang")
    a.close()
    b.close()


def test_reissue_a_card(page, ledger):
    login(page, ledger.url, "wang")
    page.goto(ledger.console("/console/volunteers/V000104"))
    expect(page.locator(".card", has_text="志愿者卡")).to_contain_text("v1")
    page.on("dialog", lambda d: d.accept())
    page.get_by_label("补卡原因").fill("卡丢失")
    page.get_by_role("button", name="补办新卡").click()
    expect(page.get_by_role("status")).to_contain_text("新卡为第 2 版")
    expect(page.locator("body")).to_contain_text("已作废")
    with page.expect_download() as dl:
        page.get_by_role("link", name="打印卡片（PDF）").click()
    assert dl.value.suggested_filename == "志愿者卡-V000104.pdf"


def test_download_the_month_ledger_and_open_it(page, ledger, tmp_path):
    login(page, ledger.url, "zhao")  # 只读 may download reports
    page.goto(ledger.console("/console/reports?month=2026-11"))
    expect(page.locator("svg").first).to_be_visible()
    with page.expect_download() as dl:
        page.get_by_role("link", name="本月台账（Excel）").click()
    assert dl.value.suggested_filename == "台账-2026-11.xlsx"
    path = tmp_path / "ledger.xlsx"
    dl.value.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames
    assert wb[wb.sheetnames[0]].max_row >= 1


def test_site_staff_are_refused_another_sites_page(page, ledger):
    login(page, ledger.url, "li")
    page.goto(ledger.console("/console/today?site=xiangshan-study"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("今日")
    response = page.goto(ledger.console("/console/today?site=service-center"))
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("不能打开这个页面")
    expect(page.get_by_role("navigation", name="主菜单")).not_to_contain_text("工作人员账户")


def test_a_form_without_the_csrf_token_is_refused(page, ledger):
    login(page, ledger.url, "wang")
    page.goto(ledger.console("/console/accounts"))
    # The browser's own session cookie goes with it: only the token is missing.
    page.evaluate("document.querySelector('form.grid-form input[name=csrf_token]').remove()")
    page.get_by_label("账户名", exact=True).last.fill("mallory")
    page.get_by_role("button", name="新建").click()
    expect(page.get_by_role("alert")).to_contain_text("安全校验码")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    r = requests.post(
        ledger.console("/console/accounts"),
        data={"name": "mallory", "role": "admin"},
        cookies=cookies,
        timeout=10,
    )
    assert r.status_code == 403
    page.goto(ledger.console("/console/accounts"))
    expect(page.locator("table")).not_to_contain_text("mallory")


@pytest.mark.parametrize("zoom", [2])
def test_readable_at_200_percent(browser, ledger, zoom):
    # 200 % zoom of a 1280-pixel window: a 640-pixel-wide page, drawn twice as large.
    ctx = browser.new_context(
        locale="zh-CN", viewport={"width": 640, "height": 450}, device_scale_factor=zoom
    )
    page = ctx.new_page()
    login(page, ledger.url, "wang")
    for path in ("/console/today", "/console/volunteers/V000101", "/console/catalog"):
        page.goto(ledger.console(path))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 640 + 1, (path, width)  # no sideways scrolling of the page itself
    ctx.close()
