"""The kiosk wire (DESIGN section 5): enroll, push events, pull changes, a volunteer's
figures, exceptions, health. Handlers are thin: they check the caller, parse the body and
hand over to the store, always in the thread pool (the store blocks: SQLite, PostgreSQL),
so one slow request never holds up another kiosk's push or ``/v1/health``.

A push body is declared in the OpenAPI as ``PushRequest`` (every event type's schema) but
read by hand: a bad event must become a per-event rejection, not a 422 for the batch.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from sync.ledger import wirejson
from sync.ledger.api import protocol_compat
from sync.ledger.api.deps import (
    error,
    is_staff,
    json_response,
    kiosk_of,
    kiosk_only,
    kiosk_or_staff,
    now_of,
    store_of,
)
from sync.ledger.db import EnrollError, KioskRow, LedgerDB
from sync.ledger.rules.site_exceptions import for_site
from sync.ledger.rules.validate import slot
from sync.ledger.staff import records
from sync.protocol import (
    MAX_BATCH,
    PROTOCOL_VERSION,
    ChangesResponse,
    EnrollRequest,
    EnrollResponse,
    KioskStatus,
    PushRequest,
    PushResponse,
)

log = logging.getLogger("sync.ledger")

MAX_BODY = 4 * 1024 * 1024  # 500 events at the largest sensible payloads fit easily
MAX_PAGE = 20_000

router = APIRouter()


def _body(model: type) -> dict[str, Any]:
    """OpenAPI for a request body read by hand (so a schema-driven fuzzer reaches it)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


async def raw_body(request: Request) -> tuple[bytes, Response | None]:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        return b"", error(413, "body_too_large", f"request body over {MAX_BODY} bytes")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return b"", error(413, "body_too_large", f"request body over {MAX_BODY} bytes")
    return raw, None


def parse_json(raw: bytes) -> tuple[Any, Response | None]:
    try:
        return json.loads(raw), None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: JSONDecodeError, huge ints
        return None, error(400, "malformed_json", f"the body is not valid JSON: {exc}")


@router.get("/v1/health")
def health(request: Request) -> dict:
    """No token. The service is up and its database answers: ``{status: "ok", ...}``, with
    the kiosks enrolled and the events acknowledged to them. Cheap at any size (a load
    balancer asks every few seconds): it reads the kiosks table, never counts the events."""
    return {
        "status": "ok",
        "protocol": PROTOCOL_VERSION,
        "server_time": now_of(request).isoformat(),
        **store_of(request).health(),
    }


@router.post(
    "/v1/enroll", responses={200: {"model": EnrollResponse}}, openapi_extra=_body(EnrollRequest)
)
async def enroll(request: Request) -> Response:
    """A kiosk joins with a one-time enrollment code (``kiosk-ledger enroll-code``) and gets
    its id, its token, its site and the community's public key. docs/protocol.md."""
    raw, err = await raw_body(request)
    if err:
        return err
    return await run_in_threadpool(_enroll, request, raw)


def _enroll(request: Request, raw: bytes) -> Response:
    data, err = parse_json(raw)
    if err:
        return err
    try:
        req = EnrollRequest.model_validate(data)
    except ValidationError as exc:
        return error(
            422,
            "invalid_request",
            "请求应包含登记码和自助机名称 / expected {enrollment_code, kiosk_name}: "
            + str(exc.errors()[0]["msg"]),
        )
    try:
        done = store_of(request).enroll(
            req.enrollment_code, req.kiosk_name, now_of(request), site_id=req.site_id
        )
    except EnrollError as exc:
        log.warning("enrollment refused: %s", exc.code)
        if exc.code == "site_mismatch":
            return error(409, "site_mismatch", exc.message)
        return error(403 if exc.code != "unknown" else 404, f"code_{exc.code}", exc.message)
    log.info("kiosk %s enrolled at %s", done.kiosk_id, done.site_id)
    return json_response(
        EnrollResponse(
            kiosk_id=done.kiosk_id,
            token=done.token,
            site_id=done.site_id,
            public_key=done.public_key,
        ).model_dump()
    )


def push_contact(request: Request, kiosk_id: str, status: Any) -> tuple[str, dict | None]:
    """A push: when, and the kiosk's own word on its queue and clock, kept for the console's
    自助机 page (written with the batch). A report that does not parse is logged and
    ignored: it never costs the batch."""
    report = None
    if status is not None:
        try:
            report = KioskStatus.model_validate(status).model_dump()
        except ValidationError:
            log.warning("kiosk %s sent a malformed status report; ignored", kiosk_id)
    return now_of(request).isoformat(timespec="milliseconds"), report


@router.post(
    "/v1/events", responses={200: {"model": PushResponse}}, openapi_extra=_body(PushRequest)
)
async def push(request: Request) -> Response:
    """Kiosk token. A batch of up to 500 events in seq order; each event's status, and
    acked_seq, the highest contiguous seq the ledger holds. Idempotent: a resent batch
    changes nothing. docs/protocol.md."""
    raw, err = await raw_body(request)
    if err:
        return err
    return await run_in_threadpool(_push, request, raw)


def _push(request: Request, raw: bytes) -> Response:
    kiosk, refused = kiosk_only(request)
    if kiosk is None:
        return refused
    data, err = parse_json(raw)
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
    contact = push_contact(request, kiosk.kiosk_id, data.get("status"))
    results, acked = store_of(request).ingest(kiosk.kiosk_id, events, now_of(request), contact)
    # The same bytes json_response would send, serialised faster (500 results per batch).
    return Response(
        wirejson.dumps_wire(
            {"results": results, "acked_seq": acked, "server_time": now_of(request).isoformat()}
        ),
        media_type="application/json",
    )


@router.get("/v1/changes", responses={200: {"model": ChangesResponse}})
def changes(
    request: Request, since: str | None = None, limit: int = Query(5000, ge=1, le=MAX_PAGE)
) -> Response:
    """Kiosk or staff token. The change feed after ``since``: roster, card versions,
    activities, catalog, stock, balances, staff credentials. An unknown cursor answers
    ``reset: true`` and a full snapshot. docs/protocol.md."""
    if (denied := kiosk_or_staff(request)) is not None:
        return denied
    if (kiosk := kiosk_of(request)) is not None:
        # A pull is contact too; written later, by the contacts thread: never waits here.
        request.app.state.contacts.note(
            kiosk.kiosk_id, now_of(request).isoformat(timespec="milliseconds")
        )
    store = store_of(request)
    page = store.changes_since(since, limit)
    return json_response(
        {
            "changes": page.changes,
            "next_cursor": page.next_cursor,
            "reset": page.reset,
            "server_time": now_of(request).isoformat(),
            "public_key": store.public_key,
        }
    )


@router.get("/v1/volunteers/{volunteer_id}")
def volunteer(volunteer_id: str, request: Request) -> Response:
    """Kiosk or staff token. One volunteer's display name, balance and minutes."""
    if (denied := kiosk_or_staff(request)) is not None:
        return denied
    found = store_of(request).volunteer(volunteer_id)
    if found is None:
        return error(404, "unknown_volunteer", f"no volunteer {volunteer_id}")
    return json_response(found)


@router.get("/v1/volunteers/{volunteer_id}/record")
def volunteer_record(volunteer_id: str, request: Request) -> Response:
    """我的记录 for a kiosk: hours and points this month, this year and in all, the star
    level, the last ten sessions and points movements, from every kiosk's records."""
    if (denied := kiosk_or_staff(request)) is not None:
        return denied
    record = records.volunteer_record(store_of(request), volunteer_id, now_of(request))
    if record is None:
        return error(404, "unknown_volunteer", f"no volunteer {volunteer_id}")
    return json_response(record)


@router.get("/v1/exceptions")
def exceptions(request: Request, kind: str | None = None) -> Response:
    """Staff token: every exception (overdrafts, overlapping sessions, conflicts, rejected
    events, stock below zero), optionally of one ``kind``. Kiosk token: its own site's
    newest 200, cut to what the staff page shows."""
    store: LedgerDB = store_of(request)
    if is_staff(request):
        return json_response(
            {"exceptions": store.exceptions(kind), "server_time": now_of(request).isoformat()}
        )
    if (refused := kiosk_or_staff(request)) is not None:
        return refused
    kiosk: KioskRow | None = kiosk_of(request)
    assert kiosk is not None
    # A kiosk's staff page: its own site's exceptions only, volunteer ids, no personal data.
    return json_response(
        {
            "exceptions": for_site(store, kiosk.site_id, kind),
            "site_id": kiosk.site_id,
            "server_time": now_of(request).isoformat(),
        }
    )
