"""Signing in and out, and changing one's own password."""

from __future__ import annotations

import math
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.ledger.staff import accounts

from ..deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentStaff,
    db_of,
    form_of,
    now_of,
    words_of,
)
from ..nav import home
from ..render import render

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md


def _safe_next(target: str | None) -> str | None:
    """Only a console page of this ledger: never another site (an open redirect)."""
    if target and target.startswith("/console/") and not any(ch in target for ch in "\\\r\n"):
        return target
    return None


def _login_page(request: Request, status: int = 200, **context) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "console/login.html",
        status=status,
        login_csrf=token,
        next=_safe_next(request.query_params.get("next")) or "",
        **context,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, secure=True, samesite="strict", path="/console"
    )
    return response


@router.get("/")
def console_root(request: Request) -> Response:
    return RedirectResponse("/console/today", status_code=303)


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await form_of(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    sent = form.get("csrf_token") or ""
    t = words_of(request)
    if not cookie or not isinstance(sent, str) or not secrets.compare_digest(cookie, sent):
        return _login_page(request, status=403, error=t("login.csrf"))
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    now = now_of(request)
    result = await run_in_threadpool(accounts.sign_in, db_of(request), name, password, now)
    if not result.ok:
        if result.locked_until and result.locked_until > now:
            seconds = math.ceil((result.locked_until - now).total_seconds())
            wait = (
                t("login.wait_minutes", n=(seconds + 59) // 60)
                if seconds > 90
                else t("login.wait_seconds", n=seconds)
            )
            error = t("login.locked", wait=wait)
        else:
            error = t("login.wrong")
        return _login_page(request, status=401, error=error, name=name)
    session = result.session
    target = _safe_next(str(form.get("next") or "")) or home(result.account)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=accounts.SESSION_HOURS * 3600,
        httponly=True,
        secure=True,
        samesite="strict",
        path="/console",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(request: Request, staff: CurrentStaff) -> Response:
    await run_in_threadpool(
        accounts.sign_out, db_of(request), staff.account, staff.session_hash, now_of(request)
    )
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.get("/password")
def password_form(request: Request, staff: CurrentStaff) -> Response:
    return render(request, "console/password.html")


@router.post("/password")
async def password_change(request: Request, staff: CurrentStaff) -> Response:
    form = await form_of(request)
    new, again = str(form.get("new") or ""), str(form.get("again") or "")
    t = words_of(request)
    if new != again:
        return render(request, "console/password.html", status=422, error=t("password.mismatch"))
    try:
        await run_in_threadpool(
            accounts.change_password,
            db_of(request),
            staff.account,
            str(form.get("old") or ""),
            new,
            now_of(request),
            staff.session_hash,
        )
    except accounts.AccountError as exc:
        return render(request, "console/password.html", status=422, error=str(exc))
    return render(request, "console/password.html", done=True)
