"""Roster spreadsheets as community workers make them: xlsx, UTF-8 or GBK CSV, zh/en headers."""

from __future__ import annotations

from sync.ledger.staff.roster_import import parse_roster
from tests.staff_tools.helpers import xlsx


def test_xlsx_with_a_title_line_and_chinese_headers(tmp_path):
    f = xlsx(
        tmp_path / "名册.xlsx",
        [
            ["博凯社区志愿者名册"],
            ["姓名", "手机", "志愿者编号", "队伍", "i志愿 ID"],
            ["张晓明", 13800138000, "V000101", "夕阳红服务队", "IV-1"],
            ["陳大文", "+852 6123 4567", "", "港澳志愿服务队", ""],
            ["Anna Müller", "", "v000104", "博译", None],
        ],
    )
    result = parse_roster(f)
    assert result.errors == []
    assert [(r.row, r.volunteer_id, r.name, r.phone) for r in result.rows] == [
        (3, "V000101", "张晓明", "13800138000"),
        (4, "", "陳大文", "+85261234567"),
        (5, "V000104", "Anna Müller", ""),
    ]
    assert result.rows[0].ivolunteer_id == "IV-1" and result.rows[0].team == "夕阳红服务队"


def test_gbk_csv_with_english_headers(tmp_path):
    f = tmp_path / "roster.csv"
    f.write_bytes(
        "Name,Phone,Volunteer ID,Team,Status\n王喆,139 0000 1111,V000105,心灵帆船,\n"
        "赵彧,13700001111,V000107,心灵帆船,离开\n".encode("gbk")
    )
    result = parse_roster(f)
    assert result.errors == []
    # A blank status is "" (keep what the ledger holds), not "active": a suspension is never lifted by accident.
    assert [(r.name, r.status) for r in result.rows] == [("王喆", ""), ("赵彧", "inactive")]


def test_every_row_is_checked_and_errors_name_row_and_column(tmp_path):
    f = xlsx(
        tmp_path / "bad.xlsx",
        [
            ["姓名", "手机", "志愿者编号"],
            ["", "13800138000", "V000001"],
            ["李四", "12345", "V000002"],
            ["王五", "13900139000", "V000002"],
            ["赵六", "13900139000", "X_1"],
        ],
    )
    result = parse_roster(f)
    messages = [str(e) for e in result.errors]
    assert messages == [
        "row 2, column 姓名: 姓名为空 / name is empty",
        "row 3, column 手机: '12345' 不是手机号码 / '12345' is not a mobile number",
        "row 4, column 志愿者编号: 编号 V000002 重复（另见第 3 行） / duplicate id V000002 (also row 3)",
        "row 5, column 志愿者编号: 编号 'X_1' 只能用字母、数字和 -（最多 32 位），如 V000123 或"
        " BK-0012 / 'X_1': an id is letters, digits and - (up to 32), like V000123",
        "row 5, column 手机: 手机号重复（另见第 4 行） / duplicate phone number (also row 4)",
    ]


def test_a_communitys_own_numbers_import_as_they_are(tmp_path):
    f = xlsx(
        tmp_path / "own.xlsx",
        [["姓名", "志愿者编号"], ["周敏", "BK-0012"], ["吴昊", "2019017"], ["郑欣", "v000123"]],
    )
    result = parse_roster(f)
    assert result.errors == []
    assert [r.volunteer_id for r in result.rows] == ["BK-0012", "2019017", "V000123"]


def test_malformed_files_get_a_clear_answer(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    assert "请使用 .xlsx 或 .csv 文件 / use an .xlsx or .csv" in str(
        parse_roster(tmp_path / "a.txt").errors[0]
    )
    (tmp_path / "b.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert "cannot open b.xlsx" in str(parse_roster(tmp_path / "b.xlsx").errors[0])
    (tmp_path / "c.csv").write_text("foo,bar\n1,2\n")
    assert "找不到表头行" in str(parse_roster(tmp_path / "c.csv").errors[0])
    (tmp_path / "d.csv").write_text("手机,队伍\n13800138000,x\n")
    assert "缺少列 / missing column(s): 姓名" in str(parse_roster(tmp_path / "d.csv").errors[0])
    (tmp_path / "e.csv").write_bytes(b"\xff\xfe\x00\xd8garbage\x81")
    assert parse_roster(tmp_path / "e.csv").errors
