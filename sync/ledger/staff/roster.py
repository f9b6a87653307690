"""The roster: importing volunteers, and what staff see of them.

Phone numbers are the one piece of personal data kept here beyond a name. They sit in
``volunteer_private``, which nothing that builds feed rows or kiosk answers reads
(Personal Information Protection Law: data minimisation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from kiosk.core.codes import mask_name
from sync.ledger.db.base import LedgerDB, Person
from sync.ledger.staff.roster_import import RosterFile, RowError

_VID = re.compile(r"^V(\d{6})$")


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

    def row(self, vid: str) -> Person:
        return Person(
            vid, self.kind, self.name, self.team, self.status, self.version, self.izhiyuan or None
        )


def import_roster(
    store: LedgerDB,
    parsed: RosterFile,
    now: datetime,
    *,
    dry_run: bool = False,
    full: bool = False,
    report: RosterReport | None = None,
) -> RosterReport:
    """Upsert the roster on volunteer id. Nothing is deleted: with ``full`` the file is the
    whole roster and volunteers missing from it become inactive. Rows without an id are
    matched to a known volunteer by phone, then by i志愿 id, else get the next free V-number,
    so importing the same sheet twice never creates anybody twice. ``report``, when given,
    is filled in place (the console's audit entry reads it inside the import's transaction)."""
    fresh = RosterReport(dry_run=dry_run, rows=len(parsed.rows), errors=list(parsed.errors))
    if report is None:
        report = fresh
    else:
        for f in fields(fresh):
            setattr(report, f.name, getattr(fresh, f.name))
    if report.errors:
        return report
    head = parsed.headers
    has = {key: key in head for key in ("team", "ivolunteer_id", "status", "phone")}
    with store.read() if dry_run else store.write() as tx:
        if full:
            # The whole roster: everybody the file leaves out is deactivated, so all are read.
            known = tx.people()
            phones = tx.phones()
            phone_owner = {p: v for v, p in phones.items()}
            izy_owner = {p.izhiyuan_id: p.volunteer_id for p in known if p.izhiyuan_id}
        else:
            # Only the people the file names, by id, phone or i志愿 id: a district holds
            # 200,000, and a 5,000-row preview reads the few thousand it needs.
            phone_owner = tx.phone_owners([r.phone for r in parsed.rows if r.phone])
            izy_owner = tx.izhiyuan_owners(
                [r.ivolunteer_id for r in parsed.rows if r.ivolunteer_id and not r.volunteer_id]
            )
            named = {r.volunteer_id for r in parsed.rows if r.volunteer_id}
            named |= set(phone_owner.values()) | set(izy_owner.values())
            known = tx.people_of(sorted(named))
            phones = tx.phones_of(sorted(named))
        people = {
            p.volunteer_id: _Person(
                p.kind, p.display_name, p.team, p.status, p.card_version, p.izhiyuan_id or ""
            )
            for p in known
        }

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
        next_no = max(max(used, default=0), tx.last_v_number()) + 1
        at = now.isoformat(timespec="milliseconds")
        upserts: list[Person] = []
        private: list[tuple[str, str]] = []
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
                upserts.append(person.row(vid))
            if r.phone and r.phone != phones.get(vid):
                private.append((vid, r.phone))
        if full:
            listed = set(row_of) | set(report.added)
            for vid, p in people.items():
                if p.kind == "V" and vid not in listed and p.status != "inactive":
                    report.deactivated.append(vid)
                    upserts.append(replace(p, status="inactive").row(vid))
        if dry_run:
            return report
        tx.put_people(upserts, at)
        tx.put_phones(private, at)
    return report


def list_volunteers(store: LedgerDB, *, include_phone: bool = False) -> list[dict[str, Any]]:
    """The roster for staff. Phone numbers only when asked for (staff screens, not kiosks)."""
    with store.read() as tx:
        people, phones = tx.people(), tx.phones() if include_phone else {}
    out = []
    for p in people:
        d = {
            "volunteer_id": p.volunteer_id,
            "kind": p.kind,
            "name": p.display_name,
            "team": p.team,
            "status": p.status,
            "card_version": p.card_version,
            "ivolunteer_id": p.izhiyuan_id or "",
        }
        if include_phone:
            d["phone"] = phones.get(p.volunteer_id, "")
        out.append(d)
    return out
