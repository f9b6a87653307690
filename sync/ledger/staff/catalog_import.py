"""Rewards from one spreadsheet (``kiosk-ledger import-catalog``, ``POST /v1/admin/catalog/import``).

Every row is checked first, against the file and then against the ledger's catalog and
sites; errors are reported by row and column, and nothing is written while any remain.
Items are upserted on their id (a row without one is matched to a ledger item of the same
Chinese name, else gets an id made from its English name), and the stock columns go through
the same path as ``catalog set-stock``, so the counts show in the 台账's 库存变动. Only what
differs from the ledger is written: importing the same file again writes nothing and sends
nothing to the kiosks.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.ledger.db.base import LedgerDB
from sync.ledger.staff import catalog
from sync.ledger.staff.catalog import ITEM_ID, kiosk_image
from sync.ledger.staff.errors import AdminError
from sync.ledger.staff.roster_import import RowError
from sync.ledger.staff.spreadsheet import Column, SheetError, _norm, read_table

CATALOG_COLUMNS = [
    Column("item_id", ("编号", "物品编号", "奖品编号", "礼品编号", "item id", "id", "item")),
    Column(
        "name_zh",
        ("名称", "物品名称", "奖品名称", "礼品名称", "中文名称", "name", "name zh", "name zh-hans"),
    ),
    Column(
        "name_zh_hant",
        ("繁体名称", "繁體名稱", "name zh-hant", "name zh hant", "traditional chinese name"),
    ),
    Column("name_en", ("英文名称", "name en", "english name")),
    Column("cost", ("积分", "所需积分", "兑换积分", "cost", "points")),
    Column("kind", ("类型", "种类", "类别", "kind", "type")),
    Column("monthly_limit", ("每月限兑", "每人每月限兑", "每月限额", "限兑", "monthly limit")),
    Column("image", ("图片", "照片", "图片文件", "image", "picture", "photo")),
    Column("active", ("状态", "上架", "status", "active")),
]
HEADERS = {c.key: c.names[0] for c in CATALOG_COLUMNS}
REQUIRED = ("name_zh", "cost")

_KIND_WORDS = {
    "goods": ("goods", "实物", "物品", "商品", "礼品"),
    "privilege": ("privilege", "特权", "权益", "优先使用权"),
    "ticket": ("ticket", "活动名额", "名额", "门票", "票"),
}
_KIND = {_norm(w): kind for kind, words in _KIND_WORDS.items() for w in words}
_ACTIVE = {_norm(w): True for w in ("上架", "在售", "有效", "启用", "active", "yes", "是")}
_ACTIVE.update({_norm(w): False for w in ("下架", "停售", "停用", "无效", "inactive", "no", "否")})
_NO_LIMIT = {_norm(w) for w in ("不限", "无", "无限", "unlimited", "none")}
_STOCK_WORDS = ("库存数量", "库存量", "库存", "stock")
_PUNCT = re.compile(r"[()（）\[\]【】:：/·.]")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".JPG", ".JPEG", ".PNG")


@dataclass
class CatalogRow:
    row: int
    item_id: str  # "" when the ledger should match by name or make one
    names: dict[str, str]  # zh-Hans always; zh-Hant and en only when the sheet gives them
    cost: int
    kind: str | None  # None: the sheet says nothing (keep; a new item is goods)
    monthly_limit: int | None
    active: bool | None
    image: str  # the file name in the sheet, "" for none
    png: bytes | None  # the picture fitted for the kiosk, when it was read
    stock: dict[str, int]  # site id -> the count on the shelf


@dataclass
class CatalogFile:
    rows: list[CatalogRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # key -> header as written
    stock_headers: dict[str, str] = field(default_factory=dict)  # site id -> header as written


def _key(text: str) -> str:
    return _PUNCT.sub("", _norm(text))


def site_names(sites: dict[str, dict]) -> dict[str, str]:
    """Every way a stock column may name a site (id, Chinese, traditional, English) -> site id."""
    out: dict[str, str] = {}
    for site_id, data in sites.items():
        for name in (site_id, data.get("name_zh"), data.get("name_zh_hant"), data.get("name_en")):
            if name:
                out[_key(str(name))] = site_id
    return out


def stock_column(header: str, names: dict[str, str]) -> tuple[bool, str | None]:
    """(is this a stock column, the site it names). "党群服务中心库存", "库存（香山书房）",
    "stock service-center", "Xiangshan Study stock" and a bare site name are stock columns."""
    key = _key(header)
    for word in _STOCK_WORDS:
        if key.startswith(word) or key.endswith(word):
            rest = key[len(word) :] if key.startswith(word) else key[: -len(word)]
            return True, names.get(rest)
    return (True, names[key]) if key in names else (False, None)


def _whole(text: str) -> int | None:
    text = text.strip()
    return int(float(text)) if re.fullmatch(r"\d+(\.0+)?", text) else None


def find_image(name: str, folders: list[Path]) -> Path | None:
    """The picture a cell names, in the first folder that has it. Without an extension,
    .jpg/.jpeg/.png/.webp are tried; case is ignored (IMG_0012.JPG from a phone)."""
    rel = Path(name.replace("\\", "/"))
    candidates = [rel] if rel.suffix else [rel.with_name(rel.name + s) for s in _IMAGE_SUFFIXES]
    for folder in folders:
        for cand in candidates:
            if (folder / cand).is_file():
                return folder / cand
        parent = (folder / rel).parent
        if parent.is_dir():
            wanted = {c.name.lower() for c in candidates}
            for p in sorted(parent.iterdir()):
                if p.is_file() and p.name.lower() in wanted:
                    return p
    return None


def parse_catalog(
    path: str | Path, sites: dict[str, dict], image_folders: list[Path] | None
) -> CatalogFile:
    """Check the sheet on its own. ``image_folders`` None: pictures cannot be read (an upload
    over HTTP carries the sheet only), so picture cells are noted, not checked."""
    try:
        table = read_table(path)
    except SheetError as exc:
        return CatalogFile(errors=[RowError(0, "-", str(exc))])
    lookup = {_norm(name): col.key for col in CATALOG_COLUMNS for name in (col.key, *col.names)}
    found = next(
        (
            (i, row)
            for i, row in enumerate(table[:10])
            if any(c and _norm(c) in lookup for c in row)
        ),
        None,
    )
    if found is None:
        return CatalogFile(
            errors=[
                RowError(
                    0,
                    "-",
                    "找不到表头，需要 名称/name 和 积分/cost 等列 / no header row"
                    " found; expected columns such as 名称/name, 积分/cost, 类型/kind",
                )
            ]
        )
    index, header = found
    result = CatalogFile()
    names = site_names(sites)
    keys: dict[int, str] = {}
    stock_cols: dict[int, str] = {}
    for j, text in enumerate(header):
        if not text:
            continue
        if _norm(text) in lookup:
            keys[j] = lookup[_norm(text)]
            result.headers[keys[j]] = text
            continue
        is_stock, site = stock_column(text, names)
        if not is_stock:
            continue  # a column of the worker's own (备注, 供应商...): not ours to read
        if site is None:
            result.errors.append(
                RowError(
                    index + 1,
                    text,
                    f"没有这个站点的库存列，可用：{'、'.join(sorted(sites))}"
                    f"（如「{next(iter(sites.values()), {}).get('name_zh', '站点')}库存」）"
                    " / unknown site column: name it like 'stock <site id>'",
                )
            )
        elif site in result.stock_headers:
            result.errors.append(
                RowError(
                    index + 1,
                    text,
                    f"与「{result.stock_headers[site]}」是同一站点的库存"
                    f" / a second stock column for site {site}",
                )
            )
        else:
            stock_cols[j] = site
            result.stock_headers[site] = text
    missing = [f"{HEADERS[k]} ({k.split('_')[0]})" for k in REQUIRED if k not in keys.values()]
    if missing:
        result.errors.insert(
            0, RowError(0, "-", "缺少列 / missing column(s): " + ", ".join(missing))
        )
        return result

    def cell(row: list[str], j: int) -> str:
        return row[j].strip() if j < len(row) and row[j] is not None else ""

    seen_ids: dict[str, int] = {}
    pictures: dict[Path, bytes] = {}
    for number, raw in enumerate(table[index + 1 :], start=index + 2):
        values = {key: cell(raw, j) for j, key in keys.items()}
        stock_text = {site: cell(raw, j) for j, site in stock_cols.items()}
        if not any(values.values()) and not any(stock_text.values()):
            continue
        errors: list[RowError] = []

        def bad(key: str, message: str, _n: int = number, _errors: list = errors) -> None:
            _errors.append(RowError(_n, result.headers.get(key, HEADERS.get(key, key)), message))

        item_id = values.get("item_id", "")
        if item_id and not ITEM_ID.fullmatch(item_id):
            bad(
                "item_id",
                f"编号 '{item_id}' 只能用字母、数字和 - _ . / use letters, digits, - _ . in the id",
            )
        elif item_id in seen_ids:
            bad(
                "item_id",
                f"编号 {item_id} 重复（另见第 {seen_ids[item_id]} 行） / duplicate id {item_id}"
                f" (also row {seen_ids[item_id]})",
            )
        elif item_id:
            seen_ids[item_id] = number
        name = values.get("name_zh", "")
        if not name:
            bad("name_zh", "名称为空 / the name is empty")
        elif len(name) > 60:
            bad("name_zh", "名称超过 60 个字 / the name is longer than 60 characters")
        cost = _whole(values.get("cost", ""))
        if not values.get("cost"):
            bad("cost", "积分为空 / the cost is empty")
        elif cost is None:
            bad(
                "cost",
                f"积分 '{values['cost']}' 须为不小于 0 的整数 / the cost must be a whole number, 0 or more",
            )
        kind = None
        if values.get("kind"):
            kind = _KIND.get(_norm(values["kind"]))
            if kind is None:
                bad(
                    "kind",
                    f"未知类型 '{values['kind']}'，请用 实物、特权 或 活动名额 / unknown kind"
                    f" '{values['kind']}' (use goods, privilege or ticket)",
                )
        limit = None
        if values.get("monthly_limit"):
            limit = (
                0
                if _norm(values["monthly_limit"]) in _NO_LIMIT
                else _whole(values["monthly_limit"])
            )
            if limit is None:
                bad(
                    "monthly_limit",
                    f"每月限兑 '{values['monthly_limit']}' 须为不小于 0 的整数（0 或「不限」为不限）"
                    " / the monthly limit must be a whole number (0 = no limit)",
                )
        active = None
        if values.get("active"):
            active = _ACTIVE.get(_norm(values["active"]))
            if active is None:
                bad(
                    "active",
                    f"未知状态 '{values['active']}'，请用 上架 或 下架 / unknown status"
                    f" '{values['active']}' (use active or inactive)",
                )
        png = None
        picture = values.get("image", "")
        if picture and image_folders is not None:
            where = find_image(picture, image_folders)
            if where is None:
                bad(
                    "image",
                    f"找不到图片文件 '{picture}'（查找了 {'、'.join(str(f) for f in image_folders)}）"
                    f" / missing image file '{picture}'",
                )
            else:
                try:
                    if where.resolve() not in pictures:
                        pictures[where.resolve()] = kiosk_image(where.read_bytes())
                    png = pictures[where.resolve()]
                except AdminError as exc:
                    bad("image", f"'{picture}': {exc}")
        stock: dict[str, int] = {}
        for site, text in stock_text.items():
            if not text:
                continue  # blank: the count stays as the ledger has it
            qty = _whole(text)
            if qty is None:
                errors.append(
                    RowError(
                        number,
                        result.stock_headers[site],
                        f"库存 '{text}' 须为不小于 0 的整数 / stock must be a whole number, 0 or more",
                    )
                )
            elif kind not in (None, "goods") and qty:
                errors.append(
                    RowError(
                        number,
                        result.stock_headers[site],
                        "只有实物有库存，特权和活动名额请留空 / only goods have stock: leave it blank",
                    )
                )
            elif kind in (None, "goods"):
                stock[site] = qty
        result.errors.extend(errors)
        if not errors:
            result.rows.append(
                CatalogRow(
                    number,
                    item_id,
                    {
                        "zh-Hans": name,
                        "zh-Hant": values.get("name_zh_hant", ""),
                        "en": values.get("name_en", ""),
                    },
                    cost or 0,
                    kind,
                    limit,
                    active,
                    picture,
                    png,
                    stock,
                )
            )
    # A row without an id is found again next time by its name: two rows of one name need ids.
    by_name: dict[str, list[CatalogRow]] = {}
    for r in result.rows:
        by_name.setdefault(r.names["zh-Hans"], []).append(r)
    for rows in by_name.values():
        for r in rows:
            if len(rows) > 1 and not r.item_id:
                other = next(o.row for o in rows if o is not r)
                result.errors.append(
                    RowError(
                        r.row,
                        result.headers.get("item_id", result.headers["name_zh"]),
                        f"与第 {other} 行同名，请填写编号 / the same name as row {other}:"
                        " give each an id",
                    )
                )
    result.errors.sort(key=lambda e: e.row)
    return result


# -- against the ledger -------------------------------------------------------------------------


@dataclass
class CatalogReport:
    dry_run: bool
    rows: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    stock: list[dict[str, Any]] = field(default_factory=list)  # counts set: item, site, before, qty
    images: list[str] = field(default_factory=list)  # items whose picture is new or changed
    images_not_read: list[str] = field(default_factory=list)  # picture cells in an upload over HTTP
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "added_ids": self.added,
            "updated_ids": self.updated,
            "stock": self.stock,
            "images": self.images,
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in self.errors
            ],
        }
        if self.images_not_read:
            out["images_not_read"] = self.images_not_read
            out["note"] = (
                "表格上传时不含图片，请用 kiosk-ledger import-catalog --images 或"
                " PUT /v1/admin/catalog/{item_id}/image 上传图片 / pictures do not travel with an"
                " uploaded sheet: use the command with --images, or PUT each picture"
            )
        return out


def slug(names: dict[str, str]) -> str:
    """An id for a row without one: from the English name (``Rice, 5 kg`` -> ``rice-5-kg``),
    else ``item-`` and a digest of the Chinese name, the same every time."""
    ascii_en = unicodedata.normalize("NFKD", names.get("en", "")).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", ascii_en.lower()).strip("-")[:40].strip("-")
    return text or "item-" + hashlib.sha256(names["zh-Hans"].encode()).hexdigest()[:8]


def _differences(old: dict[str, Any] | None, r: CatalogRow) -> dict[str, Any]:
    """What ``catalog.write_item`` must be given to make the ledger's item match the row."""
    names = {k: v for k, v in r.names.items() if v}
    wanted: dict[str, Any] = {
        "names": names,
        "cost": r.cost,
        "kind": r.kind,
        "monthly_limit": r.monthly_limit,
        "active": r.active,
        "png": r.png,
    }
    if old is None:
        return {k: v for k, v in wanted.items() if v is not None}
    out: dict[str, Any] = {}
    if any(old.get("names", {}).get(k) != v for k, v in names.items()):
        out["names"] = names
    for key, default in (("cost", None), ("kind", "goods"), ("monthly_limit", 0), ("active", True)):
        if wanted[key] is not None and wanted[key] != old.get(key, default):
            out[key] = wanted[key]
    if r.png is not None and hashlib.sha256(r.png).hexdigest() != old.get("image_sha256"):
        out["png"] = r.png
    return out


def import_catalog(
    store: LedgerDB,
    parsed: CatalogFile,
    now: datetime,
    *,
    dry_run: bool = False,
    note: str = "目录导入",
) -> CatalogReport:
    """Upsert the catalog and set the stock counts the sheet gives, in one transaction."""
    report = CatalogReport(dry_run=dry_run, rows=len(parsed.rows), errors=list(parsed.errors))
    if report.errors:
        return report
    id_column = parsed.headers.get("item_id") or parsed.headers.get("name_zh", "名称")
    with store.read() if dry_run else store.write() as tx:
        items = tx.catalog()
        levels = tx.stock()
        by_name: dict[str, list[str]] = {}
        for item_id, data in sorted(items.items()):
            by_name.setdefault(data.get("names", {}).get("zh-Hans", ""), []).append(item_id)
        taken = set(items) | {r.item_id for r in parsed.rows if r.item_id}
        plan: list[tuple[str, CatalogRow]] = []
        row_of: dict[str, int] = {}
        for r in parsed.rows:
            item_id = r.item_id
            if not item_id:
                same = by_name.get(r.names["zh-Hans"], [])
                if len(same) > 1:
                    report.errors.append(
                        RowError(
                            r.row,
                            id_column,
                            f"台账中有多个「{r.names['zh-Hans']}」"
                            f"（{'、'.join(same)}），请填写编号 / several items in the ledger"
                            " have this name: give the id",
                        )
                    )
                    continue
                if same:
                    item_id = same[0]
                else:
                    base = item_id = slug(r.names)
                    n = 1
                    while item_id in taken:
                        n += 1
                        item_id = f"{base}-{n}"
                    taken.add(item_id)
            if item_id in row_of:  # found by name, while another row gives that id
                report.errors.append(
                    RowError(
                        r.row,
                        id_column,
                        f"与第 {row_of[item_id]} 行是同一物品（{item_id}）"
                        f" / the same item as row {row_of[item_id]} ({item_id})",
                    )
                )
                continue
            row_of[item_id] = r.row
            kind = r.kind or items.get(item_id, {}).get("kind", "goods")
            if kind != "goods":
                for site, qty in r.stock.items():
                    if qty:
                        report.errors.append(
                            RowError(
                                r.row,
                                parsed.stock_headers[site],
                                f"{item_id} 不是实物，没有库存，请留空 / {item_id} is not"
                                " goods: it has no stock, leave it blank",
                            )
                        )
            plan.append((item_id, r))
        if report.errors:
            return report

        for item_id, r in plan:
            old = items.get(item_id)
            change = _differences(old, r)
            if r.image and r.png is None:
                report.images_not_read.append(item_id)
            if old is None:
                report.added.append(item_id)
            elif change:
                report.updated.append(item_id)
            else:
                report.unchanged += 1
            if "png" in change:
                report.images.append(item_id)
            if change and not dry_run:
                catalog.write_item(tx, item_id, now, **change)
            if (r.kind or (old or {}).get("kind", "goods")) != "goods":
                continue
            for site, qty in r.stock.items():
                before = levels.get((site, item_id), 0)
                if qty == before:
                    continue  # already so: no 台账 line, nothing for the kiosks
                report.stock.append(
                    {"item_id": item_id, "site_id": site, "before": before, "qty": qty}
                )
                if not dry_run:
                    catalog.write_stock(tx, site, item_id, qty, now, note)
    return report
