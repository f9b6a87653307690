"""Rewards and stock: items, their pictures, the counts staff set after counting a shelf."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime
from typing import Any

from sync.ledger.db.base import LedgerDB, StaffWrite
from sync.ledger.staff.errors import AdminError

IMAGE_SIDE = 256  # px; the kiosk shows rewards as tiles about this size
KINDS = ("goods", "privilege", "ticket")
ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def kiosk_image(raw: bytes, side: int = IMAGE_SIDE) -> bytes:
    """Any photo staff have (JPEG from a phone, PNG, WebP) as a square PNG for the kiosk: the
    whole picture fitted in, on white, upright as the phone showed it."""
    from PIL import Image, ImageOps

    from sync.ledger.staff.pictures import PictureError, read_picture

    try:
        img = read_picture(raw, fit=side)  # size limits before decoding: see pictures.py
    except PictureError as exc:
        raise AdminError(str(exc)) from exc
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA")
    fitted = ImageOps.contain(img, (side, side), Image.LANCZOS)
    canvas = Image.new("RGB", (side, side), "white")
    canvas.paste(
        fitted,
        ((side - fitted.width) // 2, (side - fitted.height) // 2),
        fitted if fitted.mode == "RGBA" else None,
    )
    out = io.BytesIO()
    canvas.save(out, "PNG", optimize=True)
    return out.getvalue()


def upsert_item(
    store: LedgerDB,
    item_id: str,
    now: datetime,
    *,
    names: dict[str, str] | None = None,
    cost: int | None = None,
    kind: str | None = None,
    monthly_limit: int | None = None,
    active: bool | None = None,
    image: bytes | None = None,
) -> dict[str, Any]:
    """Add or change a reward. Fields left None keep their value, as the kiosk's own
    ``catalog.upsert`` does. The picture is served at ``/v1/images/{item_id}.png``."""
    if not ITEM_ID.fullmatch(item_id):
        raise AdminError(
            f"物品编号只能用字母、数字和 - _ . / item id {item_id!r}: use letters, digits, - _ ."
        )
    if kind is not None and kind not in KINDS:
        raise AdminError(f"类型须为 {'/'.join(KINDS)} / kind must be one of {', '.join(KINDS)}")
    if (cost is not None and cost < 0) or (monthly_limit is not None and monthly_limit < 0):
        raise AdminError("积分和每月限兑不能为负数 / cost and monthly limit cannot be negative")
    png = kiosk_image(image) if image is not None else None
    with store.write() as tx:
        return write_item(
            tx,
            item_id,
            now,
            names=names,
            cost=cost,
            kind=kind,
            monthly_limit=monthly_limit,
            active=active,
            png=png,
        )


def write_item(
    tx: StaffWrite,
    item_id: str,
    now: datetime,
    *,
    names: dict[str, str] | None = None,
    cost: int | None = None,
    kind: str | None = None,
    monthly_limit: int | None = None,
    active: bool | None = None,
    png: bytes | None = None,
) -> dict[str, Any]:
    """``upsert_item`` inside the caller's transaction, with the picture already resized."""
    row = tx.catalog_item(item_id)
    data: dict[str, Any] = (
        row
        if row is not None
        else {"item_id": item_id, "kind": "goods", "monthly_limit": 0, "active": True}
    )
    if row is None and (cost is None or not (names or {}).get("zh-Hans")):
        raise AdminError("新物品需要中文名称和积分 / a new item needs a Chinese name and a cost")
    if names:
        data["names"] = {**data.get("names", {}), **{k: v for k, v in names.items() if v}}
        data["names"].setdefault("zh-Hant", data["names"]["zh-Hans"])
        data["names"].setdefault("en", data["names"]["zh-Hans"])
    for key, value in (
        ("cost", cost),
        ("kind", kind),
        ("monthly_limit", monthly_limit),
        ("active", active),
    ):
        if value is not None:
            data[key] = value
    if png is not None:
        sha = hashlib.sha256(png).hexdigest()
        tx.put_image(item_id, png, sha, now.isoformat(timespec="milliseconds"))
        # A relative path is what the kiosk resolves in its data folder (as for the demo
        # images); the url and digest let a kiosk fetch the picture when it changes.
        data.update(
            image=f"images/{item_id}.png", image_url=f"/v1/images/{item_id}.png", image_sha256=sha
        )
    data["item_id"] = item_id
    tx.put_catalog_item(item_id, data)
    return data


def list_items(store: LedgerDB) -> list[dict[str, Any]]:
    with store.read() as tx:
        items = list(tx.catalog().values())
        stock: dict[str, dict[str, int]] = {}
        for (site, item), qty in tx.stock().items():
            stock.setdefault(item, {})[site] = qty
    for item in items:
        item["stock"] = stock.get(item["item_id"], {})
    return items


def image(store: LedgerDB, item_id: str) -> tuple[bytes, str] | None:
    with store.read() as tx:
        return tx.image(item_id)


def set_stock(
    store: LedgerDB, site_id: str, item_id: str, qty: int, now: datetime, note: str = ""
) -> int:
    """Set a site's count after staff counted the shelf. Returns the previous count. Kiosk
    events still in flight apply on top when they arrive, as for any other stock change."""
    with store.write() as tx:
        return write_stock(tx, site_id, item_id, qty, now, note)


def write_stock(
    tx: StaffWrite, site_id: str, item_id: str, qty: int, now: datetime, note: str = ""
) -> int:
    """``set_stock`` inside the caller's transaction (the new figures reach the change feed
    when it commits)."""
    if qty < 0:
        raise AdminError("库存不能为负数 / stock cannot be negative")
    sites = tx.sites()
    if site_id not in sites:
        known = ", ".join(sorted(sites))
        raise AdminError(f"没有站点 {site_id} / unknown site {site_id!r}; known: {known}")
    item = tx.catalog_item(item_id)
    if item is None:
        raise AdminError(f"目录中没有 {item_id} / no item {item_id!r} in the catalog")
    if item.get("kind", "goods") != "goods":
        raise AdminError(f"{item_id} 不是实物，没有库存 / {item_id} is not goods: it has no stock")
    return tx.set_stock(site_id, item_id, qty, note, now.isoformat(timespec="milliseconds"))
