"""奖品与库存: the rewards with their photos (uploaded, fitted into a square and resized as
for the kiosk), stock per site with a set-count form, and the history of stock counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import tools
from ..deps import NotFound, Staff, check_site, db_of, form_of, ledger_of, now_of, require, words_of
from ..render import local, render
from .common import audited, item_name, scope

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
Viewer = Annotated[Staff, Depends(require("catalog.view"))]
Editor = Annotated[Staff, Depends(require("catalog.edit"))]
Counter = Annotated[Staff, Depends(require("stock.set"))]
MAX_PHOTO = 15 * 1024 * 1024


def _page(request: Request, staff: Staff, status: int = 200, **ctx) -> Response:
    lang = words_of(request).lang
    items = tools.list_items(ledger_of(request))
    sites = staff.account.visible_sites(ledger_of(request).site_ids())
    with db_of(request).read() as r:
        history = r.stock_history(scope(staff), limit=50)
    names = {i["item_id"]: item_name(i, lang) for i in items}
    return render(
        request,
        "console/catalog/page.html",
        status=status,
        items=[(i, item_name(i, lang)) for i in items],
        sites=sites,
        history=history,
        names=names,
        kinds=tools.KINDS,
        local=local,
        **ctx,
    )


@router.get("/catalog")
def catalog_page(request: Request, staff: Viewer) -> Response:
    return _page(request, staff)


@router.get("/catalog/{item_id}/image.png")
def catalog_image(item_id: str, request: Request, staff: Viewer) -> Response:
    found = tools.image(ledger_of(request), item_id)
    if found is None:
        raise NotFound("image")
    png, sha = found
    return Response(png, media_type="image/png", headers={"ETag": f'"{sha}"'})


def _int(text, default=None):
    text = str(text or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise tools.AdminError("请填写整数 / enter a whole number") from exc


@router.post("/catalog")
async def catalog_save(request: Request, staff: Editor) -> Response:
    form = await form_of(request)
    item_id = str(form.get("item_id") or "").strip()
    photo = form.get("photo")
    image = None
    if photo is not None and getattr(photo, "filename", ""):
        image = await photo.read(MAX_PHOTO + 1)
        if len(image) > MAX_PHOTO:
            return _page(request, staff, status=413, error=words_of(request)("catalog.photo_big"))
        if not image:
            image = None
    store = ledger_of(request)
    before = next((i for i in tools.list_items(store) if i["item_id"] == item_id), None)

    def entry(w) -> None:  # in the item's own transaction, which holds what was stored
        w.audit(
            now_of(request).isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.catalog.update" if before else "console.catalog.create",
            target=f"item:{item_id}",
            before={k: v for k, v in (before or {}).items() if k != "stock"} or None,
            after={**(w.catalog_data(item_id) or {}), "photo": bool(image)},
        )

    try:
        with audited(request, entry):
            await run_in_threadpool(
                lambda: tools.upsert_item(
                    store,
                    item_id,
                    now_of(request),
                    names={
                        "zh-Hans": str(form.get("name_zh") or "").strip(),
                        "zh-Hant": str(form.get("name_zh_hant") or "").strip(),
                        "en": str(form.get("name_en") or "").strip(),
                    },
                    cost=_int(form.get("cost")),
                    kind=str(form.get("kind") or "") or None,
                    monthly_limit=_int(form.get("monthly_limit")),
                    active=form.get("active") == "1" if "active_shown" in form else None,
                    image=image,
                )
            )
    except tools.AdminError as exc:
        return _page(request, staff, status=422, error=str(exc))
    return RedirectResponse(f"/console/catalog?saved={item_id}", status_code=303)


@router.post("/catalog/stock")
async def stock_set(request: Request, staff: Counter) -> Response:
    form = await form_of(request)
    site = str(form.get("site") or "")
    item_id = str(form.get("item_id") or "")
    check_site(staff, site)
    note = str(form.get("note") or "").strip()[:200]
    try:
        qty = _int(form.get("qty"))
    except tools.AdminError as exc:
        return _page(request, staff, status=422, error=str(exc))

    def entry(w) -> None:  # in the count's own transaction: the count it replaced is there
        (counted,) = w.stock_history([site], limit=1)
        w.audit(
            now_of(request).isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.stock.set",
            target=f"stock:{site}/{item_id}",
            site_id=site,
            before={"qty": counted["qty_before"]},
            after={"qty": qty, "note": note},
        )

    try:
        if qty is None:
            raise tools.AdminError("请填写数量 / enter the count")
        with audited(request, entry):
            await run_in_threadpool(
                tools.set_stock, ledger_of(request), site, item_id, qty, now_of(request), note
            )
    except tools.AdminError as exc:
        return _page(request, staff, status=422, error=str(exc))
    return RedirectResponse(f"/console/catalog?counted={item_id}", status_code=303)
