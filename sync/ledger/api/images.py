"""The reward pictures kiosks fetch (kiosk or staff token)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync.ledger.api.deps import error, kiosk_or_staff, store_of
from sync.ledger.staff import catalog

router = APIRouter()


@router.get("/v1/images/{item_id}.png")
def item_image(item_id: str, request: Request) -> Response:
    """Kiosk or staff token. A reward's picture, 256 x 256 PNG, with an ETag of its SHA-256."""
    if (denied := kiosk_or_staff(request)) is not None:
        return denied
    found = catalog.image(store_of(request), item_id)
    if found is None:
        return error(404, "no_image", f"no picture for item {item_id}")
    png, sha = found
    return Response(
        png, media_type="image/png", headers={"ETag": f'"{sha}"', "Cache-Control": "no-cache"}
    )
