"""审计日志: every change made in the console and through the admin API, newest first,
filtered by who, what, which record, site and date. Entries are never changed or removed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.ledger.db.console import AuditFilter

from ..audit_text import describe
from ..deps import Staff, db_of, require, words_of
from ..render import render

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
TZ = ZoneInfo("Asia/Shanghai")
PAGE = 100


def _day(text: str | None, shift: int = 0) -> str | None:
    try:
        d = date.fromisoformat(text or "")
    except ValueError:
        return None
    return datetime.combine(d + timedelta(days=shift), time(), TZ).isoformat(
        timespec="milliseconds"
    )


@router.get("/audit")
def audit_list(
    request: Request,
    staff: Annotated[Staff, Depends(require("audit.view"))],
    actor: str = "",
    action: str = "",
    target: str = "",
    site: str = "",
    since: str = "",
    until: str = "",
    before: int | None = None,
) -> Response:
    where = AuditFilter(
        actor=actor.strip() or None,
        action=action.strip() or None,
        target=target.strip() or None,
        site_id=site.strip() or None,
        since=_day(since),
        until=_day(until, shift=1),
        before_id=before,
    )
    with db_of(request).read() as r:
        entries = r.audit_entries(where, limit=PAGE + 1)
        actions = r.audit_actions()
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    t = words_of(request)
    rows = [(e, describe(e, t)) for e in entries]
    return render(
        request,
        "console/audit/list.html",
        fragment="console/audit/_rows.html",
        rows=rows,
        actions=actions,
        more=entries[-1].audit_id if more else None,
        filters={
            "actor": actor,
            "action": action,
            "target": target,
            "site": site,
            "since": since,
            "until": until,
        },
    )
