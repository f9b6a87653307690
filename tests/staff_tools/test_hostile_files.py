"""Attacks 4, 5 and 8 on the spreadsheet readers: small files that expand (a sheet
claiming column XFD, one huge cell, a zip bomb), a CSV field over the csv module's
limit, a Big5 or mis-encoded CSV. Each is a clear refusal, Chinese then English, before
it can take the server's memory; and a fuzz test over the importers finds nothing but
clean refusals."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from sync.ledger.staff import spreadsheet
from sync.ledger.staff.activity_import import parse_activities
from sync.ledger.staff.catalog_import import parse_catalog
from sync.ledger.staff.roster_import import parse_roster
from sync.ledger.staff.spreadsheet import SheetError, detect_encoding, read_table

try:
    import resource
except ImportError:  # pragma: no cover - not on Linux
    resource = None


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def roster_rows() -> list[list[str]]:
    return [["name", "phone", "volunteer_id"], ["陈大文", "13700001111", "V000107"]]


def small_xlsx(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def rewrite_member(path, member: str, edit) -> None:
    """Change one part of a workbook (its XML) the way a hand-made hostile file would."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    parts[member] = edit(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_a_sheet_claiming_column_xfd_reads_only_the_columns_a_table_can_have(tmp_path):
    path = small_xlsx(
        tmp_path / "wide.xlsx", roster_rows() + [["x", "", f"V{i:06d}"] for i in range(5000)]
    )
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'<dimension ref="A1:C5002" />', b'<dimension ref="A1:XFD5002" />'),
    )
    assert b"XFD" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    before = peak_mb()
    rows = read_table(path)
    assert len(rows) == 5002 and max(len(r) for r in rows) <= spreadsheet.MAX_COLUMNS
    assert peak_mb() - before < 200  # it took 738 MB before


def test_one_huge_cell_is_refused_before_it_is_unpacked(tmp_path):
    path = small_xlsx(tmp_path / "cell.xlsx", roster_rows())
    huge = b"A" * (spreadsheet.MAX_XLSX_MEMBER_BYTES + 1)
    rewrite_member(
        path,
        "xl/sharedStrings.xml"
        if "xl/sharedStrings.xml" in zipfile.ZipFile(path).namelist()
        else "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</", b"<!--" + huge + b"--></", 1),
    )
    assert path.stat().st_size < 1024 * 1024  # compresses to almost nothing
    before = peak_mb()
    with pytest.raises(SheetError) as exc:
        read_table(path)
    assert "解压后太大" in str(exc.value) and "too large once unpacked" in str(exc.value)
    assert peak_mb() - before < 100


def test_a_long_cell_is_refused_naming_its_row(tmp_path):
    path = small_xlsx(tmp_path / "long.xlsx", roster_rows() + [["张" * 5000, "", "V000108"]])
    with pytest.raises(SheetError) as exc:
        read_table(path)
    assert str(exc.value).startswith("第 3 行第 1 列") and "row 3, column 1" in str(exc.value)


def test_a_csv_field_over_128_kb_is_a_message_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "big.csv"
    path.write_text("name,volunteer_id\n" + '"' + "x" * 200_000 + '",V1\n', encoding="utf-8")
    result = parse_roster(path)
    [error] = result.errors
    assert "第 2 行" in error.message and "line 2" in error.message


def test_too_many_rows_or_too_big_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 10)
    path = tmp_path / "rows.csv"
    path.write_text("name,volunteer_id\n" + "张三,V1\n" * 20, encoding="utf-8")
    with pytest.raises(SheetError, match="more than 10 rows"):
        read_table(path)
    monkeypatch.setattr(spreadsheet, "MAX_FILE_BYTES", 100)
    with pytest.raises(SheetError, match="too large"):
        read_table(path)


# -- encodings (attack 8) ---------------------------------------------------------------------

NAMES_HANS = "王伟,李娜,张敏,刘洋,陈静,杨磊,黄丽,赵强,吴军,周杰"
NAMES_HANT = "陳大文,黃美玲,李嘉欣,張國榮,劉德華,梁朝偉,周潤發,吳彥祖,鄭秀文,謝霆鋒"


@pytest.mark.parametrize(
    ("encoding", "names", "expected"),
    [
        ("utf-8", NAMES_HANS, "utf-8"),
        ("utf-8-sig", NAMES_HANS, "utf-8-sig"),
        ("gbk", NAMES_HANS, "gb18030"),
        ("gb18030", NAMES_HANS + ",𠀀", "gb18030"),
        ("big5", NAMES_HANT, "big5hkscs"),
    ],
)
def test_each_encoding_is_recognised_and_names_come_out_right(tmp_path, encoding, names, expected):
    text = "name,volunteer_id\n" + "".join(
        f"{n},V{i:06d}\n" for i, n in enumerate(names.split(","), start=100)
    )
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode(encoding))
    assert detect_encoding(path.read_bytes()) == expected
    result = parse_roster(path)
    assert result.errors == []
    assert [r.name for r in result.rows] == names.split(",")


def test_a_big5_roster_with_english_headers_imports_with_its_names(tmp_path):
    path = tmp_path / "hk.csv"
    path.write_bytes("name,phone,volunteer_id\n陳大文,61234567,V000201\n".encode("big5"))
    [row] = parse_roster(path).rows
    assert row.name == "陳大文"


def test_a_file_that_decodes_to_private_use_characters_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "odd.csv"
    # Valid GB 18030 bytes, but for private-use code points: not a name anyone has.
    path.write_bytes(b"name,volunteer_id\n" + "王\ue000明,V1\n".encode("gb18030"))
    with pytest.raises(SheetError) as exc:
        read_table(path)
    assert str(exc.value).startswith("第 2 行") and "line 2" in str(exc.value)


# -- fuzz ---------------------------------------------------------------------------------------

PARSERS = {
    "roster": parse_roster,
    "activities": lambda p: parse_activities(p, {"service-center": {}}, set()),
    "catalog": lambda p: parse_catalog(p, {"service-center": {}}, None),
}


def _errors_of(result):
    return getattr(result, "errors", None)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(sorted(PARSERS)),
    raw=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=800).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(
            st.lists(st.text(max_size=40), min_size=1, max_size=6), min_size=1, max_size=12
        ).map(lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")),
    ),
    suffix=st.sampled_from([".csv", ".xlsx"]),
)
def test_fuzz_importers_only_ever_refuse_cleanly(tmp_path_factory, kind, raw, suffix):
    """Any bytes as a roster, activity or catalog file: a result or a SheetError-style
    message, never an exception."""
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    if suffix == ".xlsx" and raw[:2] != b"PK":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:  # a zip with arbitrary parts: half a workbook
            z.writestr("[Content_Types].xml", raw[: len(raw) // 2])
            z.writestr("xl/workbook.xml", raw[len(raw) // 2 :])
        raw = buf.getvalue()
    path.write_bytes(raw)
    result = PARSERS[kind](path)
    errors = _errors_of(result)
    assert errors is not None
    for e in errors:
        assert e.message and "/" in e.message  # Chinese, then English
