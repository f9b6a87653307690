"""What every route of the ledger needs: the store, the clock, JSON answers and errors,
and who is calling (a kiosk token, the staff token)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from sync.ledger.db.sqlite.store import KioskRow, LedgerStore
from sync.ledger.security import bearer


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str),
        status_code=status,
        media_type="application/json",
    )


def error(status: int, code: str, message: str, **extra: Any) -> Response:
    return json_response({"error": code, "message": message, **extra}, status)


def store_of(request: Request) -> LedgerStore:
    return request.app.state.store


def now_of(request: Request) -> datetime:
    return request.app.state.clock()


def token_of(request: Request) -> str | None:
    return bearer(request.headers.get("authorization"))


def kiosk_of(request: Request) -> KioskRow | None:
    return store_of(request).kiosk_for_token(token_of(request))


def is_staff(request: Request) -> bool:
    return store_of(request).is_admin(token_of(request))


def staff_only(request: Request) -> Response | None:
    """None for the staff (admin) token, else the 401 to send."""
    if not is_staff(request):
        return error(401, "unauthorized", "the staff (admin) token is required")
    return None


def kiosk_or_staff(request: Request) -> Response | None:
    """None for a kiosk token or the staff token, else the 401 to send."""
    if kiosk_of(request) is None and not is_staff(request):
        return error(401, "unauthorized", "a kiosk or staff token is required")
    return None
