"""报表: the month's 台账 (XLSX or CSV) and the i志愿 CSV as downloads, and charts of hours
and points per month, per team and per activity (SVG drawn here)."""

from __future__ import annotations

import io
import tempfile
import threading
import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from .. import tools
from ..charts import bar_chart
from ..deps import Staff, db_of, now_of, require, words_of
from ..render import render
from .common import TZ, ms, scope, title

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
Reader = Annotated[Staff, Depends(require("reports.view"))]


def _month(text: str, today: date) -> str:
    try:
        datetime.strptime(text, "%Y-%m")
        return text
    except ValueError:
        return today.strftime("%Y-%m")


def _months_back(month: str, n: int) -> list[str]:
    y, m = map(int, month.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _bounds(month: str) -> tuple[int, int]:
    y, m = map(int, month.split("-"))
    lo = datetime(y, m, 1, tzinfo=TZ)
    hi = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=TZ)
    return ms(lo), ms(hi)


@router.get("/reports")
def reports(request: Request, staff: Reader, month: str = "") -> Response:
    t = words_of(request)
    month = _month(month, now_of(request).astimezone(TZ).date())
    sites = scope(staff)
    months = _months_back(month, 6)
    db = db_of(request)
    per_month = [(m, _cached(db, "totals", m, sites)) for m in months]
    by_team = _cached(db, "team", month, sites)
    by_activity = _cached(db, "activity", month, sites)
    with db.read() as r:
        acts = r.activity_titles([k for k, _ in by_activity[:12]])
    hours = [(m, round(tot["minutes"] / 60, 1)) for m, tot in per_month]
    points = [(m, tot["points"]) for m, tot in per_month]
    team_rows = [(k or t("reports.no_team"), round(v["minutes"] / 60, 1)) for k, v in by_team]
    act_rows = [
        (title(acts[k], t.lang) if k in acts else k, round(v["minutes"] / 60, 1))
        for k, v in by_activity[:12]
    ]
    h = t("reports.hours_unit")
    charts = [
        ("hours", t("reports.hours_per_month"), hours, h),
        ("points", t("reports.points_per_month"), points, ""),
        ("teams", t("reports.hours_per_team", month=month), team_rows, h),
        ("acts", t("reports.hours_per_activity", month=month), act_rows, h),
    ]
    return render(
        request,
        "console/reports/page.html",
        month=month,
        charts=[
            (cid, title, rows, unit, Markup(bar_chart(title, rows, unit, chart_id=cid)))
            for cid, title, rows, unit in charts
        ],
    )


# A month's figures are summed over every session of the month: on a district ledger that
# is a few hundred thousand rows. The charts keep each sum for CHART_TTL_S seconds (per
# month and site scope), so a page shows figures at most that old; the downloads are
# always computed afresh.
CHART_TTL_S = 600
_CACHE: dict[tuple, tuple[float, object]] = {}
_CACHE_LOCK = threading.Lock()


def _cached(db, what: str, month: str, sites: list[str] | None):
    # Keyed by the database (an object's id can be reused once it is gone).
    key = (db.ledger.url, what, month, tuple(sites) if sites is not None else None)
    now = time.monotonic()  # how old a cached sum is: the process's own timer, not the date
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and now - hit[0] < CHART_TTL_S:
            return hit[1]
    with db.read() as r:
        if what == "totals":
            value = r.session_totals(*_bounds(month), sites)
        else:
            value = r.session_totals_by(*_bounds(month), sites, what)
    with _CACHE_LOCK:
        if len(_CACHE) > 2000:
            _CACHE.clear()
        _CACHE[key] = (now, value)
    return value


def _download(content: bytes, filename: str, media_type: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _audit(request: Request, staff: Staff, what: str, month: str) -> None:
    with db_of(request).write() as w:
        w.audit(
            now_of(request).isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.report.download",
            target=f"report:{what}:{month}",
        )


@router.get("/reports/ledger.xlsx")
def ledger_xlsx(request: Request, staff: Reader, month: str) -> Response:
    tables = tools.exports.month_tables(request.app.state.store, month)
    with tempfile.TemporaryDirectory() as tmp:
        path = tools.exports.write_xlsx(tables, Path(tmp) / "ledger.xlsx")
        body = path.read_bytes()
    _audit(request, staff, "ledger.xlsx", month)
    return _download(
        body,
        f"台账-{month}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@router.get("/reports/ledger.zip")
def ledger_csv(request: Request, staff: Reader, month: str) -> Response:
    tables = tools.exports.month_tables(request.app.state.store, month)
    buf = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as tmp,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
    ):
        for path in tools.exports.write_csvs(tables, tmp, f"台账-{month}"):
            zf.write(path, path.name)
    _audit(request, staff, "ledger.zip", month)
    return _download(buf.getvalue(), f"台账-{month}.zip", "application/zip")


@router.get("/reports/ivolunteer.csv")
def ivolunteer_csv(
    request: Request, staff: Reader, month: str, encoding: str = "utf-8-sig"
) -> Response:
    if encoding not in ("utf-8-sig", "gbk"):
        encoding = "utf-8-sig"
    headers, rows = tools.exports.ivolunteer_rows(request.app.state.store, month)
    with tempfile.TemporaryDirectory() as tmp:
        path = tools.exports.write_ivolunteer(headers, rows, Path(tmp) / "iv.csv", encoding)
        body = path.read_bytes()
    _audit(request, staff, "ivolunteer.csv", month)
    return _download(body, f"i志愿时长-{month}.csv", "text/csv")
