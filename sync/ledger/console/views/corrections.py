"""考勤更正: set a session's sign-out time at the ledger, worked out again by the kiosk's
own rule (whole minutes, the minimum, the daily cap, rounding), shown before it is saved.
The correction is an ``attendance.correct`` event: the old figures stay in the journal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.ledger.staff import ledger_actions

from ..deps import Staff, check_site, db_of, form_of, ledger_of, now_of, require, words_of
from ..render import local, render
from .common import TZ, scope

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
Corrector = Annotated[Staff, Depends(require("attendance.correct"))]


def _page(request: Request, staff: Staff, session_id: str, status: int = 200, **ctx):
    row = None
    if session_id:
        with db_of(request).read() as r:
            row = r.session_row(session_id)
        if row is not None:
            check_site(staff, row["site_id"])
    with db_of(request).read() as r:
        sites = scope(staff)
        review = r.open_sessions(sites)[:50]
    return render(
        request,
        "console/corrections/page.html",
        status=status,
        row=row,
        session_id=session_id,
        review=review,
        local=local,
        **ctx,
    )


@router.get("/corrections")
def corrections(request: Request, staff: Corrector, session: str = "") -> Response:
    return _page(request, staff, session.strip())


def _when(row: dict, date_text: str, time_text: str) -> datetime | None:
    try:
        day = date_text or local(row["signed_in_at"]).date().isoformat()
        return datetime.fromisoformat(f"{day}T{time_text}").replace(tzinfo=TZ)
    except ValueError:
        return None


@router.post("/corrections")
async def correction_save(request: Request, staff: Corrector) -> Response:
    form = await form_of(request)
    session_id = str(form.get("session_id") or "").strip()
    t = words_of(request)
    with db_of(request).read() as r:
        row = r.session_row(session_id)
    if row is None:
        return _page(request, staff, "", status=404, error=t("corrections.refused.unknown_session"))
    check_site(staff, row["site_id"])
    when = _when(row, str(form.get("date") or ""), str(form.get("time") or ""))
    if when is None:
        return _page(request, staff, session_id, status=422, error=t("corrections.bad_time"))
    reason = str(form.get("reason") or "")
    now = now_of(request)
    try:
        if form.get("confirm") != "1":
            _, verdict = await run_in_threadpool(
                ledger_actions.correction_preview, db_of(request), session_id, when, now
            )
            return _page(request, staff, session_id, preview=verdict, when=when, reason=reason)

        def audit(w, old, verdict, posted) -> None:
            _audit(w, staff, session_id, reason, now, old, verdict, posted)

        await run_in_threadpool(
            ledger_actions.correct_attendance,
            ledger_of(request),
            db_of(request),
            session_id,
            when,
            reason,
            staff.account.actor,
            now,
            audit,
        )
    except ledger_actions.ActionRefused as exc:
        return _page(
            request, staff, session_id, status=422, error=t(f"corrections.refused.{exc.code}")
        )
    return RedirectResponse(f"/console/corrections?session={session_id}&done=1", status_code=303)


def _audit(w, staff: Staff, session_id: str, reason: str, now, old, verdict, posted) -> None:
    """The correction's audit entry, written in the correction's own transaction."""
    w.audit(
        now.isoformat(timespec="milliseconds"),
        staff.account.actor,
        "console.attendance.correct",
        target=f"session:{session_id}",
        site_id=old["site_id"],
        before={
            k: old[k] for k in ("signed_out_at", "minutes", "credited_minutes", "points", "status")
        },
        after={
            "signed_out_at": verdict.signed_out_at.isoformat(),
            "minutes": verdict.minutes,
            "credited_minutes": verdict.credited_minutes,
            "points": verdict.points,
            "reason": reason,
            "event_id": posted.event_id,
        },
    )
