"""What staff tools read and write on SQLite (``LedgerDB.read()`` and ``.write()``): the
roster, cards, activities, catalog, stock counts, and the rows of the month's 台账.

Phone numbers sit in ``volunteer_private``, which nothing that builds feed rows or kiosk
answers reads (Personal Information Protection Law: data minimisation).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sync.ledger.db.base import Person
from sync.ledger.db.ingest import Dirty
from sync.ledger.db.sqlite.ingest import emit, emit_dirty, load_one
from sync.ledger.db.staff_sql import JOURNAL_KEYS, journal_in_window
from sync.ledger.wirejson import dumps_sorted

_PERSON = "volunteer_id, kind, display_name, team, status, card_version, izhiyuan_id"
_CHUNK = 500  # keys per IN (...) list, well inside SQLite's limit on parameters


def volunteer_feed(p: Person) -> dict[str, Any]:
    """Exactly what a kiosk learns about a person (the same fields reference loading sends)."""
    return {
        "volunteer_id": p.volunteer_id,
        "kind": p.kind,
        "display_name": p.display_name,
        "team": p.team,
        "status": p.status,
        "card_version": p.card_version,
    }


class SQLiteStaffRead:
    def __init__(self, c: sqlite3.Connection):
        self.c = c

    # -- reference data ---------------------------------------------------------------------

    def people(self) -> list[Person]:
        return [
            Person(*r)
            for r in self.c.execute(f"SELECT {_PERSON} FROM volunteers ORDER BY volunteer_id")
        ]

    def phones(self) -> dict[str, str]:
        return dict(
            self.c.execute("SELECT volunteer_id, phone FROM volunteer_private WHERE phone != ''")
        )

    def _chunks(self, sql: str, keys: list[str]) -> list[tuple]:
        """``sql`` with one ``{marks}`` for the keys, run per chunk (SQLite's limit on
        parameters), the rows concatenated."""
        out: list[tuple] = []
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), _CHUNK):
            part = keys[i : i + _CHUNK]
            out += self.c.execute(sql.format(marks=",".join("?" * len(part))), part).fetchall()
        return out

    def people_of(self, ids: list[str]) -> list[Person]:
        rows = self._chunks(
            f"SELECT {_PERSON} FROM volunteers WHERE volunteer_id IN ({{marks}})", ids
        )
        return sorted((Person(*r) for r in rows), key=lambda p: p.volunteer_id)

    def phones_of(self, ids: list[str]) -> dict[str, str]:
        return dict(
            self._chunks(
                "SELECT volunteer_id, phone FROM volunteer_private"
                " WHERE volunteer_id IN ({marks}) AND phone != ''",
                ids,
            )
        )

    def phone_owners(self, phones: list[str]) -> dict[str, str]:
        rows = self._chunks(
            "SELECT phone, volunteer_id FROM volunteer_private WHERE phone IN ({marks})",
            [p for p in phones if p],
        )
        return {phone: vid for phone, vid in sorted(rows, reverse=True)}

    def izhiyuan_owners(self, izhiyuan_ids: list[str]) -> dict[str, str]:
        rows = self._chunks(
            "SELECT izhiyuan_id, volunteer_id FROM volunteers WHERE izhiyuan_id IN ({marks})",
            [i for i in izhiyuan_ids if i],
        )
        return {izy: vid for izy, vid in sorted(rows, reverse=True)}

    def last_v_number(self) -> int:
        # The primary key's range of V and seven characters; GLOB keeps digits only.
        (top,) = self.c.execute(
            "SELECT MAX(volunteer_id) FROM volunteers WHERE volunteer_id >= 'V000000'"
            " AND volunteer_id <= 'V999999' AND length(volunteer_id) = 7"
            " AND volunteer_id GLOB 'V[0-9][0-9][0-9][0-9][0-9][0-9]'"
        ).fetchone()
        return int(top[1:]) if top else 0

    def sites(self) -> dict[str, dict[str, Any]]:
        return {k: json.loads(d) for k, d in self.c.execute("SELECT site_id, data FROM sites")}

    def staff_sites(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for staff, site in self.c.execute("SELECT staff_id, site_id FROM staff_sites"):
            out.setdefault(staff, set()).add(site)
        return out

    def activities(self) -> list[dict[str, Any]]:
        return [
            json.loads(d)
            for (d,) in self.c.execute("SELECT data FROM activities ORDER BY activity_id")
        ]

    def activity_ids(self, prefix: str) -> set[str]:
        return {
            r[0]
            for r in self.c.execute(
                "SELECT activity_id FROM activities WHERE substr(activity_id, 1, ?) = ?",
                (len(prefix), prefix),
            )
        }

    def catalog(self) -> dict[str, dict[str, Any]]:
        return {
            k: json.loads(d)
            for k, d in self.c.execute("SELECT item_id, data FROM catalog ORDER BY item_id")
        }

    def catalog_item(self, item_id: str) -> dict[str, Any] | None:
        row = self.c.execute("SELECT data FROM catalog WHERE item_id = ?", (item_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def stock(self) -> dict[tuple[str, str], int]:
        return {
            (s, i): q
            for s, i, q in self.c.execute(
                "SELECT site_id, item_id, qty FROM stock ORDER BY site_id, item_id"
            )
        }

    def image(self, item_id: str) -> tuple[bytes, str] | None:
        row = self.c.execute(
            "SELECT png, sha256 FROM catalog_images WHERE item_id = ?", (item_id,)
        ).fetchone()
        return (bytes(row[0]), row[1]) if row else None

    # -- the month's 台账 --------------------------------------------------------------------

    def sessions_from(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Sessions whose sign-in text sorts in [lo, hi), by sign-in time."""
        keys = (
            "session_id",
            "volunteer_id",
            "kiosk_id",
            "site_id",
            "activity_id",
            "signed_in_at",
            "signed_out_at",
            "minutes",
            "credited_minutes",
            "points",
            "status",
        )
        return [
            dict(zip(keys, r, strict=True))
            for r in self.c.execute(
                f"SELECT {', '.join(keys)} FROM sessions WHERE signed_in_at >= ? AND signed_in_at < ?"
                " ORDER BY signed_in_at, session_id",
                (lo, hi),
            )
        ]

    def corrected_sessions(self) -> set[str]:
        """Sessions an accepted ``attendance.correct`` changed."""
        found = set()
        for (payload,) in self.c.execute(
            "SELECT payload FROM events WHERE type = 'attendance.correct' AND status = 'accepted'"
        ):
            sid = json.loads(payload).get("session_id")
            if isinstance(sid, str):
                found.add(sid)
        return found

    def overlapping_sessions(self) -> set[str]:
        found: set[str] = set()
        for (detail,) in self.c.execute(
            "SELECT detail FROM exceptions WHERE kind = 'overlapping_sessions'"
        ):
            found.update(json.loads(detail).get("sessions", []))
        return found

    def journal(self, lo: str, hi: str) -> list[dict[str, Any]]:
        sql = journal_in_window("?", "json_extract(e.payload, '$.reason')")
        return [dict(zip(JOURNAL_KEYS, r, strict=True)) for r in self.c.execute(sql, (lo, hi))]

    def accepted_events(
        self, types: tuple[str, ...], lo: str, hi: str
    ) -> list[tuple[str, str, str, str, str, Any]]:
        """(id, kiosk_id, type, occurred_at, actor, payload) of accepted events of these
        types whose time text sorts in [lo, hi), by time, kiosk and seq."""
        marks = ",".join("?" * len(types))
        found = self.c.execute(
            f"SELECT id, kiosk_id, type, occurred_at, actor, payload FROM events WHERE status = 'accepted'"
            f" AND type IN ({marks}) AND occurred_at >= ? AND occurred_at < ?"
            " ORDER BY occurred_at, kiosk_id, seq",
            (*types, lo, hi),
        ).fetchall()
        return [(i, k, t, o, a, json.loads(p)) for i, k, t, o, a, p in found]

    def redemptions(self) -> dict[str, tuple[str, str, str, bool, int]]:
        """redemption_id -> (status, site_id, item_id, stocked: it took one off the shelf, the
        cost the ledger charged)."""
        return {
            r[0]: (r[1], r[2], r[3], bool(r[4]), r[5])
            for r in self.c.execute(
                "SELECT redemption_id, status, site_id, item_id, stocked, cost FROM redemptions"
            )
        }

    def stock_settings(self) -> list[tuple[str, str, int, int, str, str]]:
        """(site_id, item_id, qty_before, qty_after, note, set_at), in the order they were set."""
        return self.c.execute(
            "SELECT site_id, item_id, qty_before, qty_after, note, set_at FROM stock_settings"
            " ORDER BY setting_id"
        ).fetchall()

    def exception_rows(self) -> list[tuple]:
        """(exception_id, kind, volunteer_id, site_id, kiosk_id, event_id, detail JSON,
        created_at), oldest first."""
        return self.c.execute(
            "SELECT exception_id, kind, volunteer_id, site_id, kiosk_id, event_id, detail,"
            " created_at FROM exceptions ORDER BY exception_id"
        ).fetchall()

    # -- a volunteer's record, sign-up lists, certificates ----------------------------------
    # (No index led by the volunteer on sessions or the journal: ingest dropped those for its
    # speed. A community's ledger reads a volunteer's rows in a few milliseconds.)

    def volunteer_sessions(self, volunteer_id: str) -> list[dict[str, Any]]:
        """The volunteer's closed sessions, newest first, each with its activity's data and
        whether staff corrected it."""
        out = []
        for row in self.c.execute(
            "SELECT s.session_id, s.activity_id, s.site_id, s.signed_in_at, s.minutes,"
            " s.credited_minutes, s.points, s.status, a.data,"
            " EXISTS (SELECT 1 FROM corrected_sessions c WHERE c.session_id = s.session_id)"
            " FROM sessions s LEFT JOIN activities a ON a.activity_id = s.activity_id"
            " WHERE s.volunteer_id = ? AND s.status != 'open'"
            " ORDER BY s.t_in_ms DESC, s.session_id DESC",
            (volunteer_id,),
        ):
            out.append(session_dict(row))
        return out

    def volunteer_moves(self, volunteer_id: str, limit: int) -> list[dict[str, Any]]:
        """The volunteer's last ``limit`` journal entries, newest first, with the event."""
        account = f"volunteer:{volunteer_id}"
        return [
            move_dict(r)
            for r in self.c.execute(
                "SELECT j.debit, j.credit, j.amount, j.memo, j.posted_at, e.occurred_at, e.payload"
                " FROM journal j LEFT JOIN events e ON e.id = j.event_id"
                " WHERE (j.debit = ? OR j.credit = ?) AND j.amount != 0"
                " ORDER BY j.entry_id DESC LIMIT ?",
                (account, account, limit),
            )
        ]

    def minutes_totals(self) -> dict[str, int]:
        return dict(self.c.execute("SELECT volunteer_id, minutes_total FROM balances"))

    def signup_people(self, activity_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """activity_id -> everyone who signed up (withdrawn too), in order, with whether they
        came (a session of theirs for the activity)."""
        out: dict[str, list[dict[str, Any]]] = {a: [] for a in activity_ids}
        for i in range(0, len(activity_ids), 900):
            chunk = activity_ids[i : i + 900]
            for row in self.c.execute(
                "SELECT g.activity_id, g.volunteer_id, g.status, g.over_capacity, g.signed_up_at,"
                " v.display_name, EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id ="
                " g.activity_id AND s.volunteer_id = g.volunteer_id)"
                " FROM signups g LEFT JOIN volunteers v ON v.volunteer_id = g.volunteer_id"
                f" WHERE g.activity_id IN ({','.join('?' * len(chunk))}) ORDER BY g.ord",
                chunk,
            ):
                out[row[0]].append(signup_person(row[1:]))
        return out

    def certificate(self, number: str) -> dict[str, Any] | None:
        row = self.c.execute(
            f"SELECT {CERTIFICATE_COLS} FROM certificates WHERE number = ?", (number,)
        ).fetchone()
        return dict(zip(CERTIFICATE_KEYS, row, strict=True)) if row else None

    def certificates(self, volunteer_id: str | None = None) -> list[dict[str, Any]]:
        return [
            dict(zip(CERTIFICATE_KEYS, r, strict=True))
            for r in self.c.execute(
                f"SELECT {CERTIFICATE_COLS} FROM certificates"
                " WHERE ? IS NULL OR volunteer_id = ? ORDER BY issued_at, number",
                (volunteer_id, volunteer_id),
            )
        ]


CERTIFICATE_KEYS = (
    "number",
    "volunteer_id",
    "name",
    "period_from",
    "period_to",
    "minutes",
    "sessions",
    "issued_on",
    "issued_at",
    "issued_by",
    "qr_text",
)
CERTIFICATE_COLS = ", ".join(CERTIFICATE_KEYS)


def session_dict(row: tuple) -> dict[str, Any]:
    """A row of ``volunteer_sessions``' query as a dict (the same shape on every backend)."""
    sid, aid, site, t_in, minutes, credited, points, status, data, corrected = row
    return {
        "session_id": sid,
        "activity_id": aid,
        "activity": json.loads(data) if data else {},
        "site_id": site,
        "signed_in_at": t_in,
        "minutes": minutes or 0,
        "credited_minutes": credited or 0,
        "points": points or 0,
        "status": status,
        "corrected": bool(corrected),
    }


def move_dict(row: tuple) -> dict[str, Any]:
    debit, credit, amount, memo, posted, occurred, payload = row
    try:
        p = json.loads(payload) if payload else {}
    except ValueError:
        p = {}
    return {"debit": debit, "credit": credit, "amount": amount, "memo": memo,
            "posted_at": posted, "occurred_at": occurred, "payload": p if isinstance(p, dict) else {}}  # fmt: skip


def signup_person(row: tuple) -> dict[str, Any]:
    vid, status, over, at, name, came = row
    return {"volunteer_id": vid, "name": name or vid, "status": status,
            "over_capacity": bool(over), "signed_up_at": at, "came": bool(came)}  # fmt: skip


class SQLiteStaffWrite(SQLiteStaffRead):
    """Inside the writer's transaction; ``finish`` sends the stock levels set to the feed."""

    def __init__(self, c: sqlite3.Connection):
        super().__init__(c)
        self._stock_set: set[tuple[str, str]] = set()

    def put_people(self, people: list[Person], at: str) -> None:
        """Add or change people. An existing person keeps their kind and card version."""
        self.c.executemany(
            f"INSERT INTO volunteers ({_PERSON}) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (volunteer_id) DO UPDATE SET display_name = excluded.display_name,"
            " team = excluded.team, status = excluded.status, izhiyuan_id = excluded.izhiyuan_id",
            [
                (
                    p.volunteer_id,
                    p.kind,
                    p.display_name,
                    p.team,
                    p.status,
                    p.card_version,
                    p.izhiyuan_id,
                )
                for p in people
            ],
        )
        self.c.executemany(
            "INSERT OR IGNORE INTO card_versions (volunteer_id, version, issued_at) VALUES (?, ?, ?)",
            [(p.volunteer_id, p.card_version, at) for p in people],
        )
        held = self.people_of([p.volunteer_id for p in people])
        self.c.executemany(
            "INSERT OR REPLACE INTO changes (kind, key, data, deleted) VALUES ('volunteer', ?, ?, 0)",
            [(p.volunteer_id, dumps_sorted(volunteer_feed(p))) for p in held],
        )

    def put_phones(self, phones: list[tuple[str, str]], at: str) -> None:
        self.c.executemany(
            "INSERT INTO volunteer_private (volunteer_id, phone, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (volunteer_id) DO UPDATE SET phone = excluded.phone,"
            " updated_at = excluded.updated_at",
            [(vid, phone, at) for vid, phone in phones],
        )

    def reissue_card(self, volunteer_id: str, at: str, reason: str = "") -> int:
        """The next card version (raises KeyError for an unknown id)."""
        row = self.c.execute(
            f"SELECT {_PERSON} FROM volunteers WHERE volunteer_id = ?", (volunteer_id,)
        ).fetchone()
        if row is None:
            raise KeyError(volunteer_id)
        person = Person(*row)
        version = person.card_version + 1
        self.c.execute(
            "UPDATE volunteers SET card_version = ? WHERE volunteer_id = ?", (version, volunteer_id)
        )
        self.c.execute(
            "INSERT OR IGNORE INTO card_versions (volunteer_id, version, issued_at) VALUES (?, ?, ?)",
            (volunteer_id, version, at),
        )
        self.c.execute(
            "INSERT INTO card_reissues (volunteer_id, version, reason, at) VALUES (?, ?, ?, ?)",
            (volunteer_id, version, reason, at),
        )
        emit(
            self.c,
            "volunteer",
            volunteer_id,
            volunteer_feed(Person(**{**person.__dict__, "card_version": version})),
        )
        return version

    def put_activity(self, activity: dict[str, Any], at: str) -> None:
        load_one(self.c, "activity", activity["activity_id"], activity, at)

    def put_catalog_item(self, item_id: str, data: dict[str, Any]) -> None:
        self.c.execute(
            "INSERT OR REPLACE INTO catalog (item_id, data) VALUES (?, ?)",
            (item_id, dumps_sorted(data)),
        )
        emit(self.c, "catalog_item", item_id, data)

    def put_image(self, item_id: str, png: bytes, sha256: str, at: str) -> None:
        self.c.execute(
            "INSERT OR REPLACE INTO catalog_images (item_id, png, sha256, updated_at) VALUES (?, ?, ?, ?)",
            (item_id, png, sha256, at),
        )

    def set_stock(self, site_id: str, item_id: str, qty: int, note: str, at: str) -> int:
        """Set a site's count (kept for the 台账 with the count before); returns that count."""
        before = self.c.execute(
            "SELECT qty FROM stock WHERE site_id = ? AND item_id = ?", (site_id, item_id)
        ).fetchone()
        before_qty = before[0] if before else 0
        self.c.execute(
            "INSERT INTO stock (site_id, item_id, qty) VALUES (?, ?, ?) ON CONFLICT (site_id, item_id)"
            " DO UPDATE SET qty = excluded.qty",
            (site_id, item_id, qty),
        )
        self.c.execute(
            "INSERT INTO stock_settings (site_id, item_id, qty_before, qty_after, note, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (site_id, item_id, before_qty, qty, note, at),
        )
        self._stock_set.add((site_id, item_id))
        return before_qty

    def certificate_serial(self, prefix: str) -> int:
        """The next serial of certificates whose number starts with ``prefix`` (the single
        writer makes count + 1 safe until this transaction commits)."""
        return (
            self.c.execute(
                "SELECT COUNT(*) FROM certificates WHERE substr(number, 1, ?) = ?",
                (len(prefix), prefix),
            ).fetchone()[0]
            + 1
        )

    def record_certificate(self, row: dict[str, Any]) -> None:
        self.c.execute(
            f"INSERT INTO certificates ({CERTIFICATE_COLS})"
            f" VALUES ({', '.join('?' * len(CERTIFICATE_KEYS))})",
            [row[k] for k in CERTIFICATE_KEYS],
        )

    def put_setting(self, key: str, value: str, *, to_kiosks: bool = False) -> None:
        """A ledger setting (meta ``setting.KEY``); ``to_kiosks``: sent in the change feed."""
        self.c.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"setting.{key}", value),
        )
        if to_kiosks:
            emit(self.c, "setting", key, {"value": value})

    def finish(self) -> None:
        if self._stock_set:
            emit_dirty(self.c, Dirty(stock=self._stock_set))
