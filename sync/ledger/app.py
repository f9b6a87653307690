"""The ledger's HTTP service: one FastAPI app over one store, the routes in ``api/``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.clock import Clock, system_clock
from sync.ledger.api import admin, images, verify
from sync.ledger.api import sync as kiosk_wire
from sync.ledger.api.bodylimit import BodyLimit, BodyTooLarge, too_large_body
from sync.ledger.api.contacts import Contacts
from sync.ledger.api.deps import error
from sync.ledger.api.sync import MAX_BODY
from sync.ledger.db import DatabaseUnreachable, LedgerDB
from sync.ledger.staff.spreadsheet import MAX_FILE_BYTES
from sync.protocol import PROTOCOL_VERSION, EnrollRequest, PushRequest

log = logging.getLogger("sync.ledger")

# Bodies by route, enforced while reading (bodylimit.py). Enrollment needs no token, so
# whoever can reach the port can send it: a few KB is all a code and a name need.
MAX_ENROLL_BODY = 16 * 1024
UPLOAD_PATHS = (
    "/v1/admin/roster/import",
    "/v1/admin/activities/import",
    "/v1/admin/catalog/import",
)


# Bodies the routes parse themselves (a bad event is rejected alone, not the batch), declared
# in the OpenAPI all the same so clients and schema-driven fuzzers see them.
READ_BY_HAND = (PushRequest, EnrollRequest)


def body_limit(method: str, path: str) -> int:
    if path == "/v1/enroll":
        return MAX_ENROLL_BODY
    if path in UPLOAD_PATHS or (path.startswith("/v1/admin/catalog/") and path.endswith("/image")):
        return MAX_FILE_BYTES
    return MAX_BODY


def create_app(store: LedgerDB, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(title="Volunteer kiosk ledger", version=f"{PROTOCOL_VERSION}")
    app.state.store = store
    app.state.clock = clock or system_clock()
    app.state.contacts = Contacts(store)  # when each kiosk last pulled (api/contacts.py)
    app.router.add_event_handler("shutdown", app.state.contacts.stop)
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

    @app.exception_handler(DatabaseUnreachable)
    async def _database_unreachable(_request: Request, exc: DatabaseUnreachable) -> Response:
        # A PostgreSQL server gone (a failover in progress): nothing was stored, a kiosk
        # retries the same batch (503 is a temporary failure, DESIGN section 5).
        log.warning("%s", exc)
        return error(
            503,
            "database_unavailable",
            "台账数据库暂时无法连接，请稍后重试 / the ledger database is unreachable, try again shortly",
        )

    app.include_router(kiosk_wire.router)  # the kiosk wire (DESIGN section 5)
    app.include_router(images.router)  # reward pictures for kiosks
    app.include_router(admin.router)  # staff tools (issue 6): imports, cards, 台账 exports
    app.include_router(verify.router)  # /verify: anyone checks a service certificate

    from sync.ledger.console import mount as mount_console
    from sync.ledger.db.console import ConsoleDB

    mount_console(app, ConsoleDB(store))  # the staff console at /console/ (issue 13)

    def openapi() -> dict[str, Any]:
        """The generated schema, plus the request bodies the routes read by hand."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            _, defs = models_json_schema(
                [(m, "validation") for m in READ_BY_HAND],
                ref_template="#/components/schemas/{model}",
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
