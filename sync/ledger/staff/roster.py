"""The roster: importing volunteers, and what staff see of them.

Phone numbers are the one piece of personal data kept here beyond a name. They sit in
``volunteer_private``, which nothing that builds feed rows or kiosk answers reads
(Personal Information Protection Law: data minimisation).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk.core.codes import mask_name
from sync.ledger.db.sqlite.store import LedgerStore, iso
from sync.ledger.staff.roster_import import RosterFile, RowError

_VID = re.compile(r"^V(\d{6})$")


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


def emit_volunteers(c: sqlite3.Connection, rows: list[tuple[str, str, str, str, str, int]]) -> None:
    c.executemany(
        "INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES ('volunteer', ?, ?, 0)",
        [(r[0], _dumps(volunteer_feed(*r))) for r in rows],
    )


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
        emit_volunteers(c, feed)
    return report


def list_volunteers(store: LedgerStore, *, include_phone: bool = False) -> list[dict[str, Any]]:
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
