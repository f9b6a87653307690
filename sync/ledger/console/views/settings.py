"""设置: the ledger's settings a community worker changes without a terminal, the same as
``kiosk-ledger settings``: the organisation its 志愿服务证明 and the volunteers' poster
name (name, address, contact, phone), the /verify address printed on certificates, and
the star thresholds (sent to every kiosk). Administrators only; each change is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.ledger.staff import records

from ..deps import Staff, form_of, ledger_of, now_of, require, words_of
from ..render import render
from .common import audited

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
Admin = Annotated[Staff, Depends(require("settings.edit"))]
FIELDS = ("org_name", "org_address", "org_contact", "org_phone", "verify_url", "star_thresholds")


@router.get("/settings")
def settings_page(request: Request, staff: Admin) -> Response:
    return render(
        request,
        "console/settings/page.html",
        values=records.ledger_settings(ledger_of(request)),
        fields=FIELDS,
    )


@router.post("/settings")
async def settings_save(request: Request, staff: Admin) -> Response:
    form = await form_of(request)
    store = ledger_of(request)
    before = records.ledger_settings(store)
    values = {k: str(form.get(k) or "").strip()[:200] for k in FIELDS}
    changed = {k: v for k, v in values.items() if v != before[k]}
    now = now_of(request)

    def entry(w) -> None:  # in the settings' own transaction
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.settings.update",
            target="settings",
            before={k: before[k] for k in changed},
            after=changed,
        )

    try:
        with audited(request, entry) as pending:
            if changed:
                await run_in_threadpool(records.set_ledger_settings, store, changed)
            else:
                pending.clear()
    except ValueError as exc:
        t = words_of(request)
        return render(
            request,
            "console/settings/page.html",
            status=422,
            values={**before, **values},
            fields=FIELDS,
            error=f"{t('settings.bad_stars')} ({exc})",
        )
    return RedirectResponse("/console/settings?saved=1", status_code=303)
