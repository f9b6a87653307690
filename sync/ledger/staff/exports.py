"""The month's 台账 (community ledger) and the hours file for the volunteer platform (i志愿).

Everything is read from the ledger's own tables; nothing is written. A month is a calendar
month in China time. Attendance, points and redemptions are placed in the month by when
they happened at the kiosk (``occurred_at``), so a shift signed in on the 30th and synced on
the 1st still belongs to the month it was served in; ledger-side actions (stock counts,
exceptions) by when the ledger recorded them.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.core import moves
from kiosk.core.stars import stars_for
from kiosk.private import open_private
from sync.ledger.db.base import LedgerDB, StaffRead
from sync.ledger.staff import records
from sync.ledger.staff.spreadsheet import FORMULA_START, csv_cell, safe_text

TZ = ZoneInfo("Asia/Shanghai")

STATUS_FLAGS = {"auto_closed": "自动签退（忘记签退）", "open": "未签退"}
MEMOS = {
    "closed": "服务积分",
    "auto_closed": "服务积分（自动签退）",
    "corrected": "更正后积分",
    "correction: reverse": "更正冲销",
    "redeem": "兑换",
    "cancel": "撤销兑换",
    "adjust": "人工调整",
    "opening balance": "期初余额",
}
# The reasons kiosk staff pick from (kiosk.core.reasons), as the kiosk's zh-Hans screens name
# them (a test holds the two together); any other reason (typed, or from an older kiosk) is
# shown as written.
REASONS = {
    "delivery": "到货",
    "count_correction": "盘点更正",
    "damaged": "损坏",
    "expired": "过期",
    "forgot_sign_out": "忘了签退",
    "wrong_time": "时间不对",
    "bonus": "额外奖励",
    "makeup": "补记服务",
    "mistake": "更正错误",
    "other": "其他",
}


def reason_text(reason: Any) -> str:
    if not isinstance(reason, str):
        return ""
    return REASONS.get(reason, reason)


EXCEPTION_KINDS = {
    "overdraft": "透支（余额低于零）",
    "overlapping_sessions": "时段重叠",
    "conflict": "数据冲突",
    "stock_below_zero": "库存为负",
    "rejected": "被拒绝的记录",
    "figure_recomputed": "按目录重算的兑换",
    "over_capacity": "报名超出名额（已排入候补）",
}
SIGNUP_STATUS = {"confirmed": "已报名", "waiting": "候补", "withdrawn": "已取消"}
STOCK_KINDS = {
    "stock.restock": "补货",
    "stock.adjust": "盘点调整",
    "redemption.create": "兑换出库",
    "redemption.cancel": "撤销兑换退回",
    "ledger.set": "台账盘点设定",
}

IVOLUNTEER_COLUMNS = [
    "志愿者姓名",
    "i志愿ID",
    "志愿者编号",
    "活动名称",
    "活动编号",
    "服务日期",
    "开始时间",
    "结束时间",
    "服务时长（小时）",
    "服务次数",
    "备注",
]


@dataclass
class Table:
    name: str  # the sheet name, also the CSV file's suffix
    headers: list[str]
    rows: list[list[Any]]


class MonthError(ValueError):
    pass


MIN_YEAR, MAX_YEAR = 2000, 2199


def month_bounds(month: str) -> tuple[datetime, datetime]:
    m = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
    # Years a 台账 can be about; 9999-12 or 0001-01 would run off the calendar.
    if not m or not 1 <= int(m[2]) <= 12 or not MIN_YEAR <= int(m[1]) <= MAX_YEAR:
        raise MonthError(
            f"月份请写成 2026-11，年份在 {MIN_YEAR}–{MAX_YEAR} 之间"
            f" / write the month as YYYY-MM, a year from {MIN_YEAR} to {MAX_YEAR} (got {month!r})"
        )
    start = datetime(int(m[1]), int(m[2]), 1, tzinfo=TZ)
    end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=TZ)
    return start, end


def _local(ts: str | None) -> datetime | None:
    """A stored timestamp as naive China time: what Excel shows and sorts."""
    if not ts:
        return None
    try:
        dt = datetime.fromisoformat(ts)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=TZ)
    return dt.astimezone(TZ).replace(tzinfo=None, microsecond=0)


def _window(start: datetime, end: datetime) -> tuple[str, str]:
    """A loose text range for a SQL prefilter (timestamps carry different offsets); the exact
    month test is done on the parsed time."""
    return (start - timedelta(days=1)).date().isoformat(), (
        end + timedelta(days=2)
    ).date().isoformat()


class _Ref:
    """Names for ids: volunteers, activities, sites, items."""

    def __init__(self, tx: StaffRead) -> None:
        self.people = {
            p.volunteer_id: (p.display_name, p.team, p.izhiyuan_id or "") for p in tx.people()
        }
        self.activities = {a["activity_id"]: a for a in tx.activities()}
        self.sites = {s: d.get("name_zh", s) for s, d in tx.sites().items()}
        self.items = {i: d.get("names", {}).get("zh-Hans", i) for i, d in tx.catalog().items()}

    def name(self, vid: str | None) -> str:
        return self.people.get(vid or "", ("", "", ""))[0]

    def title(self, aid: str) -> str:
        return self.activities.get(aid, {}).get("title_zh", aid)

    def site(self, sid: str | None) -> str:
        return self.sites.get(sid or "", sid or "")


def _attendance(tx: StaffRead, ref: _Ref, start: datetime, end: datetime) -> list[dict[str, Any]]:
    lo, hi = _window(start, end)
    corrected = tx.corrected_sessions()
    overlapping = tx.overlapping_sessions()
    out = []
    for s in tx.sessions_from(lo, hi):
        sid, vid, kiosk, site, aid = (
            s["session_id"],
            s["volunteer_id"],
            s["kiosk_id"],
            s["site_id"],
            s["activity_id"],
        )
        t_in, t_out, minutes, credited, points, status = (
            s["signed_in_at"],
            s["signed_out_at"],
            s["minutes"],
            s["credited_minutes"],
            s["points"],
            s["status"],
        )
        when = datetime.fromisoformat(t_in)
        if not start <= when.astimezone(TZ) < end:
            continue
        flags = [STATUS_FLAGS[status]] if status in STATUS_FLAGS else []
        if sid in corrected:
            flags.append("已更正")
        if sid in overlapping:
            flags.append("时段重叠")
        out.append(
            {
                "session_id": sid,
                "volunteer_id": vid,
                "activity_id": aid,
                "site_id": site,
                "kiosk_id": kiosk,
                "in": _local(t_in),
                "out": _local(t_out),
                "minutes": minutes or 0,
                "credited": credited or 0,
                "points": points or 0,
                "status": status,
                "flags": "、".join(flags),
            }
        )
    return out


def _journal(tx: StaffRead, start: datetime, end: datetime) -> list[dict[str, Any]]:
    out = []
    for j in tx.journal(*_window(start, end)):
        entry, debit, credit, amount, memo, jref, reverses, posted = (
            j["entry_id"],
            j["debit"],
            j["credit"],
            j["amount"],
            j["memo"],
            j["ref"],
            j["reverses"],
            j["posted_at"],
        )
        occurred, kiosk, actor = j["occurred_at"], j["kiosk_id"], j["actor"]
        reason = j["reason"] if isinstance(j["reason"], str) else None
        when = datetime.fromisoformat(occurred or posted).astimezone(TZ)
        if not start <= when < end:
            continue
        if credit.startswith("volunteer:"):
            vid, delta = credit[10:], amount
        elif debit.startswith("volunteer:"):
            vid, delta = debit[10:], -amount
        else:
            continue
        out.append(
            {
                "entry": entry,
                "volunteer_id": vid,
                "delta": delta,
                "memo": memo,
                "ref": jref or "",
                "reverses": reverses,
                "occurred": _local(occurred or posted),
                "posted": _local(posted),
                "kiosk": kiosk or "",
                "actor": actor if actor and actor != vid else "",
                # Why staff moved the points (adjustments, corrections); a sign-out's auto-close
                # reason is the session's business, shown in 考勤明细.
                "reason": reason_text(reason) if memo not in ("closed", "auto_closed") else "",
            }
        )
    return out


def _events(tx: StaffRead, types: tuple[str, ...], start: datetime, end: datetime) -> list[tuple]:
    lo, hi = _window(start, end)
    return [
        row
        for row in tx.accepted_events(types, lo, hi)
        if start <= datetime.fromisoformat(row[3]).astimezone(TZ) < end
    ]


def month_tables(store: LedgerDB, month: str, now: datetime | None = None) -> list[Table]:
    """``now``: the export's time; a sign-up for an activity not yet begun is neither came
    nor did not come (default: the month's end)."""
    start, end = month_bounds(month)
    now = now or end
    thresholds = records.star_thresholds(store)
    with store.read() as tx:
        ref = _Ref(tx)
        sessions = _attendance(tx, ref, start, end)
        journal = _journal(tx, start, end)
        stock_events = _events(
            tx,
            ("stock.restock", "stock.adjust", "redemption.create", "redemption.cancel"),
            start,
            end,
        )
        redemptions = [e for e in stock_events if e[2] == "redemption.create"]
        redemption_rows = tx.redemptions(
            [
                p["redemption_id"]
                for *_, p in stock_events
                if isinstance(p.get("redemption_id"), str)
            ]
        )
        settings = tx.stock_settings(*_window(start, end))
        exceptions = tx.exception_rows(*_window(start, end))
        totals_all = tx.minutes_totals(
            sorted({s["volunteer_id"] for s in sessions} | {j["volunteer_id"] for j in journal})
        )
        signups = records.signup_lists_in(tx, start.date(), (end - timedelta(seconds=1)).date())

    tables = []
    tables.append(
        Table(
            "考勤明细",
            [
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
            ],
            [
                [
                    s["volunteer_id"],
                    ref.name(s["volunteer_id"]),
                    ref.people.get(s["volunteer_id"], ("", "", ""))[1],
                    s["activity_id"],
                    ref.title(s["activity_id"]),
                    ref.site(s["site_id"]),
                    s["in"],
                    s["out"],
                    s["minutes"],
                    s["credited"],
                    s["points"],
                    s["flags"],
                    s["kiosk_id"],
                ]
                for s in sessions
            ],
        )
    )

    per_vol: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in sessions:
        v = per_vol[s["volunteer_id"]]
        v["turns"] += 1
        v["minutes"] += s["minutes"]
        v["credited"] += s["credited"]
        v["points"] += s["points"]
        v["flagged"] += bool(s["flags"])
    for j in journal:
        v = per_vol[j["volunteer_id"]]
        if j["memo"] in ("redeem", "cancel"):
            v["redeemed"] -= j["delta"]
        elif j["memo"] == "adjust":
            v["adjusted"] += j["delta"]
        elif j["memo"] == "opening balance":
            v["opening"] += j["delta"]
        v["net"] += j["delta"]
    vol_rows = []
    for vid in sorted(per_vol):
        v = per_vol[vid]
        all_minutes = totals_all.get(vid, 0)
        vol_rows.append(
            [
                vid,
                ref.name(vid),
                ref.people.get(vid, ("", "", ""))[1],
                v["turns"],
                v["minutes"],
                v["credited"],
                round(v["credited"] / 60, 2),
                v["points"],
                v["redeemed"],
                v["adjusted"],
                v["opening"],
                v["net"],
                v["flagged"],
                round(all_minutes / 60, 2),
                stars_for(all_minutes, thresholds),
            ]
        )
    vol_rows.append(_totals(vol_rows, 15, sums=(3, 4, 5, 7, 8, 9, 10, 11, 12), hours=(6, 5)))
    tables.append(
        Table(
            "志愿者汇总",
            [
                "志愿者编号",
                "姓名",
                "队伍",
                "服务次数",
                "时长（分钟）",
                "计入时长（分钟）",
                "计入时长（小时）",
                "服务积分",
                "兑换积分",
                "调整积分",
                "期初转入",
                "积分净变动",
                "需核实次数",
                "累计计入时长（小时）",
                "星级",
            ],
            vol_rows,
        )
    )

    per_act: dict[str, dict[str, Any]] = {}
    for s in sessions:
        a = per_act.setdefault(
            s["activity_id"],
            {
                "site": s["site_id"],
                "turns": 0,
                "people": set(),
                "minutes": 0,
                "credited": 0,
                "points": 0,
            },
        )
        a["turns"] += 1
        a["people"].add(s["volunteer_id"])
        a["minutes"] += s["minutes"]
        a["credited"] += s["credited"]
        a["points"] += s["points"]
    act_rows = []
    for aid in sorted(per_act, key=lambda x: (ref.activities.get(x, {}).get("start", ""), x)):
        a = per_act[aid]
        act_rows.append(
            [
                aid,
                ref.title(aid),
                ref.site(a["site"]),
                _local(ref.activities.get(aid, {}).get("start")),
                a["turns"],
                len(a["people"]),
                a["minutes"],
                a["credited"],
                round(a["credited"] / 60, 2),
                a["points"],
            ]
        )
    total = _totals(act_rows, 10, sums=(4, 6, 7, 9), hours=(8, 7))
    total[5] = len(
        {s["volunteer_id"] for s in sessions}
    )  # people, not a sum of per-activity counts
    act_rows.append(total)
    tables.append(
        Table(
            "活动汇总",
            [
                "活动编号",
                "活动名称",
                "站点",
                "开始时间",
                "人次",
                "人数",
                "时长（分钟）",
                "计入时长（分钟）",
                "计入时长（小时）",
                "积分",
            ],
            act_rows,
        )
    )

    tables.append(
        Table(
            "积分流水",
            [
                "分录号",
                "发生时间",
                "入账时间",
                "志愿者编号",
                "姓名",
                "积分变动",
                "类型",
                "关联单据",
                "冲销分录",
                "自助机",
                "经办人",
                "原因",
            ],
            [
                [
                    j["entry"],
                    j["occurred"],
                    j["posted"],
                    j["volunteer_id"],
                    ref.name(j["volunteer_id"]),
                    j["delta"],
                    MEMOS.get(j["memo"], j["memo"]),
                    j["ref"],
                    j["reverses"] or "",
                    j["kiosk"],
                    j["actor"],
                    j["reason"],
                ]
                for j in journal
            ],
        )
    )

    red_rows = []
    for eid, kiosk, _, occurred, actor, p in redemptions:
        held = redemption_rows.get(p.get("redemption_id"))
        status = held[0] if held else ""
        cost = held[4] if held else p.get("cost", 0)  # what the ledger charged (its catalog's)
        red_rows.append(
            [
                p.get("redemption_id", eid),
                _local(occurred),
                actor,
                ref.name(actor),
                p.get("item_id", ""),
                ref.items.get(p.get("item_id"), p.get("item_id", "")),
                cost,
                ref.site(p.get("site_id")),
                kiosk,
                {"done": "已完成", "cancelled": "已撤销"}.get(status, status),
                "是" if p.get("offline") else "否",
                p.get("pickup_no", ""),
            ]
        )
    tables.append(
        Table(
            "兑换记录",
            [
                "兑换单号",
                "时间",
                "志愿者编号",
                "姓名",
                "物品编号",
                "物品名称",
                "积分",
                "站点",
                "自助机",
                "状态",
                "未联网时兑换",
                "取货号",
            ],
            red_rows,
        )
    )

    stock_rows: list[list[Any]] = []
    for _, kiosk, etype, occurred, actor, p in stock_events:
        # The ledger's own record of each redemption decides whether it took stock (it works
        # that out from its catalog, not from the kiosk's word), as it did in ingest.
        redeemed = None
        held = redemption_rows.get(p.get("redemption_id"))
        if held is not None and etype.startswith("redemption."):
            redeemed = moves.Redeemed("", held[1], held[2], 0, stocked=held[3])
            if etype == "redemption.create":
                p = {**p, "stocked": held[3]}
        elif etype == "redemption.cancel":
            continue  # a cancel of a redemption the ledger does not hold moved nothing
        move = moves.stock_move(etype, p, redeemed)
        if move is None:  # not stocked, or the goods did not come back
            continue
        site, item, delta, note = (
            move.site_id,
            move.item_id,
            move.delta,
            reason_text(p.get("reason")),
        )
        if etype == "redemption.create":
            note = p.get("redemption_id", "")
        elif etype == "redemption.cancel":
            note = f"{p.get('redemption_id', '')} {note}".strip()
        stock_rows.append(
            [
                _local(occurred),
                ref.site(site),
                item or "",
                ref.items.get(item, item or ""),
                delta,
                STOCK_KINDS[etype],
                actor,
                kiosk,
                note,
            ]
        )
    for site, item, before, after, note, at in settings:
        if start <= datetime.fromisoformat(at).astimezone(TZ) < end:
            stock_rows.append(
                [
                    _local(at),
                    ref.site(site),
                    item,
                    ref.items.get(item, item),
                    after - before,
                    STOCK_KINDS["ledger.set"],
                    "台账",
                    "",
                    f"由 {before} 设为 {after} {note}".strip(),
                ]
            )
    stock_rows.sort(key=lambda r: r[0] or datetime.min)
    tables.append(
        Table(
            "库存变动",
            [
                "时间",
                "站点",
                "物品编号",
                "物品名称",
                "变动数量",
                "类型",
                "经办人",
                "自助机",
                "说明",
            ],
            stock_rows,
        )
    )

    signup_rows = []
    for act in signups:
        started = _local(act["start"])
        for person in act["people"]:
            # Before the activity begins nobody has failed to come yet.
            begun = started is not None and started.replace(tzinfo=TZ) <= now
            came = {"came": "来了", "missed": "未到"}.get(records.came_or_missed(person, begun), "")
            signup_rows.append(
                [
                    act["activity_id"], act["titles"]["zh-Hans"], ref.site(act["site_id"]), started,
                    act["capacity"] or "不限", person["volunteer_id"], person["name"],
                    SIGNUP_STATUS.get(person["status"], person["status"]),
                    "是" if person["over_capacity"] else "", came, _local(person["signed_up_at"]),
                ]
            )  # fmt: skip
    tables.append(
        Table(
            "报名",
            [
                "活动编号",
                "活动名称",
                "站点",
                "开始时间",
                "名额",
                "志愿者编号",
                "姓名",
                "报名状态",
                "超员候补",
                "到场",
                "报名时间",
            ],
            signup_rows,
        )  # fmt: skip
    )

    exc_rows = []
    for xid, kind, vid, site, kiosk, eid, detail, created in exceptions:
        if start <= datetime.fromisoformat(created).astimezone(TZ) < end:
            exc_rows.append(
                [
                    xid,
                    _local(created),
                    EXCEPTION_KINDS.get(kind, kind),
                    vid or "",
                    ref.name(vid),
                    ref.site(site) if site else "",
                    kiosk or "",
                    eid or "",
                    detail,
                ]
            )
    tables.append(
        Table(
            "异常记录",
            ["编号", "时间", "类型", "志愿者编号", "姓名", "站点", "自助机", "事件编号", "详情"],
            exc_rows,
        )
    )
    return tables


def _totals(
    rows: list[list[Any]], width: int, *, sums: tuple[int, ...], hours: tuple[int, int]
) -> list[Any]:
    """The 合计 line under a totals sheet. Hours come from the summed minutes (column
    ``hours[1]``), not from adding rounded figures."""
    total: list[Any] = ["合计"] + [""] * (width - 1)
    for i in sums:
        total[i] = sum(r[i] for r in rows)
    total[hours[0]] = round(total[hours[1]] / 60, 2)
    return total


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else value


def write_xlsx(tables: list[Table], path: str | Path) -> Path:
    # XlsxWriter, not openpyxl: a district's month is near a million rows, which openpyxl
    # held in memory as cell objects (3.5 GB, minutes); constant_memory streams each row to
    # disk as it is written.
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_private(path, "wb") as fh:  # names and hours of every volunteer: staff only
        wb = xlsxwriter.Workbook(fh, {"constant_memory": True, "strings_to_formulas": False})
        formats = _XlsxFormats(wb)
        for t in tables:
            ws = wb.add_worksheet(t.name)
            ws.freeze_panes(1, 0)
            for i, h in enumerate(t.headers):
                if any(isinstance(r[i], datetime) for r in t.rows[:5]):
                    ws.set_column(i, i, 20)
                else:
                    longest = max([len(str(_text(r[i]))) for r in t.rows[:200]] + [len(h) * 2])
                    ws.set_column(i, i, min(48, max(8, longest + 2)))
            _xlsx_row(ws, 0, t.headers, formats, bold=True)
            last = len(t.rows)
            for r, row in enumerate(t.rows, start=1):
                total = r == last and bool(row) and row[0] == "合计"
                _xlsx_row(ws, r, row, formats, bold=total)
        wb.close()
    return path


class _XlsxFormats:
    """The few cell formats the 台账 uses, made once per workbook."""

    def __init__(self, wb: Any) -> None:
        self.plain = None
        self.bold = wb.add_format({"bold": True})
        self.quoted = wb.add_format({"quote_prefix": True})
        self.bold_quoted = wb.add_format({"bold": True, "quote_prefix": True})
        self.when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.bold_when = wb.add_format({"bold": True, "num_format": "yyyy-mm-dd hh:mm"})


def _xlsx_row(ws: Any, r: int, row: list[Any], f: _XlsxFormats, *, bold: bool) -> None:
    """One row: text always a text cell (never a formula), with Excel's own quote prefix
    where it would otherwise read as one, so it stays text when a worker edits it."""
    plain = f.bold if bold else f.plain
    for c, v in enumerate(row):
        if v is None or v == "":
            if bold:
                ws.write_blank(r, c, None, plain)
        elif isinstance(v, str):
            quoted = v.startswith(FORMULA_START)
            fmt = (f.bold_quoted if bold else f.quoted) if quoted else plain
            ws.write_string(r, c, safe_text(v), fmt)
        elif isinstance(v, bool):
            ws.write_boolean(r, c, v, plain)
        elif isinstance(v, datetime):
            ws.write_datetime(r, c, v, f.bold_when if bold else f.when)
        elif isinstance(v, int | float):
            ws.write_number(r, c, v, plain)
        else:
            ws.write_string(r, c, safe_text(str(v)), plain)


def write_csvs(tables: list[Table], out_dir: str | Path, prefix: str) -> list[Path]:
    """One CSV per sheet, UTF-8 with a BOM: Excel on a Chinese Windows opens it without mojibake."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in tables:
        path = out_dir / f"{prefix}-{t.name}.csv"
        with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([csv_cell(h) for h in t.headers])
            w.writerows([csv_cell(_text(v)) for v in row] for row in t.rows)
        paths.append(path)
    return paths


def ivolunteer_rows(
    store: LedgerDB, month: str, *, with_phone: bool = False
) -> tuple[list[str], list[list[Any]]]:
    """Hours per volunteer per activity, one row each, for bulk entry into i志愿. Only closed
    sessions that earned time count; open ones are left for next month's file."""
    start, end = month_bounds(month)
    with store.read() as tx:
        ref = _Ref(tx)
        sessions = _attendance(tx, ref, start, end)
        phones = tx.phones() if with_phone else {}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in sessions:
        if s["status"] != "open" and s["credited"] > 0:
            groups[(s["volunteer_id"], s["activity_id"])].append(s)
    headers = list(IVOLUNTEER_COLUMNS)
    if with_phone:
        headers.insert(1, "手机号")
    rows = []
    for (vid, aid), group in sorted(
        groups.items(), key=lambda kv: (min(s["in"] for s in kv[1]), kv[0])
    ):
        first = min(s["in"] for s in group)
        last = max(s["out"] or s["in"] for s in group)
        notes = []
        izy = ref.people.get(vid, ("", "", ""))[2]
        if not izy:
            notes.append("缺少i志愿ID，请先在名册中补充")
        if any(s["flags"] for s in group):
            notes.append(
                "含需核实记录：" + "、".join(sorted({s["flags"] for s in group if s["flags"]}))
            )
        credited = sum(s["credited"] for s in group)
        row = [
            ref.name(vid),
            izy,
            vid,
            ref.title(aid),
            aid,
            first.strftime("%Y-%m-%d"),
            first.strftime("%H:%M"),
            last.strftime("%H:%M"),
            f"{credited / 60:.2f}",
            len(group),
            "；".join(notes),
        ]
        if with_phone:
            row.insert(1, phones.get(vid, ""))
        rows.append(row)
    return headers, rows


def write_ivolunteer(
    headers: list[str], rows: list[list[Any]], path: str | Path, encoding: str = "utf-8-sig"
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # GBK cannot hold every name (a rare character, an emoji): "?" there, not a crash.
    with open_private(path, "w", encoding=encoding, errors="replace", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([csv_cell(h) for h in headers])
        w.writerows([csv_cell(v) for v in row] for row in rows)
    return path
