"""What staff tools read and write (``LedgerDB.read()`` and ``.write()``), shared by both
backends: the roster, cards, activities, catalog, stock counts, the rows of the month's
台账, a volunteer's record and certificates.

Statements are written with ``?`` placeholders and SQL both engines take; each backend
subclasses ``StaffSQL`` / ``StaffSQLWrite`` with how it runs a statement and the few things
it does its own way: reading a field of a JSON payload, its change feed, and (PostgreSQL)
the advisory locks that order staff writes against kiosk batches.

Phone numbers sit in ``volunteer_private``, which nothing that builds feed rows or kiosk
answers reads (Personal Information Protection Law: data minimisation).
"""

from __future__ import annotations

import json
from typing import Any

from sync.ledger.db.base import Person
from sync.ledger.db.ingest import SESSION_COLS, Dirty
from sync.ledger.wirejson import dumps_sorted

PERSON = "volunteer_id, kind, display_name, team, status, card_version, izhiyuan_id"
CHUNK = 500  # keys per IN (...) list, well inside either engine's limit on parameters

SESSION_KEYS = SESSION_COLS[:11]  # what a 台账 row shows of a session
JOURNAL_KEYS = (
    "entry_id",
    "debit",
    "credit",
    "amount",
    "memo",
    "ref",
    "reverses",
    "posted_at",
    "occurred_at",
    "kiosk_id",
    "actor",
    "reason",
)
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


def _marks(n: int) -> str:
    return ",".join("?" * n)


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


def session_dict(row: tuple) -> dict[str, Any]:
    """A row of ``volunteer_sessions``' query as a dict."""
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


def _owners(rows: list[tuple]) -> dict[str, str]:
    # Two people with one phone (or i志愿 id): the lowest volunteer id answers for it.
    return {key: vid for key, vid in sorted(rows, reverse=True)}


class StaffSQL:
    """Staff tools' reads over one snapshot of a backend."""

    # -- what a backend supplies --------------------------------------------------------

    def _all(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        raise NotImplementedError

    def _json_text(self, column: str, key: str) -> str:
        """SQL for ``column``'s JSON text field ``key``, as text."""
        raise NotImplementedError

    def _ledger_number(self, column: str) -> str:
        """The condition that ``column`` is V and six digits."""
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------

    def _one(self, sql: str, args: tuple | list = ()) -> tuple | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _chunks(self, sql: str, keys: list[str]) -> list[tuple]:
        """``sql`` with one ``{marks}`` for the keys, run per chunk, rows concatenated."""
        out: list[tuple] = []
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), CHUNK):
            part = keys[i : i + CHUNK]
            out += self._all(sql.format(marks=_marks(len(part))), part)
        return out

    # -- reference data ---------------------------------------------------------------------

    def people(self) -> list[Person]:
        return [
            Person(*r) for r in self._all(f"SELECT {PERSON} FROM volunteers ORDER BY volunteer_id")
        ]

    def phones(self) -> dict[str, str]:
        return dict(
            self._all("SELECT volunteer_id, phone FROM volunteer_private WHERE phone <> ''")
        )

    def people_of(self, ids: list[str]) -> list[Person]:
        rows = self._chunks(
            f"SELECT {PERSON} FROM volunteers WHERE volunteer_id IN ({{marks}})", ids
        )
        return sorted((Person(*r) for r in rows), key=lambda p: p.volunteer_id)

    def phones_of(self, ids: list[str]) -> dict[str, str]:
        return dict(
            self._chunks(
                "SELECT volunteer_id, phone FROM volunteer_private"
                " WHERE volunteer_id IN ({marks}) AND phone <> ''",
                ids,
            )
        )

    def phone_owners(self, phones: list[str]) -> dict[str, str]:
        return _owners(
            self._chunks(
                "SELECT phone, volunteer_id FROM volunteer_private WHERE phone IN ({marks})",
                [p for p in phones if p],
            )
        )

    def izhiyuan_owners(self, izhiyuan_ids: list[str]) -> dict[str, str]:
        return _owners(
            self._chunks(
                "SELECT izhiyuan_id, volunteer_id FROM volunteers WHERE izhiyuan_id IN ({marks})",
                [i for i in izhiyuan_ids if i],
            )
        )

    def last_v_number(self) -> int:
        # The primary key's range first, then the exact shape.
        row = self._one(
            "SELECT MAX(volunteer_id) FROM volunteers WHERE volunteer_id >= 'V000000'"
            f" AND volunteer_id <= 'V999999' AND {self._ledger_number('volunteer_id')}"
        )
        top = row[0] if row else None
        return int(top[1:]) if top else 0

    def sites(self) -> dict[str, dict[str, Any]]:
        return {k: json.loads(d) for k, d in self._all("SELECT site_id, data FROM sites")}

    def staff_sites(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for staff, site in self._all("SELECT staff_id, site_id FROM staff_sites"):
            out.setdefault(staff, set()).add(site)
        return out

    def activities(self) -> list[dict[str, Any]]:
        return [
            json.loads(d) for (d,) in self._all("SELECT data FROM activities ORDER BY activity_id")
        ]

    def activity_ids(self, prefix: str) -> set[str]:
        return {
            r[0]
            for r in self._all(
                "SELECT activity_id FROM activities WHERE substr(activity_id, 1, ?) = ?",
                (len(prefix), prefix),
            )
        }

    def catalog(self) -> dict[str, dict[str, Any]]:
        return {
            k: json.loads(d)
            for k, d in self._all("SELECT item_id, data FROM catalog ORDER BY item_id")
        }

    def catalog_item(self, item_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM catalog WHERE item_id = ?", (item_id,))
        return json.loads(row[0]) if row else None

    def stock(self) -> dict[tuple[str, str], int]:
        return {
            (s, i): q
            for s, i, q in self._all(
                "SELECT site_id, item_id, qty FROM stock ORDER BY site_id, item_id"
            )
        }

    def image(self, item_id: str) -> tuple[bytes, str] | None:
        row = self._one("SELECT png, sha256 FROM catalog_images WHERE item_id = ?", (item_id,))
        return (bytes(row[0]), row[1]) if row else None

    # -- the month's 台账 --------------------------------------------------------------------

    def sessions_from(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Sessions whose sign-in text sorts in [lo, hi), by sign-in time."""
        return [
            dict(zip(SESSION_KEYS, r, strict=True))
            for r in self._all(
                f"SELECT {', '.join(SESSION_KEYS)} FROM sessions"
                " WHERE signed_in_at >= ? AND signed_in_at < ? ORDER BY signed_in_at, session_id",
                (lo, hi),
            )
        ]

    def corrected_sessions(self) -> set[str]:
        """Sessions an accepted ``attendance.correct`` changed (kept by ingest as it
        applies one, so the export parses no payloads for it)."""
        return {r[0] for r in self._all("SELECT session_id FROM corrected_sessions")}

    def overlapping_sessions(self) -> set[str]:
        found: set[str] = set()
        for (detail,) in self._all(
            "SELECT detail FROM exceptions WHERE kind = 'overlapping_sessions'"
        ):
            found.update(json.loads(detail).get("sessions", []))
        return found

    def journal(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Journal entries whose time (the kiosk event's, else the posting's) sorts in
        [lo, hi), by entry id. The window is filtered here so a month's export neither
        carries nor parses the other months' payloads: only the reason is read."""
        when = "COALESCE(e.occurred_at, j.posted_at)"
        return [
            dict(zip(JOURNAL_KEYS, r, strict=True))
            for r in self._all(
                "SELECT j.entry_id, j.debit, j.credit, j.amount, j.memo, j.ref, j.reverses,"
                " j.posted_at, e.occurred_at, e.kiosk_id, e.actor,"
                f" {self._json_text('e.payload', 'reason')}"
                " FROM journal j LEFT JOIN events e ON e.id = j.event_id"
                f" WHERE {when} >= ? AND {when} < ? ORDER BY j.entry_id",
                (lo, hi),
            )
        ]

    def accepted_events(
        self, types: tuple[str, ...], lo: str, hi: str
    ) -> list[tuple[str, str, str, str, str, Any]]:
        """(id, kiosk_id, type, occurred_at, actor, payload) of accepted events of these
        types whose time text sorts in [lo, hi), by time, kiosk and seq."""
        found = self._all(
            "SELECT id, kiosk_id, type, occurred_at, actor, payload FROM events"
            f" WHERE status = 'accepted' AND type IN ({_marks(len(types))})"
            " AND occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at, kiosk_id, seq",
            (*types, lo, hi),
        )
        return [(i, k, t, o, a, json.loads(p)) for i, k, t, o, a, p in found]

    def redemptions(self, ids: list[str]) -> dict[str, tuple[str, str, str, bool, int]]:
        """redemption_id -> (status, site_id, item_id, stocked: it took one off the shelf, the
        cost the ledger charged), for these redemptions."""
        return {
            r[0]: (r[1], r[2], r[3], bool(r[4]), r[5])
            for r in self._chunks(
                "SELECT redemption_id, status, site_id, item_id, stocked, cost FROM redemptions"
                " WHERE redemption_id IN ({marks})",
                ids,
            )
        }

    def stock_settings(self, lo: str, hi: str) -> list[tuple[str, str, int, int, str, str]]:
        """(site_id, item_id, qty_before, qty_after, note, set_at) whose time text sorts in
        [lo, hi), in the order they were set."""
        return self._all(
            "SELECT site_id, item_id, qty_before, qty_after, note, set_at FROM stock_settings"
            " WHERE set_at >= ? AND set_at < ? ORDER BY setting_id",
            (lo, hi),
        )

    def exception_rows(self, lo: str, hi: str) -> list[tuple]:
        """(exception_id, kind, volunteer_id, site_id, kiosk_id, event_id, detail JSON,
        created_at) whose time text sorts in [lo, hi), oldest first."""
        return self._all(
            "SELECT exception_id, kind, volunteer_id, site_id, kiosk_id, event_id, detail,"
            " created_at FROM exceptions WHERE created_at >= ? AND created_at < ?"
            " ORDER BY exception_id",
            (lo, hi),
        )

    # -- a volunteer's record, sign-up lists, certificates ----------------------------------

    def volunteer_sessions(self, volunteer_id: str) -> list[dict[str, Any]]:
        """The volunteer's closed sessions, newest first, each with its activity's data and
        whether staff corrected it."""
        return [
            session_dict(r)
            for r in self._all(
                "SELECT s.session_id, s.activity_id, s.site_id, s.signed_in_at, s.minutes,"
                " s.credited_minutes, s.points, s.status, a.data,"
                " EXISTS (SELECT 1 FROM corrected_sessions c WHERE c.session_id = s.session_id)"
                " FROM sessions s LEFT JOIN activities a ON a.activity_id = s.activity_id"
                " WHERE s.volunteer_id = ? AND s.status <> 'open'"
                " ORDER BY s.t_in_ms DESC, s.session_id DESC",
                (volunteer_id,),
            )
        ]

    def volunteer_moves(self, volunteer_id: str, limit: int) -> list[dict[str, Any]]:
        """The volunteer's last ``limit`` journal entries, newest first, with the event."""
        account = f"volunteer:{volunteer_id}"
        return [
            move_dict(r)
            for r in self._all(
                "SELECT j.debit, j.credit, j.amount, j.memo, j.posted_at, e.occurred_at, e.payload"
                " FROM journal j LEFT JOIN events e ON e.id = j.event_id"
                " WHERE (j.debit = ? OR j.credit = ?) AND j.amount <> 0"
                " ORDER BY j.entry_id DESC LIMIT ?",
                (account, account, limit),
            )
        ]

    def minutes_totals(self, ids: list[str]) -> dict[str, int]:
        """These volunteers' minutes of all time."""
        return dict(
            self._chunks(
                "SELECT volunteer_id, minutes_total FROM balances WHERE volunteer_id IN ({marks})",
                ids,
            )
        )

    def signup_people(self, activity_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """activity_id -> everyone who signed up (withdrawn too), in order, with whether they
        came (a session of theirs for the activity)."""
        out: dict[str, list[dict[str, Any]]] = {a: [] for a in activity_ids}
        rows = self._chunks(
            "SELECT g.activity_id, g.volunteer_id, g.status, g.over_capacity, g.signed_up_at,"
            " v.display_name, EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id ="
            " g.activity_id AND s.volunteer_id = g.volunteer_id), g.ord"
            " FROM signups g LEFT JOIN volunteers v ON v.volunteer_id = g.volunteer_id"
            " WHERE g.activity_id IN ({marks})",
            activity_ids,
        )
        for row in sorted(rows, key=lambda r: r[-1]):
            out[row[0]].append(signup_person(row[1:-1]))
        return out

    def certificate(self, number: str) -> dict[str, Any] | None:
        row = self._one(f"SELECT {CERTIFICATE_COLS} FROM certificates WHERE number = ?", (number,))
        return dict(zip(CERTIFICATE_KEYS, row, strict=True)) if row else None

    def certificates(self, volunteer_id: str | None = None) -> list[dict[str, Any]]:
        if volunteer_id is None:
            where, args = "", ()
        else:
            where, args = " WHERE volunteer_id = ?", (volunteer_id,)
        return [
            dict(zip(CERTIFICATE_KEYS, r, strict=True))
            for r in self._all(
                f"SELECT {CERTIFICATE_COLS} FROM certificates{where} ORDER BY issued_at, number",
                args,
            )
        ]


class StaffSQLWrite(StaffSQL):
    """Inside one write transaction; ``finish`` sends the stock levels set to the feed."""

    # -- what a backend supplies --------------------------------------------------------

    def _many(self, sql: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    def _feed(self, rows: list[tuple[str, str, str, int]]) -> None:
        """(kind, key, data JSON, deleted) into the change feed: each key at a new cursor."""
        raise NotImplementedError

    def _lock(self, kind: str, key: str) -> None:
        """Hold what a kiosk's batch holds for (kind, key) until the transaction ends; a
        single-writer backend needs nothing."""

    def _feed_dirty(self, dirty: Dirty) -> None:
        raise NotImplementedError

    _FOR_UPDATE = ""  # how a backend locks the row it reads to change

    def put_activity(self, activity: dict[str, Any], at: str) -> None:
        raise NotImplementedError

    def put_catalog_item(self, item_id: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------

    _stock_set: set[tuple[str, str]]

    def _emit(self, kind: str, key: str, data: dict) -> None:
        self._feed([(kind, key, dumps_sorted(data), 0)])

    def put_people(self, people: list[Person], at: str) -> None:
        """Add or change people. An existing person keeps their kind and card version."""
        self._many(
            f"INSERT INTO volunteers ({PERSON}) VALUES ({_marks(7)})"
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
        self._many(
            "INSERT INTO card_versions (volunteer_id, version, issued_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [(p.volunteer_id, p.card_version, at) for p in people],
        )
        held = self.people_of([p.volunteer_id for p in people])
        self._feed(
            [("volunteer", p.volunteer_id, dumps_sorted(volunteer_feed(p)), 0) for p in held]
        )

    def put_phones(self, phones: list[tuple[str, str]], at: str) -> None:
        self._many(
            "INSERT INTO volunteer_private (volunteer_id, phone, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (volunteer_id) DO UPDATE SET phone = excluded.phone,"
            " updated_at = excluded.updated_at",
            [(vid, phone, at) for vid, phone in phones],
        )

    def reissue_card(self, volunteer_id: str, at: str, reason: str = "") -> int:
        """The next card version (raises KeyError for an unknown id)."""
        row = self._one(
            f"SELECT {PERSON} FROM volunteers WHERE volunteer_id = ?{self._FOR_UPDATE}",
            (volunteer_id,),
        )
        if row is None:
            raise KeyError(volunteer_id)
        person = Person(*row)
        version = person.card_version + 1
        self._all(
            "UPDATE volunteers SET card_version = ? WHERE volunteer_id = ?", (version, volunteer_id)
        )
        self._all(
            "INSERT INTO card_versions (volunteer_id, version, issued_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (volunteer_id, version, at),
        )
        self._all(
            "INSERT INTO card_reissues (volunteer_id, version, reason, at) VALUES (?, ?, ?, ?)",
            (volunteer_id, version, reason, at),
        )
        self._emit(
            "volunteer",
            volunteer_id,
            volunteer_feed(Person(**{**person.__dict__, "card_version": version})),
        )
        return version

    def put_image(self, item_id: str, png: bytes, sha256: str, at: str) -> None:
        self._all(
            "INSERT INTO catalog_images (item_id, png, sha256, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (item_id) DO UPDATE SET png = excluded.png, sha256 = excluded.sha256,"
            " updated_at = excluded.updated_at",
            (item_id, png, sha256, at),
        )

    def set_stock(self, site_id: str, item_id: str, qty: int, note: str, at: str) -> int:
        """Set a site's count (kept for the 台账 with the count before); returns that count."""
        # The same lock a kiosk's batch takes for this stock level: a count set by staff and
        # a redemption at the kiosk never interleave.
        self._lock("stock", f"{site_id}/{item_id}")
        row = self._one(
            "SELECT qty FROM stock WHERE site_id = ? AND item_id = ?", (site_id, item_id)
        )
        before_qty = row[0] if row else 0
        self._all(
            "INSERT INTO stock (site_id, item_id, qty) VALUES (?, ?, ?)"
            " ON CONFLICT (site_id, item_id) DO UPDATE SET qty = excluded.qty",
            (site_id, item_id, qty),
        )
        self._all(
            "INSERT INTO stock_settings (site_id, item_id, qty_before, qty_after, note, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (site_id, item_id, before_qty, qty, note, at),
        )
        self._stock_set.add((site_id, item_id))
        return before_qty

    def certificate_serial(self, prefix: str) -> int:
        """The next serial of certificates whose number starts with ``prefix``: two staff
        issuing at once wait for each other (the lock, or the single writer), so no serial
        is given twice."""
        self._lock("certificates", prefix)
        row = self._one(
            "SELECT COUNT(*) FROM certificates WHERE substr(number, 1, ?) = ?",
            (len(prefix), prefix),
        )
        return (row[0] if row else 0) + 1

    def record_certificate(self, row: dict[str, Any]) -> None:
        self._all(
            f"INSERT INTO certificates ({CERTIFICATE_COLS})"
            f" VALUES ({_marks(len(CERTIFICATE_KEYS))})",
            [row[k] for k in CERTIFICATE_KEYS],
        )

    def put_setting(self, key: str, value: str, *, to_kiosks: bool = False) -> None:
        """A ledger setting (meta ``setting.KEY``); ``to_kiosks``: sent in the change feed."""
        self._all(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"setting.{key}", value),
        )
        if to_kiosks:
            self._emit("setting", key, {"value": value})

    def finish(self) -> None:
        if self._stock_set:
            self._feed_dirty(Dirty(stock=self._stock_set))
