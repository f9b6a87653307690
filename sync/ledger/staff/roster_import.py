"""Validating a volunteer roster spreadsheet before anything is written.

Every row is checked first; errors are reported by row and column, and nothing is
imported while any remain. Phone numbers are kept at the ledger for staff only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sync.ledger.staff.spreadsheet import Column, SheetError, read_sheet

ROSTER_COLUMNS = [
    Column("name", ("姓名", "name", "名字", "volunteer name"), required=True),
    Column("phone", ("手机", "手机号", "手机号码", "电话", "联系电话", "phone", "mobile", "tel")),
    Column("volunteer_id", ("志愿者编号", "编号", "volunteer id", "id", "volunteerid")),
    Column("team", ("队伍", "服务队", "所属队伍", "team")),
    Column(
        "ivolunteer_id",
        ("i志愿 id", "i志愿id", "i志愿编号", "i志愿", "ivolunteer id", "ivolunteer"),
    ),
    Column("status", ("状态", "status")),
]

# The ledger numbers new people V000123; a community's own earlier numbers (letters, digits
# and "-", as on the register it kept before: BK-0012, 2019017) import as they are.
_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
# Mainland mobile; Hong Kong (5/6/9xxx xxxx); Macau (6xxx xxxx); with or without country code.
_PHONES = [
    re.compile(p)
    for p in (r"^(\+?86)?1[3-9]\d{9}$", r"^(\+?852)?[5679]\d{7}$", r"^(\+?853)?6\d{7}$")
]
_ACTIVE = {"active", "在册", "在职", "正常", "有效", "活跃"}
_INACTIVE = {"inactive", "left", "离开", "已离开", "退出", "注销", "停用", "无效"}
_SUSPENDED = {"suspended", "暂停", "暂停服务"}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class RosterRow:
    row: int
    volunteer_id: str  # "" when the ledger should assign the next number
    name: str
    phone: str
    team: str
    ivolunteer_id: str
    status: str  # active | inactive | suspended, or "" when the sheet says nothing


@dataclass
class RosterFile:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def normalise_phone(raw: str) -> str | None:
    digits = re.sub(r"[\s\-()（）]", "", raw)
    if not digits:
        return ""
    for pattern in _PHONES:
        if pattern.match(digits):
            return digits
    return None


def parse_roster(path: str | Path) -> RosterFile:
    try:
        sheet = read_sheet(path, ROSTER_COLUMNS)
    except SheetError as exc:
        return RosterFile(errors=[RowError(0, "-", str(exc))])
    result = RosterFile(headers=sheet.columns)
    col = sheet.columns
    seen_ids: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    for number, values in sheet.rows:
        errors_before = len(result.errors)
        name = values.get("name", "").strip()
        if not name:
            result.errors.append(
                RowError(number, col.get("name", "姓名"), "姓名为空 / name is empty")
            )
        elif len(name) > 40:
            result.errors.append(
                RowError(
                    number, col["name"], "姓名超过 40 个字 / name is longer than 40 characters"
                )
            )
        vid = values.get("volunteer_id", "").strip().upper()
        if vid:
            if not _ID.match(vid):
                result.errors.append(
                    RowError(
                        number,
                        col["volunteer_id"],
                        f"编号 '{vid}' 只能用字母、数字和 -（最多 32 位），如 V000123 或 BK-0012"
                        f" / '{vid}': an id is letters, digits and - (up to 32), like V000123",
                    )
                )
            elif vid in seen_ids:
                result.errors.append(
                    RowError(
                        number,
                        col["volunteer_id"],
                        f"编号 {vid} 重复（另见第 {seen_ids[vid]} 行） / duplicate id {vid}"
                        f" (also row {seen_ids[vid]})",
                    )
                )
            else:
                seen_ids[vid] = number
        phone = normalise_phone(values.get("phone", ""))
        if phone is None:
            result.errors.append(
                RowError(
                    number,
                    col["phone"],
                    f"'{values['phone']}' 不是手机号码 / '{values['phone']}' is not a mobile number",
                )
            )
        elif phone:
            if phone in seen_phones:
                result.errors.append(
                    RowError(
                        number,
                        col["phone"],
                        f"手机号重复（另见第 {seen_phones[phone]} 行） / duplicate phone"
                        f" number (also row {seen_phones[phone]})",
                    )
                )
            else:
                seen_phones[phone] = number
        raw_status = values.get("status", "").strip().lower()
        if not raw_status:
            status = ""  # a blank cell keeps what the ledger holds (a suspension is not lifted by accident)
        elif raw_status in _ACTIVE:
            status = "active"
        elif raw_status in _INACTIVE:
            status = "inactive"
        elif raw_status in _SUSPENDED:
            status = "suspended"
        else:
            result.errors.append(
                RowError(
                    number,
                    col["status"],
                    f"未知状态 '{values['status']}'，请用 在册、离开 或 暂停 / unknown status"
                    f" '{values['status']}' (use active, inactive or suspended)",
                )
            )
            status = ""
        if len(result.errors) == errors_before:
            result.rows.append(
                RosterRow(
                    number,
                    vid,
                    name,
                    phone or "",
                    values.get("team", "").strip(),
                    values.get("ivolunteer_id", "").strip(),
                    status,
                )
            )
    return result
