"""Rewards and stock: items, their pictures, the counts staff set after counting a shelf."""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
from datetime import datetime
from typing import Any

from sync.ledger.db.sqlite import effects
from sync.ledger.db.sqlite.store import LedgerStore, iso
from sync.ledger.staff.errors import AdminError

IMAGE_SIDE = 256  # px; the kiosk shows rewards as tiles about this size
KINDS = ("goods", "privilege", "ticket")
ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


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
    store: LedgerStore,
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
    with store.transaction() as c:
        return write_item(
            c,
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
    c: sqlite3.Connection,
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
    row = c.execute("SELECT data FROM catalog WHERE item_id = ?", (item_id,)).fetchone()
    data: dict[str, Any] = (
        json.loads(row[0])
        if row
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
        c.execute(
            "INSERT OR REPLACE INTO catalog_images (item_id, png, sha256, updated_at) VALUES (?, ?, ?, ?)",
            (item_id, png, sha, iso(now)),
        )
        # A relative path is what the kiosk resolves in its data folder (as for the demo
        # images); the url and digest let a kiosk fetch the picture when it changes.
        data.update(
            image=f"images/{item_id}.png", image_url=f"/v1/images/{item_id}.png", image_sha256=sha
        )
    data["item_id"] = item_id
    c.execute(
        "INSERT OR REPLACE INTO catalog (item_id, data) VALUES (?, ?)", (item_id, _dumps(data))
    )
    effects.emit(c, "catalog_item", item_id, data)
    return data


def list_items(store: LedgerStore) -> list[dict[str, Any]]:
    with store.transaction() as c:
        items = [json.loads(d) for (d,) in c.execute("SELECT data FROM catalog ORDER BY item_id")]
        stock: dict[str, dict[str, int]] = {}
        for site, item, qty in c.execute(
            "SELECT site_id, item_id, qty FROM stock ORDER BY site_id"
        ):
            stock.setdefault(item, {})[site] = qty
    for item in items:
        item["stock"] = stock.get(item["item_id"], {})
    return items


def image(store: LedgerStore, item_id: str) -> tuple[bytes, str] | None:
    with store.transaction() as c:
        row = c.execute(
            "SELECT png, sha256 FROM catalog_images WHERE item_id = ?", (item_id,)
        ).fetchone()
    return (bytes(row[0]), row[1]) if row else None


def set_stock(
    store: LedgerStore, site_id: str, item_id: str, qty: int, now: datetime, note: str = ""
) -> int:
    """Set a site's count after staff counted the shelf. Returns the previous count. Kiosk
    events still in flight apply on top when they arrive, as for any other stock change."""
    with store.transaction() as c:
        before_qty = write_stock(c, site_id, item_id, qty, now, note)
        effects.emit_dirty(c, effects.Dirty(stock={(site_id, item_id)}))
    return before_qty


def write_stock(
    c: sqlite3.Connection, site_id: str, item_id: str, qty: int, now: datetime, note: str = ""
) -> int:
    """``set_stock`` inside the caller's transaction; the caller sends the new figures to the
    change feed (``effects.emit_dirty``) once for everything it set."""
    if qty < 0:
        raise AdminError("库存不能为负数 / stock cannot be negative")
    if c.execute("SELECT 1 FROM sites WHERE site_id = ?", (site_id,)).fetchone() is None:
        known = ", ".join(r[0] for r in c.execute("SELECT site_id FROM sites ORDER BY site_id"))
        raise AdminError(f"没有站点 {site_id} / unknown site {site_id!r}; known: {known}")
    row = c.execute("SELECT data FROM catalog WHERE item_id = ?", (item_id,)).fetchone()
    if row is None:
        raise AdminError(f"目录中没有 {item_id} / no item {item_id!r} in the catalog")
    if json.loads(row[0]).get("kind", "goods") != "goods":
        raise AdminError(f"{item_id} 不是实物，没有库存 / {item_id} is not goods: it has no stock")
    before = c.execute(
        "SELECT qty FROM stock WHERE site_id = ? AND item_id = ?", (site_id, item_id)
    ).fetchone()
    before_qty = before[0] if before else 0
    c.execute(
        "INSERT INTO stock (site_id, item_id, qty) VALUES (?, ?, ?) ON CONFLICT (site_id, item_id)"
        " DO UPDATE SET qty = excluded.qty",
        (site_id, item_id, qty),
    )
    c.execute(
        "INSERT INTO stock_settings (site_id, item_id, qty_before, qty_after, note, set_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (site_id, item_id, before_qty, qty, note, iso(now)),
    )
    return before_qty
