"""工作人员账户: staff accounts, their roles and sites (管理员 only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.ledger.staff import accounts
from sync.ledger.staff.roles import ROLE_NAMES, ROLES

from ..deps import NotFound, Staff, db_of, form_of, ledger_of, now_of, require
from ..render import render

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
Manager = Annotated[Staff, Depends(require("accounts.manage"))]


def _page(request: Request, status: int = 200, **context) -> Response:
    with db_of(request).read() as r:
        rows = [s.account for s in r.accounts()]
    return render(
        request,
        "console/accounts/list.html",
        status=status,
        rows=rows,
        roles=ROLES,
        role_names=ROLE_NAMES,
        sites=ledger_of(request).site_ids(),
        **context,
    )


@router.get("/accounts")
def account_list(request: Request, staff: Manager) -> Response:
    return _page(request)


def _sites(form) -> list[str]:
    return [str(s) for s in form.getlist("sites") if str(s)]


@router.post("/accounts")
async def account_create(request: Request, staff: Manager) -> Response:
    form = await form_of(request)
    password = accounts.new_password()
    try:
        created = await run_in_threadpool(
            lambda: accounts.create_account(
                db_of(request),
                str(form.get("name") or ""),
                str(form.get("role") or ""),
                password,
                now_of(request),
                actor=staff.account.actor,
                sites=_sites(form),
                display_name=str(form.get("display_name") or ""),
                known_sites=ledger_of(request).site_ids(),
            )
        )
    except accounts.AccountError as exc:
        return _page(request, status=422, error=str(exc), form=dict(form))
    return _page(request, shown_password=(created.name, password))


@router.get("/accounts/{account_id}")
def account_edit_form(account_id: int, request: Request, staff: Manager) -> Response:
    with db_of(request).read() as r:
        found = r.account(account_id)
    if found is None:
        raise NotFound("account")
    return render(
        request,
        "console/accounts/edit.html",
        row=found.account,
        roles=ROLES,
        role_names=ROLE_NAMES,
        sites=ledger_of(request).site_ids(),
    )


@router.post("/accounts/{account_id}")
async def account_update(account_id: int, request: Request, staff: Manager) -> Response:
    form = await form_of(request)
    try:
        await run_in_threadpool(
            lambda: accounts.update_account(
                db_of(request),
                account_id,
                now_of(request),
                actor=staff.account.actor,
                display_name=str(form.get("display_name") or ""),
                role=str(form.get("role") or ""),
                sites=_sites(form),
                active=form.get("active") == "1",
                staff_id=str(form.get("staff_id") or "").strip().upper() or None,
            )
        )
    except accounts.AccountError as exc:
        with db_of(request).read() as r:
            found = r.account(account_id)
        if found is None:
            raise NotFound("account") from exc
        return render(
            request,
            "console/accounts/edit.html",
            status=422,
            row=found.account,
            roles=ROLES,
            role_names=ROLE_NAMES,
            sites=ledger_of(request).site_ids(),
            error=str(exc),
        )
    return RedirectResponse("/console/accounts", status_code=303)


@router.post("/accounts/{account_id}/password")
async def account_reset(account_id: int, request: Request, staff: Manager) -> Response:
    try:
        password = await run_in_threadpool(
            lambda: accounts.reset_password(
                db_of(request), account_id, now_of(request), actor=staff.account.actor
            )
        )
    except accounts.AccountError as exc:
        raise NotFound("account") from exc
    with db_of(request).read() as r:
        name = r.account(account_id).account.name
    return _page(request, shown_password=(name, password))
