"""The month's 台账 and the i志愿 hours file, from a day of real kiosk use synced to a
real ledger: what the kiosks did is what the workbook says."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from kiosk.core.codes import sign
from sync.ledger.staff import exports
from sync.ledger.staff.cards import private_key
from sync.ledger.staff.catalog import set_stock
from sync.ledger.staff.exports import IVOLUNTEER_COLUMNS
from tests.staff_tools.helpers import TZ, month_after, xlsx

SHEETS = [
    "考勤明细",
    "志愿者汇总",
    "活动汇总",
    "积分流水",
    "兑换记录",
    "库存变动",
    "报名",
    "异常记录",
]
CANTEEN = "A-20261129-01"  # 长者饭堂帮厨, 10:00-13:00, 15 points an hour


def at(hh: int, mm: int = 0, day: int = 29) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=TZ)


@pytest.fixture
def month(ledger, tmp_path):
    """One day at both sites: shifts, a forgotten sign-out, one person at two kiosks at once,
    a redemption, a restock, a points adjustment and a shelf count at the ledger."""
    assert (
        ledger.run(
            "import-roster",
            xlsx(
                tmp_path / "r.xlsx",
                [
                    ["姓名", "志愿者编号", "i志愿 ID"],
                    ["张晓明", "V000101", "IZ-0101"],
                    ["李秀英", "V000102", "IZ-0102"],
                ],
            ),
        )[0]
        == 0
    )
    front, fclock = ledger.kiosk("front", "service-center", at(10))
    study, sclock = ledger.kiosk("study", "xiangshan-study", at(10, 10))
    key = private_key(ledger.store)
    card = {v: sign(key, "V", v, 1) for v in ("V000101", "V000102", "V000104", "V000110")}
    assert front.scan(card["V000101"], activity_id=CANTEEN).kind == "signed_in"
    assert front.scan(card["V000102"], activity_id=CANTEEN).kind == "signed_in"
    assert front.scan(card["V000104"], activity_id="GEN-SC-20261129").kind == "signed_in"
    assert study.scan(card["V000104"]).kind == "signed_in"  # ... and at the study at the same time
    fclock.now, sclock.now = at(12, 30), at(11)
    out_101 = front.scan(card["V000101"])
    assert out_101.kind == "signed_out" and out_101.minutes == 150
    assert study.scan(card["V000104"]).kind == "signed_out"
    assert front.scan(card["V000104"]).kind == "signed_out"
    assert front.redeem_for("V000110", "towel").kind == "redeemed"
    assert front.restock("S0001", "towel", 5, "街道配送").ok
    assert front.adjust_points("S0001", "V000103", 10, "活动策划奖励").ok
    assert front.adjust_points(
        "S0001", "V000105", 5, "bonus"
    ).ok  # a reason the kiosk's screen offers
    fclock.now = at(15)
    assert [o.volunteer_id for o in front.close_forgotten_sessions()] == ["V000102"]
    ledger.sync(front)
    ledger.sync(study)
    set_stock(ledger.store, "xiangshan-study", "towel", 20, at(17), "月底盘点")
    return {"canteen_points": out_101.points}


def _sheet(wb, name: str) -> tuple[list, list[list]]:
    rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
    return rows[0], rows[1:]


def earned_reason_blank(journal) -> bool:
    """Service points carry no staff reason: the 原因 column is for adjustments and corrections."""
    return all(not r[11] for r in journal if r[6] == "服务积分")


def _row(rows: list[list], match: dict[int, object]) -> list:
    found = [r for r in rows if all(r[i] == v for i, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def test_the_month_workbook(ledger, month, tmp_path):
    code, out, err = ledger.run(
        "export", "--month", ledger.month(), "--out", tmp_path / "台账.xlsx"
    )
    assert code == 0, err
    assert json.loads(out)["rows"]["考勤明细"] == 4
    wb = load_workbook(tmp_path / "台账.xlsx")
    assert wb.sheetnames == SHEETS

    head, rows = _sheet(wb, "考勤明细")
    assert head == [
        "志愿者编号",
        "姓名",
        "队伍",
        "活动编号",
        "活动名称",
        "站点",
        "签到时间",
        "签退时间",
        "时长（分钟）",
        "计入时长（分钟）",
        "积分",
        "标记",
        "自助机",
    ]
    r = _row(rows, {0: "V000101"})
    assert r[1:7] == [
        "张晓明",
        "夕阳红服务队",
        CANTEEN,
        "长者饭堂帮厨",
        "党群服务中心",
        datetime(2026, 11, 29, 10, 0),
    ]
    assert (
        r[7:11] == [datetime(2026, 11, 29, 12, 30), 150, 150, month["canteen_points"]]
        and r[11] is None
    )
    forgotten = _row(rows, {0: "V000102"})
    assert "自动签退" in forgotten[11] and forgotten[7] == datetime(2026, 11, 29, 13, 0)
    both = [x for x in rows if x[0] == "V000104"]
    assert len(both) == 2 and all("时段重叠" in x[11] for x in both)
    assert {x[5] for x in both} == {"党群服务中心", "香山书房"}

    head, vols = _sheet(wb, "志愿者汇总")
    assert head[:8] == [
        "志愿者编号",
        "姓名",
        "队伍",
        "服务次数",
        "时长（分钟）",
        "计入时长（分钟）",
        "计入时长（小时）",
        "服务积分",
    ]
    v101 = _row(vols, {0: "V000101"})
    assert v101[3:8] == [1, 150, 150, 2.5, month["canteen_points"]]
    assert _row(vols, {0: "V000110"})[8] == 30  # the towel
    assert _row(vols, {0: "V000103"})[9] == 10  # the adjustment
    total = vols[-1]
    assert total[0] == "合计"
    for col in (3, 4, 5, 7, 8, 9, 10, 11, 12):
        assert total[col] == sum(x[col] for x in vols[:-1])
    assert total[7] == sum(x[10] for x in rows)  # the totals agree with the detail

    _, acts = _sheet(wb, "活动汇总")
    canteen = _row(acts, {0: CANTEEN})
    assert canteen[4:6] == [2, 2] and canteen[7] == 150 + forgotten[9]
    assert acts[-1][0] == "合计" and acts[-1][4] == 4 and acts[-1][5] == 3  # 4 turns by 3 people

    head, journal = _sheet(wb, "积分流水")
    assert head[:7] == ["分录号", "发生时间", "入账时间", "志愿者编号", "姓名", "积分变动", "类型"]
    assert _row(journal, {3: "V000110", 6: "兑换"})[5] == -30
    adj = _row(journal, {3: "V000103", 6: "人工调整"})
    assert adj[5] == 10 and adj[10] == "S0001" and head[11] == "原因" and adj[11] == "活动策划奖励"
    assert (
        _row(journal, {3: "V000105", 6: "人工调整"})[11] == "额外奖励"
    )  # as the kiosk's screen named it
    assert earned_reason_blank(journal)
    earned = _row(journal, {3: "V000101", 6: "服务积分"})
    assert earned[5] == month["canteen_points"] and earned[1] == datetime(2026, 11, 29, 12, 30)

    _, reds = _sheet(wb, "兑换记录")
    assert len(reds) == 1
    assert reds[0][2:10] == [
        "V000110",
        "周建国",
        "towel",
        "毛巾",
        30,
        "党群服务中心",
        "K-SC-01",
        "已完成",
    ]
    assert reds[0][11]  # the pickup number staff hand the goods over against

    _, moves = _sheet(wb, "库存变动")
    assert [(m[1], m[2], m[4], m[5]) for m in moves] == [
        ("党群服务中心", "towel", -1, "兑换出库"),
        ("党群服务中心", "towel", 5, "补货"),
        ("香山书房", "towel", 8, "台账盘点设定"),
    ]
    assert moves[1][6] == "S0001" and moves[1][8] == "街道配送" and "由 12 设为 20" in moves[2][8]

    _, exc = _sheet(wb, "异常记录")
    assert [(e[2], e[3]) for e in exc] == [("时段重叠", "V000104")]

    # Another month holds none of it.
    after = month_after(ledger.month())
    assert ledger.run("export", "--month", after, "--out", tmp_path / "dec.xlsx")[0] == 0
    dec = load_workbook(tmp_path / "dec.xlsx")
    assert _sheet(dec, "考勤明细")[1] == [] and _sheet(dec, "兑换记录")[1] == []


def test_csv_files_open_right_in_excel(ledger, month, tmp_path):
    code, out, err = ledger.run(
        "export", "--month", ledger.month(), "--format", "csv", "--out", tmp_path / "csv"
    )
    assert code == 0, err
    files = [tmp_path / "csv" / f"台账-2026-11-{s}.csv" for s in SHEETS]
    assert json.loads(out)["files"] == [str(f) for f in files]
    for f in files:
        assert f.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(files[0].read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][0] == "志愿者编号" and len(rows) == 5
    r = next(x for x in rows if x[0] == "V000101")
    assert r[6:11] == [
        "2026-11-29 10:00:00",
        "2026-11-29 12:30:00",
        "150",
        "150",
        str(month["canteen_points"]),
    ]


def test_ivolunteer_hours_file(ledger, month, tmp_path):
    code, out, err = ledger.run(
        "export-ivolunteer", "--month", ledger.month(), "--out", tmp_path / "iv.csv"
    )
    assert code == 0, err
    assert json.loads(out) == {
        "ok": True,
        "file": str(tmp_path / "iv.csv"),
        "rows": 4,
        "missing_ivolunteer_id": 2,
    }
    assert "2 row(s) have no i志愿 id" in err
    raw = (tmp_path / "iv.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == IVOLUNTEER_COLUMNS
    by = {(r[2], r[4]): r for r in rows[1:]}
    assert by[("V000101", CANTEEN)] == [
        "张晓明",
        "IZ-0101",
        "V000101",
        "长者饭堂帮厨",
        CANTEEN,
        "2026-11-29",
        "10:00",
        "12:30",
        "2.50",
        "1",
        "",
    ]
    assert (
        by[("V000102", CANTEEN)][1] == "IZ-0102" and "含需核实记录" in by[("V000102", CANTEEN)][10]
    )
    assert sorted(k for k in by if k[0] == "V000104") == [
        ("V000104", "GEN-SC-20261129"),
        ("V000104", "GEN-XS-20261129"),
    ]
    assert "缺少i志愿ID" in by[("V000104", "GEN-SC-20261129")][10]

    code, _, _ = ledger.run(
        "export-ivolunteer",
        "--month",
        ledger.month(),
        "--out",
        tmp_path / "gbk.csv",
        "--encoding",
        "gbk",
        "--with-phone",
    )
    gbk = list(csv.reader((tmp_path / "gbk.csv").read_bytes().decode("gbk").splitlines()))
    assert code == 0 and gbk[0][:3] == ["志愿者姓名", "手机号", "i志愿ID"]


def test_exports_over_http(ledger, month):
    assert ledger.client.get("/v1/admin/export?month=2026-11").status_code == 401
    r = ledger.client.get("/v1/admin/export?month=2026-11", headers=ledger.auth)
    assert (
        r.status_code == 200
        and "filename*=UTF-8''%E5%8F%B0%E8%B4%A6-2026-11.xlsx" in r.headers["content-disposition"]
    )
    assert load_workbook(io.BytesIO(r.content)).sheetnames == SHEETS
    r = ledger.client.get("/v1/admin/export?month=2026-11&format=csv", headers=ledger.auth)
    assert sorted(zipfile.ZipFile(io.BytesIO(r.content)).namelist()) == sorted(
        f"台账-2026-11-{s}.csv" for s in SHEETS
    )
    r = ledger.client.get("/v1/admin/export-ivolunteer?month=2026-11", headers=ledger.auth)
    assert r.status_code == 200 and r.content.decode("utf-8-sig").startswith(
        ",".join(IVOLUNTEER_COLUMNS)
    )
    r = ledger.client.get("/v1/admin/export?month=2026-13", headers=ledger.auth)
    assert r.status_code == 422 and "YYYY-MM" in r.json()["message"]
    code, _, err = ledger.run("export", "--month", "11/2026")
    assert code == 2 and "月份请写成 2026-11" in err


def test_reason_names_are_the_kiosk_screens_names():
    """The 台账 names every preset reason as the kiosk's zh-Hans screen does."""
    from kiosk.core import reasons
    from kiosk.ui.i18n import Translator

    t = Translator()
    screens = {
        **{r: t.t(f"staff.reason.{r}", "zh-Hans") for r in reasons.STOCK},
        **{r: t.t(f"staff.correct.reasons.{r}", "zh-Hans") for r in reasons.CORRECTION},
        **{r: t.t(f"staff.points.reasons.{r}", "zh-Hans") for r in reasons.POINTS},
    }
    assert screens == exports.REASONS


def test_the_workbook_reads_as_a_worker_expects(ledger, month, tmp_path):
    # headers bold and kept in view, times shown as times, the total row bold
    code, _out, err = ledger.run(
        "export", "--month", ledger.month(), "--out", tmp_path / "台账.xlsx"
    )
    assert code == 0, err
    wb = load_workbook(tmp_path / "台账.xlsx")
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.b for c in ws[1] if c.value), ws.title
    ws = wb["考勤明细"]
    signed_in = ws.cell(row=2, column=7)
    assert isinstance(signed_in.value, datetime)
    assert signed_in.number_format == "yyyy-mm-dd hh:mm"
    assert ws.column_dimensions["G"].width >= 20
    totals = [r for r in wb["志愿者汇总"].iter_rows() if r[0].value == "合计"]
    assert len(totals) == 1 and totals[0][0].font.b
    # a big month streams to disk: every sheet's rows are written, none lost at the end
    assert wb["考勤明细"].max_row == 1 + 4
