"""The HTTP face of the ledger (DESIGN section 5). Handlers are thin: they check the
caller, parse the body and hand over to ``LedgerStore``.

Push bodies are parsed with ``json`` and checked by hand rather than through pydantic
per event: a batch of 500 is the hot path, and a bad event must become a per-event
rejection, not a 422 for the whole batch.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.clock import Clock, system_clock
from sync.protocol import (
    MAX_BATCH,
    PROTOCOL_VERSION,
    ChangesResponse,
    EnrollRequest,
    EnrollResponse,
    PushResponse,
)

from . import protocol_compat, wirejson
from .bodylimit import BodyLimit, BodyTooLarge, too_large_body
from .security import bearer
from .spreadsheet import MAX_FILE_BYTES
from .storage import EnrollError, LedgerStore
from .validate import slot

log = logging.getLogger("sync.ledger")

MAX_BODY = 4 * 1024 * 1024  # 500 events at the largest sensible payloads fit easily
MAX_PAGE = 20_000


def _json(obj: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(obj, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
    )


def error(status: int, code: str, message: str) -> Response:
    return _json({"error": code, "message": message}, status)


# Bodies by route, enforced while reading (bodylimit.py). Enrollment needs no token, so
# whoever can reach the port can send it: a few KB is all a code and a name need.
MAX_ENROLL_BODY = 16 * 1024
UPLOAD_PATHS = (
    "/v1/admin/roster/import",
    "/v1/admin/activities/import",
    "/v1/admin/catalog/import",
)


def body_limit(method: str, path: str) -> int:
    if path == "/v1/enroll":
        return MAX_ENROLL_BODY
    if path in UPLOAD_PATHS or (path.startswith("/v1/admin/catalog/") and path.endswith("/image")):
        return MAX_FILE_BYTES
    return MAX_BODY


def create_app(store: LedgerStore, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(title="Volunteer kiosk ledger", version=f"{PROTOCOL_VERSION}")
    app.state.store = store
    app.state.clock = clock or system_clock()
    # Every JSON body but a kiosk's push (its bad events are rejected one by one) and the
    # uploads (a file, whatever the client calls it).
    app.add_middleware(
        BodyLimit,
        limit_for=body_limit,
        json_gate=lambda method, path: (
            path != "/v1/events" and body_limit(method, path) != MAX_FILE_BYTES
        ),
    )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        # No such route, or a method it does not take: the same {error, message} shape.
        words = {
            404: ("not_found", "没有这个地址 / no such path"),
            405: ("method_not_allowed", "这个地址不接受这种请求 / method not allowed here"),
        }
        code, message = words.get(exc.status_code, ("http_error", f"请求出错 / {exc.detail}"))
        return error(exc.status_code, code, message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return error(
            422,
            "invalid_request",
            f"请求参数不对：{where} / invalid request: {where}: {first.get('msg', 'invalid')}",
        )

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_request: Request, exc: BodyTooLarge) -> Response:
        log.warning("request body refused: over %s bytes", exc.limit)
        return Response(
            too_large_body(exc.limit),
            status_code=413,
            media_type="application/json",
            headers={"Connection": "close"},
        )

    def now() -> datetime:
        return app.state.clock()

    async def body_of(request: Request) -> tuple[Any, Response | None]:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY:
            return None, error(413, "body_too_large", f"request body over {MAX_BODY} bytes")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return None, error(413, "body_too_large", f"request body over {MAX_BODY} bytes")
        try:
            return json.loads(raw), None
        except (
            UnicodeDecodeError,
            ValueError,
            RecursionError,
        ) as exc:  # ValueError: JSONDecodeError, huge ints
            return None, error(400, "malformed_json", f"the body is not valid JSON: {exc}")

    @app.get("/v1/health")
    async def health() -> dict:
        return {
            "status": "ok",
            "protocol": PROTOCOL_VERSION,
            "server_time": now().isoformat(),
            **store.counts(),
        }

    @app.post("/v1/enroll", responses={200: {"model": EnrollResponse}})
    async def enroll(request: Request) -> Response:
        data, err = await body_of(request)
        if err:
            return err
        try:
            req = EnrollRequest.model_validate(data)
        except ValidationError as exc:
            return error(
                422,
                "invalid_request",
                "请求应包含登记码和终端名称 / expected {enrollment_code, kiosk_name}: "
                + str(exc.errors()[0]["msg"]),
            )
        try:
            done = store.enroll(req.enrollment_code, req.kiosk_name, now(), site_id=req.site_id)
        except EnrollError as exc:
            log.warning("enrollment refused: %s", exc.code)
            if exc.code == "site_mismatch":
                return error(409, "site_mismatch", exc.message)
            return error(403 if exc.code != "unknown" else 404, f"code_{exc.code}", exc.message)
        log.info("kiosk %s enrolled at %s", done.kiosk_id, done.site_id)
        return _json(
            EnrollResponse(
                kiosk_id=done.kiosk_id,
                token=done.token,
                site_id=done.site_id,
                public_key=done.public_key,
            ).model_dump()
        )

    @app.post("/v1/events", responses={200: {"model": PushResponse}})
    async def push(request: Request) -> Response:
        kiosk = store.kiosk_for_token(bearer(request.headers.get("authorization")))
        if kiosk is None:
            return error(
                401, "unauthorized", "a valid kiosk token is required (Authorization: Bearer ...)"
            )
        data, err = await body_of(request)
        if err:
            return err
        if (refused := protocol_compat.accept_push(request.headers, data)) is not None:
            return refused  # a kiosk protocol this ledger does not take (README: the sync protocol)
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            return error(422, "invalid_request", "expected an object {kiosk_id, events: [...]}")
        if data.get("kiosk_id") != kiosk.kiosk_id:
            return error(
                403,
                "wrong_kiosk",
                f"this token belongs to kiosk {kiosk.kiosk_id}, not {data.get('kiosk_id')!r}",
            )
        events = data["events"]
        if len(events) > MAX_BATCH:
            return error(
                413, "batch_too_large", f"{len(events)} events in one batch; at most {MAX_BATCH}"
            )
        for i, ev in enumerate(events):
            if slot(ev) is None:
                return error(
                    422, "invalid_event", f"event {i} has no usable id and seq: nothing was stored"
                )
        results, acked = store.ingest(kiosk.kiosk_id, events, now())
        # The same bytes _json would send, serialised faster (500 results per batch).
        return Response(
            wirejson.dumps_wire(
                {"results": results, "acked_seq": acked, "server_time": now().isoformat()}
            ),
            media_type="application/json",
        )

    @app.get("/v1/changes", responses={200: {"model": ChangesResponse}})
    async def changes(
        request: Request, since: str | None = None, limit: int = Query(5000, ge=1, le=MAX_PAGE)
    ) -> Response:
        token = bearer(request.headers.get("authorization"))
        if store.kiosk_for_token(token) is None and not store.is_admin(token):
            return error(401, "unauthorized", "a kiosk or staff token is required")
        page = store.changes_since(since, limit)
        return _json(
            {
                "changes": page.changes,
                "next_cursor": page.next_cursor,
                "reset": page.reset,
                "server_time": now().isoformat(),
                "public_key": store.public_key,
            }
        )

    @app.get("/v1/volunteers/{volunteer_id}")
    async def volunteer(volunteer_id: str, request: Request) -> Response:
        token = bearer(request.headers.get("authorization"))
        if store.kiosk_for_token(token) is None and not store.is_admin(token):
            return error(401, "unauthorized", "a kiosk or staff token is required")
        found = store.volunteer(volunteer_id)
        if found is None:
            return error(404, "unknown_volunteer", f"no volunteer {volunteer_id}")
        return _json(found)

    @app.get("/v1/exceptions")
    async def exceptions(request: Request, kind: str | None = None) -> Response:
        token = bearer(request.headers.get("authorization"))
        if store.is_admin(token):
            return _json({"exceptions": store.exceptions(kind), "server_time": now().isoformat()})
        kiosk = store.kiosk_for_token(token)
        if kiosk is None:
            return error(401, "unauthorized", "a kiosk or staff (admin) token is required")
        # A kiosk's staff page: its own site's exceptions only, volunteer ids, no personal data.
        from .site_exceptions import for_site

        return _json(
            {
                "exceptions": for_site(store, kiosk.site_id, kind),
                "site_id": kiosk.site_id,
                "server_time": now().isoformat(),
            }
        )

    from .admin_api import router as staff_router

    app.include_router(staff_router)  # staff tools (issue 6): imports, cards, 台账 exports
    return app
