"""What every route of the ledger needs: the store, the clock, JSON answers and errors,
and who is calling (a kiosk token, the staff token)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from sync.ledger.db import KioskRow, LedgerDB
from sync.ledger.security import bearer


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str),
        status_code=status,
        media_type="application/json",
    )


def error(status: int, code: str, message: str, **extra: Any) -> Response:
    return json_response({"error": code, "message": message, **extra}, status)


def store_of(request: Request) -> LedgerDB:
    return request.app.state.store


def now_of(request: Request) -> datetime:
    return request.app.state.clock()


def token_of(request: Request) -> str | None:
    return bearer(request.headers.get("authorization"))


def kiosk_of(request: Request) -> KioskRow | None:
    """The kiosk of the request's token, if it is one and not revoked."""
    kiosk = store_of(request).kiosk_for_token(token_of(request))
    return None if kiosk is None or kiosk.revoked else kiosk


def revoked_answer(kiosk: KioskRow) -> Response:
    """What a revoked kiosk hears, on every request: its staff sync page shows the message."""
    when = (kiosk.revoked_at or "")[:10]
    why = f"：{kiosk.revoked_reason}" if kiosk.revoked_reason else ""
    why_en = f" ({kiosk.revoked_reason})" if kiosk.revoked_reason else ""
    return error(
        401,
        "kiosk_revoked",
        f"本机 {kiosk.kiosk_id} 的登记已被工作人员撤销{('（' + when + '）') if when else ''}{why}。"
        "请向工作人员要新的登记码，重新登记；未上传的记录保留在本机。"
        f" / This kiosk's enrollment ({kiosk.kiosk_id}) was revoked by staff"
        f"{(' on ' + when) if when else ''}{why_en}: ask staff for a new enrollment code and"
        " enroll again. Records not yet sent stay on this kiosk.",
        kiosk_id=kiosk.kiosk_id,
        revoked_at=kiosk.revoked_at,
    )


def kiosk_only(request: Request) -> tuple[KioskRow | None, Response | None]:
    """(the calling kiosk, None), or (None, the 401 to send)."""
    kiosk = store_of(request).kiosk_for_token(token_of(request))
    if kiosk is None:
        return None, error(
            401, "unauthorized", "a valid kiosk token is required (Authorization: Bearer ...)"
        )
    if kiosk.revoked:
        return None, revoked_answer(kiosk)
    return kiosk, None


def is_staff(request: Request) -> bool:
    return store_of(request).is_admin(token_of(request))


def staff_only(request: Request) -> Response | None:
    """None for the staff (admin) token, else the 401 to send."""
    if not is_staff(request):
        return error(401, "unauthorized", "the staff (admin) token is required")
    return None


def kiosk_or_staff(request: Request) -> Response | None:
    """None for a kiosk token or the staff token, else the 401 to send."""
    if is_staff(request):
        return None
    kiosk = store_of(request).kiosk_for_token(token_of(request))
    if kiosk is None:
        return error(401, "unauthorized", "a kiosk or staff token is required")
    if kiosk.revoked:
        return revoked_answer(kiosk)
    return None
