"""What every console route depends on: the signed-in account, its permission, the CSRF
check, the page's language (STYLE.md section 1: ``dependencies=[Depends(require(...))]``).

CSRF: a synchronizer token per session, sent back by every form (``csrf_token``) and by
htmx (the ``X-CSRF-Token`` header ``base.html`` sets). Any request that is not GET or
HEAD without the session's token is refused before the route runs. The sign-in form,
which has no session yet, carries a token that must match a cookie of its own
(``vk_login_csrf``), so another site cannot sign a browser in to an account of its choosing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from sync.ledger.staff import accounts
from sync.ledger.staff.roles import Account

from .i18n import Words, pick

SESSION_COOKIE = "vk_console"
LOGIN_CSRF_COOKIE = "vk_login_csrf"
LANG_COOKIE = "vk_lang"
SAFE_METHODS = ("GET", "HEAD")


class NeedLogin(Exception):
    """No live session: a page answers with the sign-in page, htmx with a redirect."""


class Forbidden(Exception):
    def __init__(self, reason: str = "forbidden"):
        super().__init__(reason)
        self.reason = reason


class CsrfRefused(Exception):
    pass


class NotFound(Exception):
    def __init__(self, what: str = ""):
        super().__init__(what)
        self.what = what


def db_of(request: Request) -> Any:
    return request.app.state.console_db


def ledger_of(request: Request) -> Any:
    return request.app.state.store


def now_of(request: Request) -> datetime:
    return request.app.state.clock()


def words_of(request: Request) -> Words:
    found = getattr(request.state, "words", None)
    if found is None:
        found = request.state.words = Words(
            pick(
                request.query_params.get("lang"),
                request.cookies.get(LANG_COOKIE),
                request.headers.get("accept-language"),
            )
        )
    return found


@dataclass(frozen=True)
class Staff:
    """The person signed in, for this request."""

    account: Account
    csrf: str
    session_hash: str

    def can(self, permission: str) -> bool:
        return self.account.can(permission)


async def form_of(request: Request) -> Any:
    """The submitted form (parsed once; multipart for uploads, up to the upload limit)."""
    return await request.form(max_files=4, max_fields=400, max_part_size=20 * 1024 * 1024)


async def _sent_csrf(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await form_of(request)).get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


async def current_staff(request: Request) -> Staff:
    found = await run_in_threadpool(
        accounts.session_for, db_of(request), request.cookies.get(SESSION_COOKIE), now_of(request)
    )
    if found is None:
        raise NeedLogin()
    account, csrf, session_hash = found
    staff = Staff(account, csrf, session_hash)
    request.state.staff = staff
    if request.method not in SAFE_METHODS:
        sent = await _sent_csrf(request)
        if not sent or not secrets.compare_digest(sent, csrf):
            raise CsrfRefused()
    return staff


CurrentStaff = Annotated[Staff, Depends(current_staff)]


def require(permission: str):
    """The route's permission: 403 for an account whose role lacks it."""

    async def check(staff: CurrentStaff) -> Staff:
        if not staff.can(permission):
            raise Forbidden(permission)
        return staff

    check.permission = permission  # read by tests: every console route declares one
    return check


def check_site(staff: Staff, site_id: str | None) -> None:
    """Site staff act at their own sites only."""
    if not staff.account.may_see_site(site_id):
        raise Forbidden(f"site:{site_id}")
