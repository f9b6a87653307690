"""Reading the spreadsheets community workers keep: .xlsx, or .csv in UTF-8, GBK or Big5.

Headers may be Chinese or English; each table declares its columns with every name a
worker might write, and rows come back as dicts keyed by the canonical column name,
with the spreadsheet's own row number for error messages.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.core.text import bad_char, escape

# A cell starting with one of these is a formula to Excel and WPS (OWASP, CSV injection):
# "=HYPERLINK(...)" in a name would become a live link in a community worker's 台账.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class SheetError(ValueError):
    """The file as a whole cannot be read (wrong type, unknown encoding, no header). Its
    message is in Chinese, then English, like the row errors: community workers read it."""


@dataclass(frozen=True)
class Column:
    key: str
    names: tuple[str, ...]  # every header spelling accepted, compared case- and space-insensitively
    required: bool = False


@dataclass
class Sheet:
    rows: list[tuple[int, dict[str, str]]]  # (row number as the worker sees it, values)
    columns: dict[str, str]  # canonical key -> header as written in the file


def _norm(text: str) -> str:
    return "".join(str(text).split()).lower().replace("_", "").replace("-", "")


# Limits on what a spreadsheet may make the ledger do. A community's roster is at most
# some tens of thousands of rows of short cells; a file beyond these is refused with a
# message before it can take the server's memory (a 106 KB .xlsx claiming column XFD,
# one 300 MB cell in a 310 KB file).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 2_000
MAX_XLSX_MEMBERS = 500
MAX_XLSX_MEMBER_BYTES = 40 * 1024 * 1024  # one part of the workbook, decompressed
MAX_XLSX_TOTAL_BYTES = 80 * 1024 * 1024

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_MB = 1024 * 1024


def _common_hanzi(ch: str) -> bool:
    """A character of everyday names: GB 2312's hanzi, or Big5's common ones (常用字)."""
    for encoding, lead in (("gb2312", (0xB0, 0xF7)), ("big5", (0xA4, 0xC6))):
        try:
            b = ch.encode(encoding)
        except UnicodeEncodeError:
            continue
        if len(b) == 2 and lead[0] <= b[0] <= lead[1]:
            return True
    return False


def _plausibility(text: str) -> float:
    """How much of the non-ASCII text is everyday hanzi. Big5 read as GBK comes out as kana,
    Greek and private-use characters; GBK read as Big5 as rare traditional ones."""
    sample = [c for c in text[:20_000] if ord(c) > 127]
    return sum(map(_common_hanzi, sample)) / len(sample) if sample else 1.0


def detect_encoding(raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else GB 18030 (a superset of GBK and
    GB 2312) or Big5 (with the Hong Kong characters), whichever reads as names."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                raw.decode(encoding)
                return encoding
            except UnicodeDecodeError:
                break  # not what its first bytes claim: try the others
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    scores = {}
    for encoding in ("gb18030", "big5hkscs"):
        try:
            scores[encoding] = _plausibility(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    if not scores:
        raise SheetError(
            "CSV 文件不是 UTF-8、GBK/GB18030 或 Big5 编码，请在 Excel 中另存为“CSV UTF-8”"
            " / the CSV file is not UTF-8, GBK/GB18030 or Big5 text: save it as 'CSV UTF-8'"
        )
    # A tie (a file with few Chinese characters) goes to GB 18030: this is the mainland.
    return max(scores, key=lambda e: (scores[e], e == "gb18030"))


def _suspect(ch: str) -> bool:
    o = ord(ch)
    return o == 0xFFFD or 0xE000 <= o <= 0xF8FF or o >= 0xF0000


def _decode(raw: bytes) -> str:
    encoding = detect_encoding(raw)
    text = raw.decode(encoding)
    for line_no, line in enumerate(text.splitlines(), start=1):
        if any(_suspect(c) for c in line):
            raise SheetError(
                f"第 {line_no} 行有无法识别的字符（按 {encoding} 读取），文件可能不是这种编码；"
                f"请在 Excel 中另存为“CSV UTF-8”后再导入 / line {line_no} has characters that"
                f" cannot be right (read as {encoding}): save the file as 'CSV UTF-8' and try again"
            )
    return text


def _too_long(row: int, col: int) -> SheetError:
    return SheetError(
        f"第 {row} 行第 {col} 列的内容超过 {MAX_CELL_CHARS} 个字符 / row {row}, column {col}:"
        f" the cell is longer than {MAX_CELL_CHARS} characters"
    )


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SheetError(
            f"{path.name} 太大（{size / _MB:.0f} MB），上限 {MAX_FILE_BYTES // _MB} MB"
            f" / {path.name} is too large ({size / _MB:.0f} MB; at most {MAX_FILE_BYTES // _MB} MB)"
        )


def _check_zip(path: Path) -> None:
    """The workbook's parts, by the sizes the zip directory declares, before anything is
    decompressed; the reader below stops at the same sizes if they were understated."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SheetError(
            f"无法作为 Excel 工作簿打开 {path.name} / cannot open {path.name} as an Excel"
            " workbook (damaged, or not .xlsx)"
        ) from exc
    total = sum(m.file_size for m in members)
    if (
        len(members) > MAX_XLSX_MEMBERS
        or max((m.file_size for m in members), default=0) > MAX_XLSX_MEMBER_BYTES
        or total > MAX_XLSX_TOTAL_BYTES
    ):
        raise SheetError(
            f"{path.name} 解压后太大（{total / _MB:.0f} MB），上限 {MAX_XLSX_TOTAL_BYTES // _MB} MB；"
            f"请只保留需要导入的表格 / {path.name} is too large once unpacked ({total / _MB:.0f} MB;"
            f" at most {MAX_XLSX_TOTAL_BYTES // _MB} MB): keep only the sheet to import"
        )


def _rows_capped(rows, row_offset: int = 1):
    """Rows as lists of stripped text, refusing more rows or longer cells than the limits."""
    out = []
    for i, row in enumerate(rows):
        if i >= MAX_ROWS:
            raise SheetError(
                f"表格超过 {MAX_ROWS:,} 行，请分成几个文件 / more than {MAX_ROWS:,} rows: split the file"
            )
        cells = []
        for j, v in enumerate(row[:MAX_COLUMNS]):
            text = _cell(v)
            if len(text) > MAX_CELL_CHARS:
                raise _too_long(i + row_offset, j + 1)
            if (bad := bad_char(text, multiline=True)) is not None:
                raise SheetError(
                    f"第 {i + row_offset} 行第 {j + 1} 列有不可见的控制字符 {bad}，请删除后再导入"
                    f" / row {i + row_offset}, column {j + 1}: a control character ({bad}): remove it"
                )
            cells.append(text)
        out.append(cells)
    return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores phone numbers and ids as floats
    return str(value).strip()


def safe_text(value: str) -> str:
    """A text as it may be written out: controls escaped (``\\u0007``), so no stored value
    can break a file."""
    return escape(value)


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: text escaped, and a text that would start a formula
    prefixed with ``'`` as OWASP describes. Numbers stay numbers."""
    if isinstance(value, str):
        value = escape(value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def read_table(path: str | Path) -> list[list[str]]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _check_size(path)
        text = _decode(path.read_bytes())
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text), dialect)
        try:
            return _rows_capped(reader)
        except csv.Error as exc:  # a field over the csv module's limit, a stray quote
            raise SheetError(
                f"第 {reader.line_num} 行无法读取（{exc}）/ line {reader.line_num} cannot be read: {exc}"
            ) from exc
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        _check_size(path)
        _check_zip(path)
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise SheetError(
                f"无法作为 Excel 工作簿打开 {path.name} / cannot open {path.name} as an Excel workbook: {exc}"
            ) from exc
        try:
            ws = wb.worksheets[0]
            # Read-only mode pads every row to the width the sheet claims: ask for no more
            # than the columns a table can have, and no more rows than the limit allows.
            rows = ws.iter_rows(max_col=MAX_COLUMNS, max_row=MAX_ROWS + 1, values_only=True)
            return _rows_capped(rows)
        except SheetError:
            raise
        except Exception as exc:
            raise SheetError(
                f"{path.name} 的内容无法读取 / the contents of {path.name} cannot be read: {exc}"
            ) from exc
        finally:
            wb.close()
    raise SheetError(
        f"{path.name}：请使用 .xlsx 或 .csv 文件 / use an .xlsx or .csv file"
        f" (got '{suffix or 'no extension'}')"
    )


def read_sheet(path: str | Path, columns: list[Column]) -> Sheet:
    table = read_table(path)
    lookup = {_norm(name): col.key for col in columns for name in (col.key, *col.names)}
    # The header is the first row naming at least one known column: sheets often
    # start with a title line such as "博凯社区志愿者名册".
    found = next(
        (
            (i, keys)
            for i, row in enumerate(table[:10])
            if (
                keys := {j: lookup[_norm(c)] for j, c in enumerate(row) if c and _norm(c) in lookup}
            )
        ),
        None,
    )
    if found is None:
        expected = ", ".join(f"{c.names[0]}/{c.key}" for c in columns)
        raise SheetError(
            f"找不到表头行，应有 {expected} 等列 / no header row found; expected columns such as {expected}"
        )
    index, keys = found
    missing = [c for c in columns if c.required and c.key not in keys.values()]
    if missing:
        raise SheetError(
            "缺少列 / missing column(s): " + ", ".join(f"{c.names[0]} ({c.key})" for c in missing)
        )
    header = table[index]
    rows = []
    for number, row in enumerate(table[index + 1 :], start=index + 2):
        values = {
            key: (row[i].strip() if i < len(row) and row[i] is not None else "")
            for i, key in keys.items()
        }
        if any(values.values()):
            rows.append((number, values))
    return Sheet(rows, {key: header[i] for i, key in keys.items()})
