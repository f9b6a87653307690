"""What staff tools read and write on PostgreSQL (``LedgerDB.read()`` and ``.write()``), the
same rows as on SQLite. Phone numbers sit in ``volunteer_private``, which nothing that
builds feed rows or kiosk answers reads."""

from __future__ import annotations

import json
from typing import Any

from sync.ledger.db.base import Person
from sync.ledger.db.ingest import Dirty
from sync.ledger.db.postgres.ingest import (
    Feed,
    emit_dirty,
    lock_key,
    put_activities,
    put_catalog,
    take_locks,
)
from sync.ledger.db.sqlite.staff import (
    CERTIFICATE_COLS,
    CERTIFICATE_KEYS,
    move_dict,
    session_dict,
    signup_person,
    volunteer_feed,
)
from sync.ledger.db.staff_sql import JOURNAL_KEYS, journal_in_window
from sync.ledger.wirejson import dumps_sorted

_PERSON = "volunteer_id, kind, display_name, team, status, card_version, izhiyuan_id"
_SESSION_KEYS = (
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


class PgStaffRead:
    def __init__(self, cur):
        self.cur = cur

    def _all(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        self.cur.execute(sql, params)
        return self.cur.fetchall()

    # -- reference data ---------------------------------------------------------------------

    def people(self) -> list[Person]:
        return [
            Person(*r) for r in self._all(f"SELECT {_PERSON} FROM volunteers ORDER BY volunteer_id")
        ]

    def phones(self) -> dict[str, str]:
        return dict(
            self._all("SELECT volunteer_id, phone FROM volunteer_private WHERE phone <> ''")
        )

    def people_of(self, ids: list[str]) -> list[Person]:
        rows = self._all(
            f"SELECT {_PERSON} FROM volunteers WHERE volunteer_id = ANY(%s) ORDER BY volunteer_id",
            (sorted(set(ids)),),
        )
        return [Person(*r) for r in rows]

    def phones_of(self, ids: list[str]) -> dict[str, str]:
        return dict(
            self._all(
                "SELECT volunteer_id, phone FROM volunteer_private"
                " WHERE volunteer_id = ANY(%s) AND phone <> ''",
                (sorted(set(ids)),),
            )
        )

    def phone_owners(self, phones: list[str]) -> dict[str, str]:
        rows = self._all(
            "SELECT phone, volunteer_id FROM volunteer_private WHERE phone = ANY(%s)"
            " ORDER BY phone, volunteer_id DESC",
            (sorted({p for p in phones if p}),),
        )
        return dict(rows)

    def izhiyuan_owners(self, izhiyuan_ids: list[str]) -> dict[str, str]:
        rows = self._all(
            "SELECT izhiyuan_id, volunteer_id FROM volunteers WHERE izhiyuan_id = ANY(%s)"
            " ORDER BY izhiyuan_id, volunteer_id DESC",
            (sorted({i for i in izhiyuan_ids if i}),),
        )
        return dict(rows)

    def last_v_number(self) -> int:
        ((top,),) = self._all(
            "SELECT MAX(volunteer_id) FROM volunteers WHERE volunteer_id >= 'V000000'"
            " AND volunteer_id <= 'V999999' AND volunteer_id ~ '^V[0-9]{6}$'"
        )
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
                "SELECT activity_id FROM activities WHERE left(activity_id, %s) = %s",
                (len(prefix), prefix),
            )
        }

    def catalog(self) -> dict[str, dict[str, Any]]:
        return {
            k: json.loads(d)
            for k, d in self._all("SELECT item_id, data FROM catalog ORDER BY item_id")
        }

    def catalog_item(self, item_id: str) -> dict[str, Any] | None:
        rows = self._all("SELECT data FROM catalog WHERE item_id = %s", (item_id,))
        return json.loads(rows[0][0]) if rows else None

    def stock(self) -> dict[tuple[str, str], int]:
        return {
            (s, i): q
            for s, i, q in self._all(
                "SELECT site_id, item_id, qty FROM stock ORDER BY site_id, item_id"
            )
        }

    def image(self, item_id: str) -> tuple[bytes, str] | None:
        rows = self._all("SELECT png, sha256 FROM catalog_images WHERE item_id = %s", (item_id,))
        return (bytes(rows[0][0]), rows[0][1]) if rows else None

    # -- the month's 台账 --------------------------------------------------------------------

    def sessions_from(self, lo: str, hi: str) -> list[dict[str, Any]]:
        return [
            dict(zip(_SESSION_KEYS, r, strict=True))
            for r in self._all(
                f"SELECT {', '.join(_SESSION_KEYS)} FROM sessions"
                " WHERE signed_in_at >= %s AND signed_in_at < %s"
                " ORDER BY signed_in_at, session_id",
                (lo, hi),
            )
        ]

    def corrected_sessions(self) -> set[str]:
        found = set()
        for (payload,) in self._all(
            "SELECT payload FROM events WHERE type = 'attendance.correct' AND status = 'accepted'"
        ):
            sid = json.loads(payload).get("session_id")
            if isinstance(sid, str):
                found.add(sid)
        return found

    def overlapping_sessions(self) -> set[str]:
        found: set[str] = set()
        for (detail,) in self._all(
            "SELECT detail FROM exceptions WHERE kind = 'overlapping_sessions'"
        ):
            found.update(json.loads(detail).get("sessions", []))
        return found

    def journal(self, lo: str, hi: str) -> list[dict[str, Any]]:
        sql = journal_in_window("%s", "e.payload::jsonb ->> 'reason'")
        return [dict(zip(JOURNAL_KEYS, r, strict=True)) for r in self._all(sql, (lo, hi))]

    def accepted_events(
        self, types: tuple[str, ...], lo: str, hi: str
    ) -> list[tuple[str, str, str, str, str, Any]]:
        found = self._all(
            "SELECT id, kiosk_id, type, occurred_at, actor, payload FROM events"
            " WHERE status = 'accepted' AND type = ANY(%s) AND occurred_at >= %s"
            " AND occurred_at < %s ORDER BY occurred_at, kiosk_id, seq",
            (list(types), lo, hi),
        )
        return [(i, k, t, o, a, json.loads(p)) for i, k, t, o, a, p in found]

    def redemptions(self) -> dict[str, tuple[str, str, str, bool, int]]:
        return {
            r[0]: (r[1], r[2], r[3], bool(r[4]), r[5])
            for r in self._all(
                "SELECT redemption_id, status, site_id, item_id, stocked, cost FROM redemptions"
            )
        }

    def stock_settings(self) -> list[tuple[str, str, int, int, str, str]]:
        return self._all(
            "SELECT site_id, item_id, qty_before, qty_after, note, set_at FROM stock_settings"
            " ORDER BY setting_id"
        )

    def exception_rows(self) -> list[tuple]:
        return self._all(
            "SELECT exception_id, kind, volunteer_id, site_id, kiosk_id, event_id, detail,"
            " created_at FROM exceptions ORDER BY exception_id"
        )

    # -- a volunteer's record, sign-up lists, certificates ----------------------------------

    def volunteer_sessions(self, volunteer_id: str) -> list[dict[str, Any]]:
        return [
            session_dict(r)
            for r in self._all(
                "SELECT s.session_id, s.activity_id, s.site_id, s.signed_in_at, s.minutes,"
                " s.credited_minutes, s.points, s.status, a.data,"
                " EXISTS (SELECT 1 FROM corrected_sessions c WHERE c.session_id = s.session_id)"
                " FROM sessions s LEFT JOIN activities a ON a.activity_id = s.activity_id"
                " WHERE s.volunteer_id = %s AND s.status <> 'open'"
                " ORDER BY s.t_in_ms DESC, s.session_id DESC",
                (volunteer_id,),
            )
        ]

    def volunteer_moves(self, volunteer_id: str, limit: int) -> list[dict[str, Any]]:
        account = f"volunteer:{volunteer_id}"
        return [
            move_dict(r)
            for r in self._all(
                "SELECT j.debit, j.credit, j.amount, j.memo, j.posted_at, e.occurred_at, e.payload"
                " FROM journal j LEFT JOIN events e ON e.id = j.event_id"
                " WHERE (j.debit = %s OR j.credit = %s) AND j.amount <> 0"
                " ORDER BY j.entry_id DESC LIMIT %s",
                (account, account, limit),
            )
        ]

    def minutes_totals(self) -> dict[str, int]:
        return dict(self._all("SELECT volunteer_id, minutes_total FROM balances"))

    def signup_people(self, activity_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {a: [] for a in activity_ids}
        for row in self._all(
            "SELECT g.activity_id, g.volunteer_id, g.status, g.over_capacity, g.signed_up_at,"
            " v.display_name, EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id ="
            " g.activity_id AND s.volunteer_id = g.volunteer_id)"
            " FROM signups g LEFT JOIN volunteers v ON v.volunteer_id = g.volunteer_id"
            " WHERE g.activity_id = ANY(%s) ORDER BY g.ord",
            (activity_ids,),
        ):
            out[row[0]].append(signup_person(row[1:]))
        return out

    def certificate(self, number: str) -> dict[str, Any] | None:
        rows = self._all(
            f"SELECT {CERTIFICATE_COLS} FROM certificates WHERE number = %s", (number,)
        )
        return dict(zip(CERTIFICATE_KEYS, rows[0], strict=True)) if rows else None

    def certificates(self, volunteer_id: str | None = None) -> list[dict[str, Any]]:
        return [
            dict(zip(CERTIFICATE_KEYS, r, strict=True))
            for r in self._all(
                f"SELECT {CERTIFICATE_COLS} FROM certificates"
                " WHERE %(v)s::text IS NULL OR volunteer_id = %(v)s ORDER BY issued_at, number",
                {"v": volunteer_id},
            )
        ]


class PgStaffWrite(PgStaffRead):
    """Inside one write transaction; ``finish`` sends the stock levels set to the feed."""

    def __init__(self, cur):
        super().__init__(cur)
        self.feed = Feed(cur)
        self._locks: set[int] = set()
        self._stock_set: set[tuple[str, str]] = set()

    def put_people(self, people: list[Person], at: str) -> None:
        self.cur.executemany(
            f"INSERT INTO volunteers ({_PERSON}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (volunteer_id) DO UPDATE SET display_name = EXCLUDED.display_name,"
            " team = EXCLUDED.team, status = EXCLUDED.status, izhiyuan_id = EXCLUDED.izhiyuan_id",
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
        self.cur.executemany(
            "INSERT INTO card_versions (volunteer_id, version, issued_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            [(p.volunteer_id, p.card_version, at) for p in people],
        )
        ids = sorted({p.volunteer_id for p in people})
        held = [
            Person(*r)
            for r in self._all(
                f"SELECT {_PERSON} FROM volunteers WHERE volunteer_id = ANY(%s)", (ids,)
            )
        ]
        self.feed.put(
            [("volunteer", p.volunteer_id, dumps_sorted(volunteer_feed(p)), 0) for p in held]
        )

    def put_phones(self, phones: list[tuple[str, str]], at: str) -> None:
        self.cur.executemany(
            "INSERT INTO volunteer_private (volunteer_id, phone, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (volunteer_id) DO UPDATE SET phone = EXCLUDED.phone,"
            " updated_at = EXCLUDED.updated_at",
            [(vid, phone, at) for vid, phone in phones],
        )

    def reissue_card(self, volunteer_id: str, at: str, reason: str = "") -> int:
        rows = self._all(
            f"SELECT {_PERSON} FROM volunteers WHERE volunteer_id = %s FOR UPDATE",
            (volunteer_id,),
        )
        if not rows:
            raise KeyError(volunteer_id)
        person = Person(*rows[0])
        version = person.card_version + 1
        self.cur.execute(
            "UPDATE volunteers SET card_version = %s WHERE volunteer_id = %s",
            (version, volunteer_id),
        )
        self.cur.execute(
            "INSERT INTO card_versions (volunteer_id, version, issued_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (volunteer_id, version, at),
        )
        self.cur.execute(
            "INSERT INTO card_reissues (volunteer_id, version, reason, at) VALUES (%s, %s, %s, %s)",
            (volunteer_id, version, reason, at),
        )
        self.feed.emit(
            "volunteer",
            volunteer_id,
            volunteer_feed(Person(**{**person.__dict__, "card_version": version})),
        )
        return version

    def put_activity(self, activity: dict[str, Any], at: str) -> None:
        put_activities(self.cur, self.feed, [(activity["activity_id"], activity)], at)

    def put_catalog_item(self, item_id: str, data: dict[str, Any]) -> None:
        take_locks(self.cur, {lock_key("item", item_id)}, self._locks)
        put_catalog(self.cur, self.feed, item_id, data)

    def put_image(self, item_id: str, png: bytes, sha256: str, at: str) -> None:
        self.cur.execute(
            "INSERT INTO catalog_images (item_id, png, sha256, updated_at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (item_id) DO UPDATE SET png = EXCLUDED.png, sha256 = EXCLUDED.sha256,"
            " updated_at = EXCLUDED.updated_at",
            (item_id, png, sha256, at),
        )

    def set_stock(self, site_id: str, item_id: str, qty: int, note: str, at: str) -> int:
        # The same lock a kiosk's batch takes for this stock level: a count set by staff and
        # a redemption at the kiosk never interleave.
        take_locks(self.cur, {lock_key("stock", f"{site_id}/{item_id}")}, self._locks)
        rows = self._all(
            "SELECT qty FROM stock WHERE site_id = %s AND item_id = %s", (site_id, item_id)
        )
        before_qty = rows[0][0] if rows else 0
        self.cur.execute(
            "INSERT INTO stock (site_id, item_id, qty) VALUES (%s, %s, %s)"
            " ON CONFLICT (site_id, item_id) DO UPDATE SET qty = EXCLUDED.qty",
            (site_id, item_id, qty),
        )
        self.cur.execute(
            "INSERT INTO stock_settings (site_id, item_id, qty_before, qty_after, note, set_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (site_id, item_id, before_qty, qty, note, at),
        )
        self._stock_set.add((site_id, item_id))
        return before_qty

    def certificate_serial(self, prefix: str) -> int:
        """The next serial of certificates whose number starts with ``prefix``: two staff
        issuing at once wait for each other (the lock), so no serial is given twice."""
        take_locks(self.cur, {lock_key("certificates", prefix)}, self._locks)
        rows = self._all(
            "SELECT COUNT(*) FROM certificates WHERE left(number, %s) = %s", (len(prefix), prefix)
        )
        return rows[0][0] + 1

    def record_certificate(self, row: dict[str, Any]) -> None:
        self.cur.execute(
            f"INSERT INTO certificates ({CERTIFICATE_COLS})"
            f" VALUES ({', '.join(['%s'] * len(CERTIFICATE_KEYS))})",
            [row[k] for k in CERTIFICATE_KEYS],
        )

    def put_setting(self, key: str, value: str, *, to_kiosks: bool = False) -> None:
        self.cur.execute(
            "INSERT INTO meta (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (f"setting.{key}", value),
        )
        if to_kiosks:
            self.feed.emit("setting", key, {"value": value})

    def finish(self) -> None:
        if self._stock_set:
            emit_dirty(self.cur, self.feed, Dirty(stock=self._stock_set))
