"""Reading the spreadsheets community workers keep: .xlsx, or .csv in UTF-8 or GBK.

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

from kiosk.core.text import escape

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


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK and GB 2312
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(
        "CSV 文件既不是 UTF-8 也不是 GBK 编码 / the CSV file is neither UTF-8 nor GBK text"
    )


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


def xlsx_cell(cell: Any, value: Any) -> None:
    """Put a value in an openpyxl cell: text is always a text cell (never a formula), with
    Excel's own quote prefix where it would otherwise read as one, so it stays text when
    a worker edits it."""
    if isinstance(value, str):
        cell.value = escape(value)
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    else:
        cell.value = value


def read_table(path: str | Path) -> list[list[str]]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = _decode(path.read_bytes())
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)]
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise SheetError(
                f"无法作为 Excel 工作簿打开 {path.name} / cannot open {path.name} as an Excel workbook: {exc}"
            ) from exc
        try:
            ws = wb.worksheets[0]
            return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
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
