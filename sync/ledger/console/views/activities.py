"""活动: the month's activities as a list and a calendar; create, edit, cancel; capacity
and sign-up lists; import from a spreadsheet with a preview."""

from __future__ import annotations

import calendar
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.ledger.staff import records

from .. import tools
from ..deps import NotFound, Staff, check_site, db_of, form_of, ledger_of, now_of, require, words_of
from ..render import local, render
from .common import TZ, audited, sites_for, title

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
Viewer = Annotated[Staff, Depends(require("activities.view"))]
Editor = Annotated[Staff, Depends(require("activities.edit"))]
FIELDS = ("title_zh", "title_en", "site", "date", "start", "end", "points_per_hour", "capacity")


PAGE = 50  # rows a list page shows; the rest behind 下一页, the past behind 更早的活动
CALENDAR_DAY = 6  # activities a calendar day shows; the rest behind a link to that day's list


def _month_range(month: str, today: date) -> tuple[date, date, str]:
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        first = today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last, first.strftime("%Y-%m")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _bound(day: date | None, default: str) -> str:
    """The ISO text an activity's start is compared with: the day's first instant."""
    return datetime.combine(day, datetime.min.time(), TZ).isoformat() if day else default


@router.get("/activities")
def activity_list(
    request: Request,
    staff: Viewer,
    month: str = "",
    site: str = "",
    view: str = "list",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    page: str = "1",
) -> Response:
    """The list: by default today's and coming activities of the person's sites, 50 to a
    page; ``from``/``to`` (days, both included) or ``month`` choose a range, and with
    only ``to`` the latest come first (the past, behind 更早的活动). The calendar reads
    its month alone."""
    today = now_of(request).astimezone(TZ).date()
    if view == "calendar":
        return _calendar(request, staff, month, site, today)
    sites, chosen = sites_for(request, staff, site or None)
    lo, hi = _day(date_from), _day(date_to)
    # A day typed by hand that is no day: say so, and show the default range (not half a
    # range from the other bound, which the message would then misname).
    bad_day = bool(date_from and not lo or date_to and not hi)
    if bad_day:
        lo = hi = None
    if month and not (lo or hi):
        lo, hi, _ = _month_range(month, today)
    elif not (lo or hi):
        lo = today
    if lo and hi and lo > hi:
        lo, hi = hi, lo
    newest_first = hi is not None and lo is None
    n = int(page) if page.isdecimal() else 1  # a hand-edited address reads page 1 ("²" too)
    n = max(1, min(n, 10_000))
    lang = words_of(request).lang
    with db_of(request).read() as r:
        found = r.activities_starting(
            _bound(lo, ""),
            _bound(hi + timedelta(days=1) if hi else None, "~"),
            sites,
            general=False,
            limit=PAGE + 1,
            offset=(n - 1) * PAGE,
            newest_first=newest_first,
        )
    acts, more = found[:PAGE], len(found) > PAGE
    now = now_of(request)
    with ledger_of(request).read() as tx:
        people = tx.signup_people([a["activity_id"] for a in acts])
    rows = []
    for a in acts:
        start = local(a["start"])
        rows.append(
            {
                "a": a,
                "title": title(a, lang),
                "start": start,
                "end": local(a["end"]),
                "today": start.date() == today,
                "groups": records.signup_groups(people[a["activity_id"]], start <= now),
            }
        )
    keep = {
        "site": chosen or "",
        "from": lo.isoformat() if lo else "",
        "to": hi.isoformat() if hi else "",
    }
    return render(
        request,
        "console/activities/list.html",
        view="list",
        rows=rows,
        keep=keep,
        page=n,
        prev_page=n - 1 if n > 1 else None,
        next_page=n + 1 if more else None,
        error=words_of(request)("activities.bad_day") if bad_day else "",
        date_from=lo,
        date_to=hi,
        newest_first=newest_first,
        default_range=lo == today and hi is None,
        yesterday=(today - timedelta(days=1)).isoformat(),
        today=today,
        month=(lo or hi or today).strftime("%Y-%m"),
        site=chosen or "",
        sites=sites_for(request, staff, None)[0],
    )


def _calendar(request: Request, staff: Staff, month: str, site: str, today: date) -> Response:
    """The month as weeks: its own activities only, a few a day, the rest behind a link
    to the day's list; no sign-up lists (an activity's page has them)."""
    first, last, month = _month_range(month, today)
    sites, chosen = sites_for(request, staff, site or None)
    lang = words_of(request).lang
    with db_of(request).read() as r:
        acts = r.activities_starting(
            _bound(first, ""), _bound(last + timedelta(days=1), ""), sites, general=False
        )
    by_day: dict[date, list] = {}
    for a in acts:
        start = local(a["start"])
        by_day.setdefault(start.date(), []).append(
            {"a": a, "title": title(a, lang), "start": start}
        )
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return render(
        request,
        "console/activities/list.html",
        view="calendar",
        weeks=weeks,
        by_day=by_day,
        shown=CALENDAR_DAY,
        month=month,
        first=first,
        today=today,
        prev_month=(first - timedelta(days=1)).strftime("%Y-%m"),
        next_month=(last + timedelta(days=1)).strftime("%Y-%m"),
        site=chosen or "",
        sites=sites_for(request, staff, None)[0],
    )


def _values(form) -> dict[str, str]:
    return {k: str(form.get(k) or "").strip() for k in FIELDS}


def _form_page(request: Request, staff: Staff, status: int = 200, **ctx) -> Response:
    return render(
        request,
        "console/activities/edit.html",
        status=status,
        sites=sites_for(request, staff, None)[0],
        **ctx,
    )


@router.get("/activities/new")
def activity_new(request: Request, staff: Editor) -> Response:
    return _form_page(request, staff, values={}, activity=None)


@router.get("/activities/{activity_id}")
def activity_edit_form(activity_id: str, request: Request, staff: Viewer) -> Response:
    with db_of(request).read() as r:
        a = r.activity(activity_id)
        if a is None:
            raise NotFound("activity")
    check_site(staff, a.get("site_id"))
    with ledger_of(request).read() as tx:
        people = tx.signup_people([activity_id])[activity_id]
    start, end = local(a["start"]), local(a["end"])
    values = {
        "title_zh": a.get("title_zh", ""),
        "title_en": a.get("title_en", ""),
        "site": a.get("site_id", ""),
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "points_per_hour": str((a.get("rule") or {}).get("points_per_hour", "")),
        "capacity": str(a.get("capacity") or ""),
    }
    groups = records.signup_groups(people, start <= now_of(request))
    return _form_page(request, staff, values=values, activity=a, groups=groups)


async def _save(request: Request, staff: Staff, activity_id: str | None) -> Response:
    form = await form_of(request)
    values = _values(form)
    store = ledger_of(request)
    sites, vids = tools.reference_sets(store)
    old = None
    if activity_id:
        with db_of(request).read() as r:
            old = r.activity(activity_id)
        if old is None:
            raise NotFound("activity")
        values["activity_id"] = activity_id
        values["signup"] = ",".join(old.get("signup") or [])
    act, errors = tools.check_activity(values, 0, {}, sites, vids)
    if errors:
        return _form_page(
            request,
            staff,
            status=422,
            values=values,
            activity=old,
            errors=[e.message for e in errors],
        )
    check_site(staff, act["site_id"])
    if old and old.get("cancelled"):
        act["cancelled"] = old["cancelled"]
    tools.number_activities(store, [act])
    now = now_of(request)

    def entry(w) -> None:  # in the change's own transaction
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.activity.update" if old else "console.activity.create",
            target=f"activity:{act['activity_id']}",
            site_id=act["site_id"],
            before=old,
            after=act,
        )

    with audited(request, entry):
        await run_in_threadpool(tools.upsert_activities, store, [act], now)
    return RedirectResponse(f"/console/activities/{act['activity_id']}?saved=1", status_code=303)


@router.post("/activities")
async def activity_create(request: Request, staff: Editor) -> Response:
    return await _save(request, staff, None)


@router.post("/activities/import")
async def activity_import(request: Request, staff: Editor) -> Response:
    form = await form_of(request)
    upload = form.get("file")
    name = getattr(upload, "filename", "") or ""
    suffix = Path(name).suffix.lower()
    t = words_of(request)
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        return _form_page(
            request, staff, status=415, values={}, activity=None, errors=[t("import.type")]
        )
    body = await upload.read(20 * 1024 * 1024 + 1)
    apply = form.get("apply") == "1"
    store = ledger_of(request)
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as fh:
        fh.write(body)
    path = Path(fh.name)
    try:
        parsed = await run_in_threadpool(
            lambda: tools.parse_activities(path, *tools.reference_sets(store))
        )
    finally:
        path.unlink(missing_ok=True)
    errors = [f"{t('import.row')} {e.row} · {e.column}: {e.message}" for e in parsed.errors]
    bad_site = [a for a in parsed.activities if not staff.account.may_see_site(a["site_id"])]
    if bad_site:
        errors.append(t("error.forbidden.text"))
    if not errors:
        tools.number_activities(store, parsed.activities)
    if apply and not errors:
        now = now_of(request)

        def entry(w) -> None:  # in the import's own transaction
            w.audit(
                now.isoformat(timespec="milliseconds"),
                staff.account.actor,
                "console.activity.import",
                target="activities",
                after={"activities": [a["activity_id"] for a in parsed.activities]},
            )

        with audited(request, entry):
            await run_in_threadpool(tools.upsert_activities, store, parsed.activities, now)
    return _form_page(
        request,
        staff,
        status=422 if errors else 200,
        values={},
        activity=None,
        errors=errors,
        imported=parsed.activities if not errors else [],
        applied=apply and not errors,
    )


@router.post("/activities/{activity_id}")
async def activity_update(activity_id: str, request: Request, staff: Editor) -> Response:
    return await _save(request, staff, activity_id)


@router.post("/activities/{activity_id}/cancel")
async def activity_cancel(activity_id: str, request: Request, staff: Editor) -> Response:
    form = await form_of(request)
    reason = str(form.get("reason") or "").strip()[:200]
    with db_of(request).read() as r:
        old = r.activity(activity_id)
    if old is None:
        raise NotFound("activity")
    check_site(staff, old.get("site_id"))
    now = now_of(request)
    new = {**old, "cancelled": {"at": now.isoformat(timespec="seconds"), "reason": reason}}

    def entry(w) -> None:  # in the cancellation's own transaction
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.activity.cancel",
            target=f"activity:{activity_id}",
            site_id=old.get("site_id"),
            before={"cancelled": False},
            after={"cancelled": True, "reason": reason},
        )

    with audited(request, entry):
        await run_in_threadpool(tools.upsert_activities, ledger_of(request), [new], now)
    return RedirectResponse(f"/console/activities/{activity_id}", status_code=303)
