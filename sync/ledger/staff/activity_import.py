"""Activities from a spreadsheet (or from ``kiosk-ledger activities add``): every row is
checked against the ledger's sites and roster first, errors by row and column, and
nothing is written while any remain.

Times are China time (Asia/Shanghai) unless the cell carries its own offset. A sheet may
give a date column plus start and end times, or full date-times in start and end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sync.ledger.staff.roster_import import RowError
from sync.ledger.staff.spreadsheet import Column, SheetError, read_sheet

TZ = ZoneInfo("Asia/Shanghai")

ACTIVITY_COLUMNS = [
    Column("activity_id", ("活动编号", "编号", "activity id", "id")),
    Column("title_zh", ("活动名称", "活动", "名称", "标题", "title", "title zh")),
    Column("title_zh_hant", ("繁体名称", "繁體名稱", "title zh-hant", "title zh hant")),
    Column("title_en", ("英文名称", "title en", "english title")),
    Column("site", ("站点", "地点", "服务站点", "site", "location")),
    Column("date", ("日期", "活动日期", "date")),
    Column("start", ("开始时间", "开始", "start", "start time")),
    Column("end", ("结束时间", "结束", "end", "end time")),
    Column("points_per_hour", ("每小时积分", "积分/小时", "积分", "points per hour", "points")),
    Column("round_minutes", ("取整分钟", "round minutes")),
    Column("min_minutes", ("最少分钟", "最短分钟", "min minutes")),
    Column("daily_cap_minutes", ("每日上限分钟", "每日上限", "daily cap minutes")),
    Column("capacity", ("人数上限", "名额", "人数", "capacity")),
    Column("signup", ("报名名单", "报名", "已报名", "signup", "sign-up list", "sign up")),
]
HEADERS = {c.key: c.names[0] for c in ACTIVITY_COLUMNS}
RULE_KEYS = ("points_per_hour", "round_minutes", "min_minutes", "daily_cap_minutes")

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_TIME = re.compile(r"(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


@dataclass
class ActivityFile:
    activities: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _date(text: str) -> date | None:
    m = _DATE.match(text.strip())
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_when(text: str, day: date | None) -> datetime | None:
    """'2026-11-29 09:00', '2026/11/29 9:00', '2026年11月29日 9:00', an ISO time with offset,
    or a bare '9:00' on ``day``."""
    text = text.strip()
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text)
        return dt if dt.tzinfo else dt.replace(tzinfo=TZ)
    except ValueError:
        pass
    own = _date(text)
    rest = _DATE.sub("", text).strip(" T") if own else text
    d = own or day
    m = _TIME.fullmatch(rest)
    if d is None or not m:
        return None
    try:
        return datetime.combine(d, time(int(m[1]), int(m[2]), int(m[3] or 0)), TZ)
    except ValueError:
        return None


def _whole(text: str) -> int | None:
    text = text.strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(float(text))
    return None


def site_lookup(sites: dict[str, dict]) -> dict[str, str]:
    """Every way staff name a site (its id, Chinese or English name) -> its id."""
    out: dict[str, str] = {}
    for site_id, data in sites.items():
        for name in (site_id, data.get("name_zh"), data.get("name_zh_hant"), data.get("name_en")):
            if name:
                out["".join(str(name).split()).lower()] = site_id
    return out


def check_activity(
    values: dict[str, str],
    row: int,
    headers: dict[str, str],
    sites: dict[str, dict],
    volunteer_ids: set[str],
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One activity from text values; (the activity, []) or (None, what is wrong)."""
    errors: list[RowError] = []

    def bad(key: str, message: str) -> None:
        errors.append(RowError(row, headers.get(key, HEADERS[key]), message))

    aid = values.get("activity_id", "").strip()
    if aid and not _ID.match(aid):
        bad(
            "activity_id", f"活动编号 '{aid}' 只能用字母、数字和 - _ / use letters, digits, - and _"
        )
    title = values.get("title_zh", "").strip() or values.get("title_en", "").strip()
    if not title:
        bad("title_zh", "活动名称为空 / the title is empty")
    lookup = site_lookup(sites)
    site_text = values.get("site", "").strip()
    site_id = lookup.get("".join(site_text.split()).lower())
    if not site_text:
        bad("site", "站点为空 / the site is empty")
    elif site_id is None:
        bad("site", f"没有站点 '{site_text}'，可用：{'、'.join(sorted(sites))} / unknown site")
    day = None
    if values.get("date", "").strip():
        day = _date(values["date"])
        if day is None:
            bad(
                "date",
                f"日期 '{values['date']}' 无法识别，请写成 2026-11-29 / cannot read the date",
            )
    start = parse_when(values.get("start", ""), day)
    end = parse_when(values.get("end", ""), day)
    for key, when in (("start", start), ("end", end)):
        if when is None:
            bad(
                key,
                f"时间 '{values.get(key, '')}' 无法识别，请写成 2026-11-29 09:00 / cannot read the time",
            )
    if start and end and end <= start:
        bad("end", "结束时间须晚于开始时间 / the end must be after the start")
    rule: dict[str, int] = {}
    for key in RULE_KEYS:
        text = values.get(key, "").strip()
        if text:
            n = _whole(text)
            if n is None:
                bad(key, f"'{text}' 不是整数 / not a whole number")
            else:
                rule[key] = n
    capacity = 0
    if values.get("capacity", "").strip():
        n = _whole(values["capacity"])
        if n is None:
            bad("capacity", f"'{values['capacity']}' 不是整数 / not a whole number")
        else:
            capacity = n
    signup = [s.upper() for s in re.split(r"[,，、;；\s]+", values.get("signup", "").strip()) if s]
    unknown = [s for s in signup if s not in volunteer_ids]
    if unknown:
        bad(
            "signup",
            f"名册中没有 {', '.join(unknown)}，请先导入名册 / not on the roster: import the roster first",
        )
    if capacity and len(set(signup)) > capacity:
        bad(
            "signup",
            f"报名 {len(set(signup))} 人，超过人数上限 {capacity} / more sign-ups than places",
        )
    if errors:
        return None, errors
    assert start is not None and end is not None and site_id is not None
    return {
        "activity_id": aid,
        "site_id": site_id,
        "title_zh": title,
        "title_zh_hant": values.get("title_zh_hant", "").strip() or title,
        "title_en": values.get("title_en", "").strip() or title,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "rule": rule,
        "capacity": capacity,
        "signup": sorted(set(signup)),
    }, []


def parse_activities(
    path: str | Path, sites: dict[str, dict], volunteer_ids: set[str]
) -> ActivityFile:
    try:
        sheet = read_sheet(path, ACTIVITY_COLUMNS)
    except SheetError as exc:
        return ActivityFile(errors=[RowError(0, "-", str(exc))])
    result = ActivityFile()
    missing = [HEADERS[k] + f" ({k})" for k in ("site", "start", "end") if k not in sheet.columns]
    if "title_zh" not in sheet.columns and "title_en" not in sheet.columns:
        missing.insert(0, "活动名称 (title)")
    if missing:
        return ActivityFile(
            errors=[RowError(0, "-", "缺少列 / missing column(s): " + ", ".join(missing))]
        )
    seen: dict[str, int] = {}
    for number, values in sheet.rows:
        act, errors = check_activity(values, number, sheet.columns, sites, volunteer_ids)
        if act and act["activity_id"]:
            if act["activity_id"] in seen:
                errors.append(
                    RowError(
                        number,
                        sheet.columns["activity_id"],
                        f"活动编号重复（第 {seen[act['activity_id']]} 行）/ duplicate id",
                    )
                )
                act = None
            else:
                seen[act["activity_id"]] = number
        result.errors.extend(errors)
        if act:
            act["row"] = number
            result.activities.append(act)
    return result
