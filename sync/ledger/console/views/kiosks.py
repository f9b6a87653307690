"""自助机: every kiosk with its last contact, the events it holds that the ledger has not yet
received (as its last push reported), its clock offset and software; an alert when a
kiosk has been silent for more than 15 minutes in opening hours or holds events older than
an hour. Enroll a new kiosk with a QR code its camera reads; revoke a kiosk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.protocol import enrollment_qr_text

from ..deps import NotFound, Staff, check_site, db_of, form_of, ledger_of, now_of, require
from ..render import local, render
from .common import TZ, audited

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
SILENT = timedelta(minutes=15)
STALE_QUEUE_S = 3600
CLOCK_OFF_MS = 5 * 60 * 1000  # a kiosk clock this far off stamps sign-ins at the wrong time
OPENING_HOURS = (8, 20)  # China time; a kiosk quiet at night is not an alarm


def health(report, now: datetime) -> list[str]:
    """Alert keys for one kiosk: silent in opening hours, events held for over an hour."""
    alerts = []
    local_now = now.astimezone(TZ)
    if report is None:
        return ["kiosks.alert_never"]
    contact = datetime.fromisoformat(report.contact_at)
    if now - contact > SILENT and OPENING_HOURS[0] <= local_now.hour < OPENING_HOURS[1]:
        alerts.append("kiosks.alert_silent")
    if report.oldest_pending_s is not None and report.status_at:
        held = (
            report.oldest_pending_s
            + (now - datetime.fromisoformat(report.status_at)).total_seconds()
        )
        if report.pending and held > STALE_QUEUE_S:
            alerts.append("kiosks.alert_old_events")
    if report.clock_offset_ms is not None and abs(report.clock_offset_ms) > CLOCK_OFF_MS:
        alerts.append("kiosks.alert_clock")
    return alerts


def _rows(request: Request, staff: Staff) -> list[dict]:
    now = now_of(request)
    request.app.state.contacts.flush()  # this process's pulls, up to now
    with db_of(request).read() as r:
        reports = r.kiosk_reports()
    rows = []
    for k in ledger_of(request).kiosks():
        if not staff.account.may_see_site(k.site_id) or k.kiosk_id.startswith("CONSOLE-"):
            continue
        rep = reports.get(k.kiosk_id)
        rows.append(
            {
                "kiosk": k,
                "report": rep,
                "contact": local(rep.contact_at) if rep else None,
                "alerts": [] if k.revoked else health(rep, now),
                "revoked": (
                    {"at": local(k.revoked_at), "reason": k.revoked_reason} if k.revoked else None
                ),
            }
        )
    return rows


@router.get("/kiosks")
def kiosk_list(
    request: Request, staff: Annotated[Staff, Depends(require("kiosks.view"))]
) -> Response:
    return render(
        request,
        "console/kiosks/list.html",
        fragment="console/kiosks/_rows.html",
        rows=_rows(request, staff),
        sites=staff.account.visible_sites(ledger_of(request).site_ids()),
    )


@router.post("/kiosks/enroll")
async def kiosk_enroll(
    request: Request, staff: Annotated[Staff, Depends(require("kiosks.manage"))]
) -> Response:
    form = await form_of(request)
    site = str(form.get("site") or "")
    check_site(staff, site)
    now = now_of(request)
    store = ledger_of(request)
    hours = 24.0

    def entry(w) -> None:  # in the code's own transaction
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.kiosk.enroll_code",
            target=f"site:{site}",
            site_id=site,
            after={"site_id": site, "expires_in_hours": hours},
        )

    try:
        with audited(request, entry):
            code = await run_in_threadpool(
                store.create_enrollment_code, site, now, timedelta(hours=hours)
            )
    except KeyError as exc:
        raise NotFound("site") from exc
    url = str(request.base_url).rstrip("/")
    text = enrollment_qr_text(url, code)
    qr = segno.make(text, error="m")
    return render(
        request,
        "console/kiosks/enroll.html",
        code=code,
        site=site,
        url=url,
        qr_svg=qr.svg_data_uri(scale=6, border=2),
        qr_text=text,
        expires=local(now + timedelta(hours=hours)),
    )


@router.post("/kiosks/{kiosk_id}/revoke")
async def kiosk_revoke(
    kiosk_id: str,
    request: Request,
    staff: Annotated[Staff, Depends(require("kiosks.manage"))],
) -> Response:
    form = await form_of(request)
    reason = str(form.get("reason") or "").strip()[:200]
    found = next((k for k in ledger_of(request).kiosks() if k.kiosk_id == kiosk_id), None)
    if found is None:
        raise NotFound("kiosk")
    check_site(staff, found.site_id)
    if found.revoked:
        return RedirectResponse("/console/kiosks", status_code=303)
    now = now_of(request)

    def entry(w) -> None:  # in the revocation's own transaction
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.kiosk.revoke",
            target=f"kiosk:{kiosk_id}",
            site_id=found.site_id,
            before={"revoked": False},
            after={"revoked": True, "reason": reason},
        )

    with audited(request, entry):
        await run_in_threadpool(ledger_of(request).revoke_kiosk, kiosk_id, now, reason)
    return RedirectResponse("/console/kiosks", status_code=303)
