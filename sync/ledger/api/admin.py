"""Staff endpoints on the ledger (staff/admin token), the HTTP twin of the staff commands.

Uploads are the raw file as the request body (``?filename=名册.xlsx`` says which kind), so
a browser ``fetch`` or ``curl --data-binary @file`` works without multipart support.
Handlers are plain ``def`` (FastAPI runs them in its thread pool), or read the body on the
event loop and hand everything else to the thread pool: the token check (it reads the
store), the temporary file, the import. A 25,000-row import or a month's export never blocks
kiosks syncing through the event loop, nor ``/v1/health``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kiosk.core.text import bad_char
from sync.ledger.api.deps import error, json_response, now_of, staff_only, store_of
from sync.ledger.staff import (
    activities,
    card_sheet,
    cards,
    catalog,
    exports,
    kiosks,
    reference,
    roster,
)
from sync.ledger.staff.activity_import import check_activity, parse_activities
from sync.ledger.staff.catalog_import import import_catalog, parse_catalog
from sync.ledger.staff.errors import AdminError
from sync.ledger.staff.roster_import import parse_roster

MAX_UPLOAD = 20 * 1024 * 1024  # a 25,000-row roster is about 1 MB as xlsx
UPLOAD_TYPES = (".xlsx", ".xlsm", ".csv")

router = APIRouter()


def _download(content: bytes, filename: str, media_type: str) -> Response:
    # RFC 5987 so Chinese file names (台账-2026-11.xlsx) arrive intact in every browser.
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


class _Upload:
    """A private temporary file the body is streamed into. Every call touches the disk, so
    the async handler calls each one in the thread pool, never on the event loop."""

    def __init__(self, suffix: str) -> None:
        self.fh = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115 (see close)
        self.path = Path(self.fh.name)

    def write(self, chunks: list[bytes]) -> None:
        self.fh.write(b"".join(chunks))

    def close(self) -> None:
        self.fh.close()

    def discard(self) -> None:
        self.fh.close()
        self.path.unlink(missing_ok=True)


_FLUSH_AT = 1024 * 1024  # bytes gathered in memory between two writes (one thread hop each)


async def _upload(request: Request, filename: str) -> tuple[Path | None, Response | None]:
    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_TYPES:
        return None, error(
            415,
            "unsupported_file",
            "请上传 .xlsx 或 .csv 文件 / upload an .xlsx or .csv file (say which with ?filename=)",
        )
    # Streamed to a private temporary file as it arrives, never held whole in memory,
    # and cut off at the cap (the body-limit middleware stops the read there too).
    size = 0
    upload = await run_in_threadpool(_Upload, suffix)
    try:
        pending: list[bytes] = []
        held = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD:
                break
            pending.append(chunk)
            held += len(chunk)
            if held >= _FLUSH_AT:
                await run_in_threadpool(upload.write, pending)
                pending, held = [], 0
        if pending and size <= MAX_UPLOAD:
            await run_in_threadpool(upload.write, pending)
        await run_in_threadpool(upload.close)
    except BaseException:
        with anyio.CancelScope(shield=True):  # a client gone mid-upload: still tidy up
            await run_in_threadpool(upload.discard)
        raise
    if size > MAX_UPLOAD or size == 0:
        await run_in_threadpool(upload.discard)
        if size:
            return None, error(
                413, "file_too_large", f"文件超过 {MAX_UPLOAD // 1024 // 1024} MB / file too large"
            )
        return None, error(422, "empty_file", "文件是空的 / the file is empty")
    return upload.path, None


async def _with_upload(
    request: Request, filename: str, work: Callable[[Path], Response]
) -> Response:
    """Staff only: the body kept as a temporary file named like ``filename``, handed to
    ``work`` in the thread pool (parsing a sheet and importing it block), then removed."""
    # The token is checked before the body is read, in the thread pool (it reads the store).
    if (denied := await run_in_threadpool(staff_only, request)) is not None:
        return denied
    path, err = await _upload(request, filename)
    if err:
        return err
    assert path is not None

    def run() -> Response:
        try:
            return work(path)
        finally:
            path.unlink(missing_ok=True)

    return await run_in_threadpool(run)


async def _with_body(request: Request, work: Callable[[bytes], Response]) -> Response:
    """Staff only: the body, handed to ``work`` in the thread pool (it reads and writes the
    store, decodes pictures)."""
    if (denied := await run_in_threadpool(staff_only, request)) is not None:
        return denied
    return await run_in_threadpool(work, await request.body())


def _row_errors(errors: list) -> list[dict[str, Any]]:
    return [{"row": e.row, "column": e.column, "message": e.message} for e in errors]


# -- roster and cards ---------------------------------------------------------------------------


@router.post("/v1/admin/roster/import")
async def roster_import(
    request: Request, filename: str = "", dry_run: bool = False, full: bool = False
) -> Response:
    """Staff token. A roster sheet (.xlsx or .csv) as the body, as ``kiosk-ledger
    import-roster``: ``dry_run`` shows what would change, ``full`` makes volunteers missing
    from it inactive. Errors list row, column and message; nothing is written then."""

    def work(path: Path) -> Response:
        report = roster.import_roster(
            store_of(request), parse_roster(path), now_of(request), dry_run=dry_run, full=full
        )
        return json_response(report.to_dict(), 200 if report.ok else 422)

    return await _with_upload(request, filename, work)


@router.get("/v1/admin/volunteers")
def roster_list(request: Request, with_phone: bool = False) -> Response:
    """Staff token. The roster; ``with_phone=true`` adds phone numbers."""
    if (denied := staff_only(request)) is not None:
        return denied
    return json_response(
        {"volunteers": roster.list_volunteers(store_of(request), include_phone=with_phone)}
    )


@router.post("/v1/admin/volunteers/{volunteer_id}/reissue")
def reissue(volunteer_id: str, request: Request, reason: str = "") -> Response:
    """Staff token. A new card version for a lost card: kiosks refuse the old one after
    their next sync. Answers the new card version and where its picture is."""
    if (denied := staff_only(request)) is not None:
        return denied
    try:
        version = cards.reissue(store_of(request), volunteer_id.upper(), now_of(request), reason)
    except AdminError as exc:
        return error(404, "unknown_volunteer", str(exc))
    return json_response(
        {
            "volunteer_id": volunteer_id.upper(),
            "card_version": version,
            "card": f"/v1/admin/cards/{volunteer_id.upper()}.png",
        }
    )


@router.get("/v1/admin/kiosks")
def kiosks_list(request: Request) -> Response:
    """Every kiosk ever enrolled: site, name, last seq held, last push, whether revoked."""
    if (denied := staff_only(request)) is not None:
        return denied
    return json_response({"kiosks": kiosks.list_kiosks(store_of(request))})


@router.post("/v1/admin/kiosks/{kiosk_id}/revoke")
def kiosk_revoke(kiosk_id: str, request: Request, reason: str = "") -> Response:
    """Refuse the kiosk's token from now on; ``reason`` is shown on its sync page."""
    if (denied := staff_only(request)) is not None:
        return denied
    if bad_char(reason, multiline=True) is not None:
        return error(
            422, "invalid_request", "原因含有控制字符 / the reason holds a control character"
        )
    try:
        done = kiosks.revoke(store_of(request), kiosk_id, now_of(request), reason)
    except AdminError as exc:
        return error(404, "unknown_kiosk", str(exc))
    return json_response(done)


def _holders(request: Request, **kw: Any) -> list[card_sheet.CardHolder]:
    store = store_of(request)
    return cards.card_holders(store, cards.private_key(store), **kw)


@router.get("/v1/admin/cards.pdf")
def cards_pdf(
    request: Request,
    ids: str = "",
    team: str | None = None,
    staff: bool = False,
    include_inactive: bool = False,
) -> Response:
    """Staff token. An A4 PDF of wallet cards (``ids``, ``team``, ``staff``), as
    ``kiosk-ledger cards``."""
    if (denied := staff_only(request)) is not None:
        return denied
    wanted = [i.strip().upper() for i in ids.split(",") if i.strip()] or None
    try:
        holders = _holders(
            request, ids=wanted, team=team, staff=staff, include_inactive=include_inactive
        )
    except AdminError as exc:
        return error(422, "cannot_make_cards", str(exc))
    if not holders:
        return error(404, "no_cards", "没有需要制卡的人 / nobody to make cards for")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cards.pdf"
        card_sheet.write_pdf(holders, out)
        return _download(out.read_bytes(), "志愿者卡.pdf", "application/pdf")


@router.get("/v1/admin/cards/{volunteer_id}.png")
def card_png(volunteer_id: str, request: Request) -> Response:
    """Staff token. One volunteer's card as a PNG, for sending to a phone."""
    if (denied := staff_only(request)) is not None:
        return denied
    from sync.ledger.staff.card_image import card_image

    try:
        (h,) = _holders(request, ids=[volunteer_id.upper()])
    except AdminError as exc:
        return error(404, "unknown_volunteer", str(exc))
    buf = io.BytesIO()
    card_image(h.code, h.name, h.subject_id, h.kind).save(buf, "PNG")
    return Response(buf.getvalue(), media_type="image/png")


# -- activities ---------------------------------------------------------------------------------


@router.post("/v1/admin/activities/import")
async def activities_import(
    request: Request, filename: str = "", dry_run: bool = False
) -> Response:
    """Staff token. An activities sheet as the body, as ``kiosk-ledger import-activities``."""
    store = store_of(request)

    def work(path: Path) -> Response:
        parsed = parse_activities(path, *reference.reference_sets(store))
        if parsed.errors:
            return json_response({"ok": False, "errors": _row_errors(parsed.errors)}, 422)
        activities.number_activities(store, parsed.activities)
        if not dry_run:
            activities.upsert_activities(store, parsed.activities, now_of(request))
        return json_response({"ok": True, "dry_run": dry_run, "activities": parsed.activities})

    return await _with_upload(request, filename, work)


@router.get("/v1/admin/activities")
def activities_list(
    request: Request, month: str | None = None, site: str | None = None
) -> Response:
    """Staff token. The activities, optionally of one ``month`` and ``site``."""
    if (denied := staff_only(request)) is not None:
        return denied
    return json_response(
        {"activities": activities.list_activities(store_of(request), month=month, site=site)}
    )


@router.post("/v1/admin/activities")
async def activity_add(request: Request) -> Response:
    """Body: the spreadsheet's columns by their English keys (title_zh, site, start, end,
    points_per_hour, capacity, signup, ...); values as text or numbers."""
    return await _with_body(request, lambda raw: _activity_add(request, raw))


def _activity_add(request: Request, raw: bytes) -> Response:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return error(400, "malformed_json", "the body is not valid JSON")
    if not isinstance(body, dict):
        return error(422, "invalid_request", "expected a JSON object")
    values = {
        k: ",".join(map(str, v)) if isinstance(v, list) else str(v)
        for k, v in body.items()
        if v is not None
    }
    store = store_of(request)
    sites, vids = reference.reference_sets(store)
    act, errors = check_activity(values, 0, {}, sites, vids)
    if errors:
        return json_response({"ok": False, "errors": _row_errors(errors)}, 422)
    activities.number_activities(store, [act])
    activities.upsert_activities(store, [act], now_of(request))
    return json_response({"ok": True, "activity": act})


# -- catalog and stock --------------------------------------------------------------------------


@router.get("/v1/admin/catalog")
def catalog_list(request: Request) -> Response:
    """Staff token. The rewards with their stock per site."""
    if (denied := staff_only(request)) is not None:
        return denied
    return json_response({"items": catalog.list_items(store_of(request))})


@router.post(
    "/v1/admin/catalog/import"
)  # before /v1/admin/catalog/{item_id}, which would take "import"
async def catalog_import(request: Request, filename: str = "", dry_run: bool = False) -> Response:
    """The sheet of ``kiosk-ledger import-catalog`` as the body. Pictures do not travel with
    it: picture cells are listed in ``images_not_read`` (use PUT .../image for those)."""
    store = store_of(request)

    def work(path: Path) -> Response:
        parsed = parse_catalog(path, reference.reference_sets(store)[0], None)
        try:
            report = import_catalog(
                store,
                parsed,
                now_of(request),
                dry_run=dry_run,
                note=f"目录导入 {Path(filename).name}",
            )
        except AdminError as exc:
            return error(422, "invalid_item", str(exc))
        return json_response(report.to_dict(), 200 if report.ok else 422)

    return await _with_upload(request, filename, work)


@router.post("/v1/admin/catalog/{item_id}")
async def catalog_upsert(item_id: str, request: Request) -> Response:
    """Body: {names: {zh-Hans, zh-Hant, en}, cost, kind, monthly_limit, active, image_base64};
    fields left out keep their value."""
    return await _with_body(request, lambda raw: _catalog_upsert(item_id, request, raw))


def _catalog_upsert(item_id: str, request: Request, raw: bytes) -> Response:
    try:
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        image = (
            base64.b64decode(body["image_base64"], validate=True)
            if body.get("image_base64")
            else None
        )
        data = catalog.upsert_item(
            store_of(request),
            item_id,
            now_of(request),
            names=body.get("names"),
            cost=body.get("cost"),
            kind=body.get("kind"),
            monthly_limit=body.get("monthly_limit"),
            active=body.get("active"),
            image=image,
        )
    except AdminError as exc:
        return error(422, "invalid_item", str(exc))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        return error(422, "invalid_request", f"cannot read the item: {exc}")
    return json_response({"ok": True, "item": data})


@router.put("/v1/admin/catalog/{item_id}/image")
async def catalog_image(item_id: str, request: Request) -> Response:
    """Staff token. A reward's picture (JPG or PNG) as the body, fitted onto a white
    256 x 256 PNG; kiosks fetch it after their next sync."""
    return await _with_body(request, lambda raw: _catalog_image(item_id, request, raw))


def _catalog_image(item_id: str, request: Request, body: bytes) -> Response:
    if len(body) > MAX_UPLOAD:
        return error(413, "file_too_large", "图片太大 / the picture is too large")
    try:
        data = catalog.upsert_item(store_of(request), item_id, now_of(request), image=body)
    except AdminError as exc:
        return error(422, "invalid_item", str(exc))
    return json_response({"ok": True, "item": data})


@router.post("/v1/admin/stock")
async def stock_set(request: Request) -> Response:
    """Body: {site_id, item_id, qty, note}: the count staff found on the shelf."""
    return await _with_body(request, lambda raw: _stock_set(request, raw))


def _stock_set(request: Request, raw: bytes) -> Response:
    try:
        body = json.loads(raw)
        before = catalog.set_stock(
            store_of(request),
            str(body["site_id"]),
            str(body["item_id"]),
            int(body["qty"]),
            now_of(request),
            str(body.get("note", "")),
        )
    except AdminError as exc:
        return error(422, "invalid_stock", str(exc))
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        return error(422, "invalid_request", f"expected {{site_id, item_id, qty, note}}: {exc}")
    return json_response({"ok": True, "before": before, "qty": int(body["qty"])})


# -- exports ------------------------------------------------------------------------------------


@router.get("/v1/admin/export")
def export_month(request: Request, month: str, format: str = "xlsx") -> Response:
    """Staff token. The month's 台账 (``month=YYYY-MM``) as XLSX, or with ``format=csv`` a
    zip of one CSV per sheet, as ``kiosk-ledger export``."""
    if (denied := staff_only(request)) is not None:
        return denied
    try:
        tables = exports.month_tables(store_of(request), month, now_of(request))
    except exports.MonthError as exc:
        return error(422, "bad_month", str(exc))
    with tempfile.TemporaryDirectory() as tmp:
        if format == "csv":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in exports.write_csvs(tables, tmp, f"台账-{month}"):
                    zf.write(path, path.name)
            return _download(buf.getvalue(), f"台账-{month}.zip", "application/zip")
        path = exports.write_xlsx(tables, Path(tmp) / "ledger.xlsx")
        return _download(
            path.read_bytes(),
            f"台账-{month}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


@router.get("/v1/admin/export-ivolunteer")
def export_ivolunteer(request: Request, month: str, encoding: str = "utf-8-sig") -> Response:
    """Staff token. The month's hours per volunteer per activity as a CSV for i志愿, as
    ``kiosk-ledger export-ivolunteer``."""
    if (denied := staff_only(request)) is not None:
        return denied
    if encoding not in ("utf-8-sig", "gbk"):
        return error(422, "bad_encoding", "encoding is utf-8-sig or gbk")
    try:
        headers, rows = exports.ivolunteer_rows(store_of(request), month)
    except exports.MonthError as exc:
        return error(422, "bad_month", str(exc))
    with tempfile.TemporaryDirectory() as tmp:
        path = exports.write_ivolunteer(headers, rows, Path(tmp) / "iv.csv", encoding)
        return _download(path.read_bytes(), f"i志愿时长-{month}.csv", "text/csv")
