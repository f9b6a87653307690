"""What staff do to the ledger's reference data: the roster, cards, activities, the catalog
and stock counts. Everything goes through ``LedgerStore.transaction()``, and every change a
kiosk must know about is written to the change feed in the same transaction.

Phone numbers are the one piece of personal data kept here beyond a name. They sit in
``volunteer_private``, which nothing that builds feed rows or kiosk answers reads
(Personal Information Protection Law: data minimisation).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.core.codes import mask_name, sign

from . import effects
from .card_sheet import CardHolder
from .roster_import import RosterFile, RowError
from .storage import LedgerStore, iso

TZ = ZoneInfo("Asia/Shanghai")
IMAGE_SIDE = 256  # px; the kiosk shows rewards as tiles about this size
KINDS = ("goods", "privilege", "ticket")
_VID = re.compile(r"^V(\d{6})$")
ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class AdminError(ValueError):
    """Something staff asked for that cannot be done; the message says why, in words staff use."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def volunteer_feed(
    vid: str, kind: str, name: str, team: str, status: str, version: int
) -> dict[str, Any]:
    """Exactly what a kiosk learns about a person (the same fields ``effects.load_one`` sends)."""
    return {
        "volunteer_id": vid,
        "kind": kind,
        "display_name": name,
        "team": team,
        "status": status,
        "card_version": version,
    }


def _emit_volunteers(
    c: sqlite3.Connection, rows: list[tuple[str, str, str, str, str, int]]
) -> None:
    c.executemany(
        "INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES ('volunteer', ?, ?, 0)",
        [(r[0], _dumps(volunteer_feed(*r))) for r in rows],
    )


# -- roster -----------------------------------------------------------------------------------


@dataclass
class RosterReport:
    dry_run: bool
    rows: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)
    matched_by_phone: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self, limit: int = 50) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "deactivated": len(self.deactivated),
            "matched_by_phone": self.matched_by_phone,
            "added_ids": self.added[:limit],
            "deactivated_ids": self.deactivated[:limit],
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in self.errors
            ],
        }


@dataclass
class _Person:
    kind: str
    name: str
    team: str
    status: str
    version: int
    izhiyuan: str


def import_roster(
    store: LedgerStore,
    parsed: RosterFile,
    now: datetime,
    *,
    dry_run: bool = False,
    full: bool = False,
) -> RosterReport:
    """Upsert the roster on volunteer id. Nothing is deleted: with ``full`` the file is the
    whole roster and volunteers missing from it become inactive. Rows without an id are
    matched to a known volunteer by phone, then by i志愿 id, else get the next free V-number,
    so importing the same sheet twice never creates anybody twice."""
    report = RosterReport(dry_run=dry_run, rows=len(parsed.rows), errors=list(parsed.errors))
    if report.errors:
        return report
    head = parsed.headers
    has = {key: key in head for key in ("team", "ivolunteer_id", "status", "phone")}
    with store.transaction() as c:
        people = {
            vid: _Person(kind, name, team, status, version, izy or "")
            for vid, kind, name, team, status, version, izy in c.execute(
                "SELECT volunteer_id, kind, display_name, team, status, card_version,"
                " izhiyuan_id FROM volunteers"
            )
        }
        phones = dict(
            c.execute("SELECT volunteer_id, phone FROM volunteer_private WHERE phone != ''")
        )
        phone_owner = {p: v for v, p in phones.items()}
        izy_owner = {p.izhiyuan: v for v, p in people.items() if p.izhiyuan}

        resolved: list[str] = []  # per row: the id it resolves to, "" = new
        row_of: dict[str, int] = {}
        for r in parsed.rows:
            vid = r.volunteer_id
            if vid:
                known = people.get(vid)
                if known is not None and known.kind != "V":
                    report.errors.append(
                        RowError(
                            r.row,
                            head.get("volunteer_id", "志愿者编号"),
                            f"编号 {vid} 是工作人员卡 / {vid} is a staff id",
                        )
                    )
                elif (
                    known is not None
                    and r.phone
                    and phones.get(vid)
                    and phones[vid] != r.phone
                    and known.name != r.name
                ):
                    report.errors.append(
                        RowError(
                            r.row,
                            head.get("volunteer_id", "志愿者编号"),
                            f"编号 {vid} 在台账中属于 {mask_name(known.name)}（手机尾号 {phones[vid][-4:]}），"
                            f"本行姓名和手机都不同，请核对编号 / {vid} belongs to another person in the ledger"
                            " (different name and phone): check the id",
                        )
                    )
            elif (
                r.phone and r.phone in phone_owner and people.get(phone_owner[r.phone]) is not None
            ):
                vid = phone_owner[r.phone]
                report.matched_by_phone += 1
            elif r.ivolunteer_id and r.ivolunteer_id in izy_owner:
                vid = izy_owner[r.ivolunteer_id]
            if vid and vid in row_of:
                report.errors.append(
                    RowError(
                        r.row,
                        head.get("phone") or head.get("volunteer_id", "志愿者编号"),
                        f"与第 {row_of[vid]} 行是同一人（{vid}） / the same person as row"
                        f" {row_of[vid]} ({vid})",
                    )
                )
            elif vid:
                row_of[vid] = r.row
            resolved.append(vid)

        # Phone numbers stay unique after the import: a number may move between two people
        # in the same file, but may not land on somebody while the ledger still gives it to another.
        refused = {e.row for e in report.errors}
        file_phone = {
            vid: r.phone
            for vid, r in zip(resolved, parsed.rows, strict=True)
            if vid and r.phone and r.row not in refused
        }
        for vid, r in zip(resolved, parsed.rows, strict=True):
            owner = phone_owner.get(r.phone) if r.phone else None
            if owner and owner != vid and file_phone.get(owner, phones.get(owner)) == r.phone:
                report.errors.append(
                    RowError(
                        r.row,
                        head.get("phone", "手机"),
                        f"手机号已属于 {owner}（{mask_name(people[owner].name) if owner in people else ''}），"
                        f"一个手机号只能对应一位志愿者 / this phone number already belongs to {owner}",
                    )
                )
        if report.errors:
            return report

        used = {
            int(m.group(1))
            for v in list(people) + [v for v in resolved if v]
            if (m := _VID.match(v))
        }
        next_no = max(used, default=0) + 1
        at = iso(now)
        upserts: list[tuple] = []
        feed: list[tuple[str, str, str, str, str, int]] = []
        private: list[tuple[str, str, str]] = []
        new_versions: list[tuple[str, int, str]] = []
        for vid, r in zip(resolved, parsed.rows, strict=True):
            if not vid:
                while next_no in used:
                    next_no += 1
                vid = f"V{next_no:06d}"
                used.add(next_no)
            old = people.get(vid)
            if old is None:
                person = _Person("V", r.name, r.team, r.status or "active", 1, r.ivolunteer_id)
                report.added.append(vid)
                new_versions.append((vid, 1, at))
            else:
                status = r.status or old.status
                if full and not r.status and old.status == "inactive":
                    status = "active"  # listed again on the whole roster: back in service
                person = _Person(
                    "V",
                    r.name,
                    r.team if has["team"] and r.team else old.team,
                    status,
                    old.version,
                    r.ivolunteer_id or old.izhiyuan,
                )
                if person == old and (not r.phone or phones.get(vid) == r.phone):
                    report.unchanged += 1
                    continue
                if person != old or r.phone != phones.get(vid):
                    report.updated.append(vid)
            if person != old:
                upserts.append(
                    (
                        vid,
                        person.kind,
                        person.name,
                        person.team,
                        person.status,
                        person.version,
                        person.izhiyuan or None,
                    )
                )
                feed.append(
                    (vid, person.kind, person.name, person.team, person.status, person.version)
                )
            if r.phone and r.phone != phones.get(vid):
                private.append((vid, r.phone, at))
        if full:
            listed = set(row_of) | set(report.added)
            for vid, p in people.items():
                if p.kind == "V" and vid not in listed and p.status != "inactive":
                    report.deactivated.append(vid)
                    upserts.append(
                        (vid, p.kind, p.name, p.team, "inactive", p.version, p.izhiyuan or None)
                    )
                    feed.append((vid, p.kind, p.name, p.team, "inactive", p.version))
        if dry_run:
            return report
        c.executemany(
            "INSERT INTO volunteers (volunteer_id, kind, display_name, team, status, card_version, izhiyuan_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (volunteer_id) DO UPDATE SET display_name ="
            " excluded.display_name, team = excluded.team, status = excluded.status,"
            " izhiyuan_id = excluded.izhiyuan_id",
            upserts,
        )
        c.executemany(
            "INSERT OR IGNORE INTO card_versions (volunteer_id, version, issued_at) VALUES (?, ?, ?)",
            new_versions,
        )
        c.executemany(
            "INSERT INTO volunteer_private (volunteer_id, phone, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (volunteer_id) DO UPDATE SET phone = excluded.phone,"
            " updated_at = excluded.updated_at",
            private,
        )
        _emit_volunteers(c, feed)
    return report


def volunteers(store: LedgerStore, *, include_phone: bool = False) -> list[dict[str, Any]]:
    """The roster for staff. Phone numbers only when asked for (staff screens, not kiosks)."""
    with store.transaction() as c:
        rows = c.execute(
            "SELECT v.volunteer_id, v.kind, v.display_name, v.team, v.status, v.card_version, v.izhiyuan_id,"
            " p.phone FROM volunteers v LEFT JOIN volunteer_private p USING (volunteer_id)"
            " ORDER BY v.volunteer_id"
        ).fetchall()
    out = []
    for vid, kind, name, team, status, version, izy, phone in rows:
        d = {
            "volunteer_id": vid,
            "kind": kind,
            "name": name,
            "team": team,
            "status": status,
            "card_version": version,
            "ivolunteer_id": izy or "",
        }
        if include_phone:
            d["phone"] = phone or ""
        out.append(d)
    return out


# -- cards ------------------------------------------------------------------------------------


def private_key(store: LedgerStore, default_path: Path | None = None) -> str:
    """The ledger's card signing key, read from the file ``kiosk-ledger init`` wrote."""
    path = Path(store.meta("private_key_path") or default_path or "")
    if not str(path) or not path.is_file():
        raise AdminError(
            f"找不到发卡密钥 / the card signing key file is missing ({path}):"
            " run `kiosk-ledger init` on this ledger, or restore the key from its backup"
        )
    return path.read_text(encoding="ascii").strip()


def card_holders(
    store: LedgerStore,
    key: str,
    *,
    ids: list[str] | None = None,
    team: str | None = None,
    include_inactive: bool = False,
    staff: bool = False,
) -> list[CardHolder]:
    """Who gets a card: the named ids, else every active volunteer (of a team); staff on request."""
    with store.transaction() as c:
        rows = c.execute(
            "SELECT volunteer_id, kind, display_name, status, card_version, team FROM volunteers"
            " ORDER BY volunteer_id"
        ).fetchall()
    by_id = {r[0]: r for r in rows}
    if ids:
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise AdminError(f"台账中没有这些编号 / not in the ledger: {', '.join(unknown)}")
        chosen = [by_id[i] for i in ids]
    else:
        chosen = [
            r
            for r in rows
            if (r[1] == "V" or staff)
            and (include_inactive or r[3] == "active")
            and (team is None or r[5] == team)
        ]
    return [
        CardHolder(vid, name, sign(key, kind, vid, version), kind)
        for vid, kind, name, _, version, _ in chosen
    ]


def reissue(store: LedgerStore, volunteer_id: str, now: datetime, reason: str = "") -> int:
    """A new card version: every kiosk refuses the old card once it has pulled this change."""
    with store.transaction() as c:
        row = c.execute(
            "SELECT kind, display_name, team, status, card_version FROM volunteers"
            " WHERE volunteer_id = ?",
            (volunteer_id,),
        ).fetchone()
        if row is None:
            raise AdminError(
                f"台账中没有 {volunteer_id} / no volunteer {volunteer_id} in the ledger"
            )
        kind, name, team, status, version = row
        version += 1
        c.execute(
            "UPDATE volunteers SET card_version = ? WHERE volunteer_id = ?", (version, volunteer_id)
        )
        c.execute(
            "INSERT OR IGNORE INTO card_versions (volunteer_id, version, issued_at) VALUES (?, ?, ?)",
            (volunteer_id, version, iso(now)),
        )
        c.execute(
            "INSERT INTO card_reissues (volunteer_id, version, reason, at) VALUES (?, ?, ?, ?)",
            (volunteer_id, version, reason, iso(now)),
        )
        _emit_volunteers(c, [(volunteer_id, kind, name, team, status, version)])
    return version


# -- activities -------------------------------------------------------------------------------


def upsert_activities(store: LedgerStore, activities: list[dict[str, Any]], now: datetime) -> int:
    with store.transaction() as c:
        for act in activities:
            effects.load_one(c, "activity", act["activity_id"], act, iso(now))
    return len(activities)


def next_activity_id(store: LedgerStore, day: str, taken: set[str] = frozenset()) -> str:
    """``A-YYYYMMDD-NN``, the numbering the demo data and staff already use."""
    prefix = f"A-{day.replace('-', '')}-"
    with store.transaction() as c:
        existing = {
            r[0]
            for r in c.execute(
                "SELECT activity_id FROM activities WHERE activity_id LIKE ?", (prefix + "%",)
            )
        }
    n = 1
    while f"{prefix}{n:02d}" in existing or f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def number_activities(store: LedgerStore, acts: list[dict[str, Any]]) -> None:
    """Activities without an id get the next A-YYYYMMDD-NN of their day (in place)."""
    taken = {a["activity_id"] for a in acts if a["activity_id"]}
    for a in acts:
        a.pop("row", None)
        if not a["activity_id"]:
            a["activity_id"] = next_activity_id(store, a["start"][:10], taken)
            taken.add(a["activity_id"])


def activities(
    store: LedgerStore, *, month: str | None = None, site: str | None = None
) -> list[dict[str, Any]]:
    with store.transaction() as c:
        rows = [
            json.loads(d) for (d,) in c.execute("SELECT data FROM activities ORDER BY activity_id")
        ]
    out = []
    for a in rows:
        if site and a.get("site_id") != site:
            continue
        if month and datetime.fromisoformat(a["start"]).astimezone(TZ).strftime("%Y-%m") != month:
            continue
        out.append(a)
    return sorted(out, key=lambda a: (a["start"], a["activity_id"]))


def reference_sets(store: LedgerStore) -> tuple[dict[str, dict], set[str]]:
    """Sites (id -> data) and volunteer ids, for validating imports."""
    with store.transaction() as c:
        sites = {k: json.loads(d) for k, d in c.execute("SELECT site_id, data FROM sites")}
        vids = {r[0] for r in c.execute("SELECT volunteer_id FROM volunteers")}
    return sites, vids


# -- catalog and stock ------------------------------------------------------------------------


def kiosk_image(raw: bytes, side: int = IMAGE_SIDE) -> bytes:
    """Any photo staff have (JPEG from a phone, PNG, WebP) as a square PNG for the kiosk: the
    whole picture fitted in, on white, upright as the phone showed it."""
    from PIL import Image, ImageOps

    from .pictures import PictureError, read_picture

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


def catalog(store: LedgerStore) -> list[dict[str, Any]]:
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
