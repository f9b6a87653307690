"""The kiosk's local store: an event outbox plus projections, in one SQLite file.

Every action is one ``BEGIN IMMEDIATE`` transaction that appends the event and applies
its projection change, so the screen never confirms what the disk does not hold.
WAL with ``synchronous=FULL``: a committed event survives kill -9 and power loss.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk.core.attendance import Activity, OpenSession
from kiosk.core.codes import CodeKind, RosterEntry, mask_name
from kiosk.core.points import PointsRule
from kiosk.core.redemption import CatalogItem
from kiosk.core.signup import Places, SignupRefusal, sign_up, withdraw
from kiosk.private import private_sqlite

from . import projection
from .errors import StoreError, classify
from .ids import uuid7
from .schema import SCHEMA_VERSION, migrate

STORE_FILE = "kiosk.db"


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    id: str
    type: str
    occurred_at: str
    recorded_at: str
    clock_offset_ms: int
    actor: str
    payload: dict[str, Any]

    def wire(self, kiosk_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "kiosk_id": kiosk_id,
            "seq": self.seq,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "clock_offset_ms": self.clock_offset_ms,
            "actor": self.actor,
            "payload": self.payload,
        }


def _ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return int(dt.timestamp() * 1000)


def iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return dt.isoformat(timespec="milliseconds")


class Store:
    def __init__(self, path: str | Path, *, create: bool = False, busy_timeout_ms: int = 5000):
        self.path = Path(path)
        self._lock = threading.RLock()
        if self.path.is_dir():
            raise StoreError("unreadable", "path is a folder", str(self.path))
        if not self.path.exists() and not create:
            raise StoreError("missing", "no store file", str(self.path))
        try:
            # It holds the ledger token and names: the owner's alone (its folder too).
            private_sqlite(self.path, make_dir=True)
        except OSError as exc:
            raise StoreError("unreadable", str(exc), str(self.path)) from exc
        try:
            conn = sqlite3.connect(
                str(self.path),
                isolation_level=None,
                timeout=busy_timeout_ms / 1000,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise classify(exc, str(self.path)) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            # Reading the schema first makes a damaged file fail here, loudly, and never
            # lets a corrupt or foreign file be mistaken for an empty store.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute("PRAGMA synchronous = FULL")
            migrate(conn)
        except RuntimeError as exc:
            conn.close()
            raise StoreError("too_new", str(exc), str(self.path)) from exc
        except sqlite3.Error as exc:
            conn.close()
            raise classify(exc, str(self.path)) from exc
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        # Reference data (activities, settings read on every scan) is cached until any
        # connection commits a change: PRAGMA data_version moves on others' commits,
        # and this connection's own writes clear the cache themselves.
        self._cache: dict[str, Any] = {}
        self._data_version = -1

    @classmethod
    def in_dir(cls, data_dir: str | Path, *, create: bool = False) -> Store:
        return cls(Path(data_dir) / STORE_FILE, create=create)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    # -- transactions -------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: BEGIN IMMEDIATE, commit on success, roll back on any error."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise classify(exc, str(self.path)) from exc
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise classify(exc, str(self.path)) from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def append(
        self,
        conn: sqlite3.Connection,
        etype: str,
        actor: str,
        payload: dict[str, Any],
        *,
        occurred_at: datetime,
        now: datetime,
        event_id: str | None = None,
    ) -> StoredEvent:
        """Append one event and apply it to the projections; call inside ``transaction()``."""
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events").fetchone()[0]
        event = StoredEvent(
            seq=seq,
            id=event_id or uuid7(int(now.timestamp() * 1000)),
            type=etype,
            occurred_at=iso(occurred_at),
            recorded_at=iso(now),
            clock_offset_ms=int(self._setting(conn, "clock_offset_ms", "0")),
            actor=actor,
            payload=payload,
        )
        conn.execute(
            "INSERT INTO events (seq, id, type, occurred_at, recorded_at, clock_offset_ms, actor, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.seq,
                event.id,
                event.type,
                event.occurred_at,
                event.recorded_at,
                event.clock_offset_ms,
                event.actor,
                json.dumps(payload, ensure_ascii=False, sort_keys=True),
            ),
        )
        projection.apply_event(conn, seq, etype, actor, event.occurred_at, payload)
        return event

    # -- settings -----------------------------------------------------------------

    @staticmethod
    def _setting(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def setting(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            return self._setting(self.conn, key, default)

    @staticmethod
    def put_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, None if value is None else str(value)),
        )

    def set_settings(self, **values: Any) -> None:
        with self.transaction() as conn:
            for key, value in values.items():
                self.put_setting(conn, key, value)
        self.invalidate()

    # -- reference data -----------------------------------------------------------

    def roster_entry(self, subject_id: str) -> RosterEntry | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT volunteer_id, kind, display_name, card_version, status, team FROM volunteers"
                " WHERE volunteer_id = ?",
                (subject_id,),
            ).fetchone()
        if row is None:
            return None
        return RosterEntry(row[0], CodeKind(row[1]), row[2], int(row[3]), row[4], row[5])

    def staff_pin_hash(self, staff_id: str) -> str | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT pin_hash FROM staff_pins WHERE staff_id = ?", (staff_id,)
            ).fetchone()
        return row[0] if row else None

    # -- staff PIN attempts ---------------------------------------------------------

    def begin_pin_attempt(self, staff_id: str, at: datetime) -> int:
        """Count an attempt as wrong until ``pin_attempt_ok`` says otherwise; returns its id."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO pin_attempts (staff_id, at_ms, ok) VALUES (?, ?, 0)",
                (staff_id, _ms(at)),
            )
            return int(cur.lastrowid)

    @staticmethod
    def pin_attempt_ok(conn: sqlite3.Connection, attempt_id: int) -> None:
        """The attempt was right; call inside ``transaction()``."""
        conn.execute("UPDATE pin_attempts SET ok = 1 WHERE id = ?", (attempt_id,))

    def pin_failures(self, staff_id: str | None = None) -> list[datetime]:
        """Wrong PINs since the last right one, oldest first: one staff member's, or (None)
        everyone's at this kiosk."""
        where, params = ("staff_id = ? AND ", [staff_id]) if staff_id is not None else ("", [])
        with self._lock:
            rows = self.conn.execute(
                f"SELECT at_ms FROM pin_attempts WHERE {where}ok = 0 AND id >"
                f" COALESCE((SELECT MAX(id) FROM pin_attempts WHERE {where}ok = 1), 0) ORDER BY id",
                params * 2,
            ).fetchall()
        return [datetime.fromtimestamp(r[0] / 1000, UTC) for r in rows]

    def staff_session_left_open(self) -> tuple[str, str] | None:
        """(session id, staff id) of the staff session the kiosk last opened and never closed."""
        with self._lock:
            session_id = self._setting(self.conn, "staff_session")
            if not session_id:
                return None
            row = self.conn.execute(
                "SELECT actor FROM events WHERE type = 'staff.session_open'"
                " AND json_extract(payload, '$.session_id') = ?",
                (session_id,),
            ).fetchone()
        return (session_id, row[0]) if row else None

    def site_names(self, site_id: str) -> dict[str, str]:
        with self._lock:
            row = self.conn.execute(
                "SELECT name_zh, name_zh_hant, name_en FROM sites WHERE site_id = ?", (site_id,)
            ).fetchone()
        if row is None:
            return {"zh-Hans": site_id, "zh-Hant": site_id, "en": site_id}
        return {
            "zh-Hans": row[0] or site_id,
            "zh-Hant": row[1] or row[0] or site_id,
            "en": row[2] or site_id,
        }

    def cached(self, key: str, load: Any) -> Any:
        """Reference data from the cache, reloaded when anyone has committed since."""
        with self._lock:
            version = self.conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._cache.clear()
                self._data_version = version
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def _all_activities(self) -> dict[str, Activity]:
        rows = self.db.query("SELECT * FROM activities ORDER BY start, activity_id")
        return {r["activity_id"]: _activity(r) for r in rows}

    def activities(self, site_id: str | None = None) -> list[Activity]:
        acts = self.cached("activities", self._all_activities).values()
        return [a for a in acts if site_id is None or a.site_id == site_id]

    def activity(self, activity_id: str) -> Activity | None:
        return self.cached("activities", self._all_activities).get(activity_id)

    def activity_titles(self, activity_id: str) -> tuple[str, str, str] | None:
        """(zh-Hans, zh-Hant, English) titles; a plain read, so it works inside a transaction."""
        with self._lock:
            row = self.conn.execute(
                "SELECT title_zh, title_zh_hant, title_en FROM activities WHERE activity_id = ?",
                (activity_id,),
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def places(self, activity_id: str) -> Places | None:
        """Who holds a place in the activity and who waits: the ledger's last word plus this
        kiosk's own sign-ups and withdrawals it had not yet included (by the same rule)."""
        with self._lock:
            row = self.conn.execute(
                "SELECT capacity, signup, waiting, signup_as_of FROM activities WHERE activity_id = ?",
                (activity_id,),
            ).fetchone()
            if row is None:
                return None
            local = self.conn.execute(
                "SELECT volunteer_id, action FROM signups WHERE activity_id = ? AND seq > ? ORDER BY seq",
                (activity_id, int(row[3])),
            ).fetchall()
        waiting = tuple(json.loads(row[2]))
        confirmed = tuple(v for v in sorted(json.loads(row[1])) if v not in waiting)
        places = Places(int(row[0]), confirmed, waiting)
        for vid, action in local:
            done = sign_up(places, vid) if action == "add" else withdraw(places, vid)
            if not isinstance(done, SignupRefusal):
                places = done.places
        return places

    def signups_of(self, volunteer_id: str) -> list[str]:
        """Activities this volunteer signed up for or withdrew from at this kiosk, newest first."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT DISTINCT activity_id FROM signups WHERE volunteer_id = ? ORDER BY seq DESC",
                (volunteer_id,),
            ).fetchall()
        return [r[0] for r in rows]

    def catalog(self, include_inactive: bool = False) -> list[CatalogItem]:
        with self._lock:
            rows = list(self.db.query("SELECT * FROM catalog ORDER BY cost, item_id"))
        items = [_item(r) for r in rows]
        return items if include_inactive else [i for i in items if i.active]

    def catalog_item(self, item_id: str) -> CatalogItem | None:
        with self._lock:
            rows = list(self.db.query("SELECT * FROM catalog WHERE item_id = ?", [item_id]))
        return _item(rows[0]) if rows else None

    # -- projections --------------------------------------------------------------

    def open_session(self, volunteer_id: str) -> OpenSession | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT session_id, volunteer_id, activity_id, signed_in_at FROM sessions"
                " WHERE volunteer_id = ? AND status = 'open'",
                (volunteer_id,),
            ).fetchone()
        if row is None:
            return None
        return OpenSession(row[0], row[1], row[2], datetime.fromisoformat(row[3]))

    def open_sessions(self) -> list[OpenSession]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT session_id, volunteer_id, activity_id, signed_in_at FROM sessions"
                " WHERE status = 'open' ORDER BY signed_in_at"
            ).fetchall()
        return [OpenSession(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows]

    def credited_minutes_on(
        self, volunteer_id: str, day: str, exclude_session: str | None = None
    ) -> int:
        """Minutes already credited to sessions that started on ``day`` (YYYY-MM-DD);
        ``exclude_session``: leave that one out (a correction works its figures out anew)."""
        with self._lock:
            row = self.conn.execute(
                "SELECT COALESCE(SUM(credited_minutes), 0) FROM sessions"
                " WHERE volunteer_id = ? AND day = ? AND status != 'open' AND session_id IS NOT ?",
                (volunteer_id, day, exclude_session),
            ).fetchone()
        return int(row[0])

    def session(self, session_id: str) -> dict[str, Any] | None:
        """One session as the projection holds it; times as aware datetimes."""
        rows = self._session_rows("WHERE s.session_id = ?", [session_id])
        return rows[0] if rows else None

    def recent_sessions(self, since_day: str, limit: int = 100) -> list[dict[str, Any]]:
        """Sessions staff may correct: signed in on ``since_day`` (YYYY-MM-DD) or later, newest
        first, open ones included. Each has the volunteer's masked name, the activity's titles,
        the in and out times, minutes, points, ``status`` (open, closed, auto_closed),
        ``flagged`` (auto-closed and not yet reviewed) and ``corrected`` (staff corrected it)."""
        return self._session_rows(
            "WHERE s.day >= ? ORDER BY s.signed_in_at DESC, s.in_seq DESC LIMIT ?",
            [since_day, int(limit)],
        )

    def _session_rows(self, where: str, params: list[Any]) -> list[dict[str, Any]]:
        with self._lock:
            rows = list(
                self.db.query(
                    "SELECT s.*, v.display_name, a.title_zh, a.title_zh_hant, a.title_en FROM sessions s"
                    " LEFT JOIN volunteers v ON v.volunteer_id = s.volunteer_id"
                    " LEFT JOIN activities a ON a.activity_id = s.activity_id " + where,
                    params,
                )
            )
            corrected: set[str] = set()
            if rows:
                # A correction always comes after its sign-in: only the events since the oldest one listed.
                corrected = {
                    r[0]
                    for r in self.conn.execute(
                        "SELECT json_extract(payload, '$.session_id') FROM events"
                        " WHERE seq > ? AND type = 'attendance.correct'",
                        (min(r["in_seq"] for r in rows),),
                    )
                }
        out = []
        for r in rows:
            aid = r["activity_id"]
            zh, hant, en = r.pop("title_zh"), r.pop("title_zh_hant"), r.pop("title_en")
            name = r.pop("display_name")
            out.append(
                {
                    **r,
                    "name": mask_name(name) if name else r["volunteer_id"],
                    "titles": {
                        "zh-Hans": zh or en or aid,
                        "zh-Hant": hant or zh or en or aid,
                        "en": en or zh or aid,
                    },
                    "signed_in_at": datetime.fromisoformat(r["signed_in_at"]),
                    "signed_out_at": datetime.fromisoformat(r["signed_out_at"])
                    if r["signed_out_at"]
                    else None,
                    "flagged": bool(r["flagged"]),
                    "corrected": r["session_id"] in corrected,
                }
            )
        return out

    def balance(self, volunteer_id: str) -> int:
        """Last synced balance plus this kiosk's own changes the ledger has not yet included."""
        with self._lock:
            row = self.conn.execute(
                "SELECT COALESCE((SELECT balance FROM balance_base WHERE volunteer_id = :v), 0)"
                " + COALESCE((SELECT SUM(delta) FROM point_moves WHERE volunteer_id = :v AND seq >"
                " COALESCE((SELECT as_of FROM balance_base WHERE volunteer_id = :v), 0)), 0)",
                {"v": volunteer_id},
            ).fetchone()
        return int(row[0])

    def minutes_total(self, volunteer_id: str) -> int:
        with self._lock:
            row = self.conn.execute(
                "SELECT COALESCE((SELECT minutes_total FROM balance_base WHERE volunteer_id = :v), 0)"
                " + COALESCE((SELECT SUM(minutes) FROM point_moves WHERE volunteer_id = :v AND seq >"
                " COALESCE((SELECT as_of FROM balance_base WHERE volunteer_id = :v), 0)), 0)",
                {"v": volunteer_id},
            ).fetchone()
        return int(row[0])

    def stock(self, site_id: str, item_id: str) -> int:
        with self._lock:
            row = self.conn.execute(
                "SELECT COALESCE((SELECT qty FROM stock_base WHERE site_id = :s AND item_id = :i), 0)"
                " + COALESCE((SELECT SUM(delta) FROM stock_moves WHERE site_id = :s AND item_id = :i AND seq >"
                " COALESCE((SELECT as_of FROM stock_base WHERE site_id = :s AND item_id = :i), 0)), 0)",
                {"s": site_id, "i": item_id},
            ).fetchone()
        return int(row[0])

    def redeemed_count(self, volunteer_id: str, item_id: str, month: str) -> int:
        with self._lock:
            row = self.conn.execute(
                "SELECT COUNT(*) FROM redemptions WHERE volunteer_id = ? AND item_id = ? AND month = ?"
                " AND status = 'done'",
                (volunteer_id, item_id, month),
            ).fetchone()
        return int(row[0])

    def offline_spent(self, volunteer_id: str, day: str) -> int:
        with self._lock:
            row = self.conn.execute(
                "SELECT COALESCE(SUM(cost), 0) FROM redemptions WHERE volunteer_id = ? AND day = ?"
                " AND offline = 1 AND status = 'done'",
                (volunteer_id, day),
            ).fetchone()
        return int(row[0])

    def redemptions_on(self, day: str) -> int:
        with self._lock:
            return int(
                self.conn.execute(
                    "SELECT COUNT(*) FROM redemptions WHERE day = ?", (day,)
                ).fetchone()[0]
            )

    def redemption(self, redemption_id: str) -> dict | None:
        with self._lock:
            rows = list(
                self.db.query("SELECT * FROM redemptions WHERE redemption_id = ?", [redemption_id])
            )
        return rows[0] if rows else None

    def recent_redemptions(self, limit: int = 50) -> list[dict]:
        with self._lock:
            return list(
                self.db.query("SELECT * FROM redemptions ORDER BY seq DESC LIMIT ?", [limit])
            )

    # -- outbox -------------------------------------------------------------------

    def acked_seq(self) -> int:
        return int(self.setting("acked_seq", "0") or 0)

    def last_seq(self) -> int:
        with self._lock:
            return int(self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])

    def events_after(self, seq: int, limit: int = 500) -> list[StoredEvent]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT seq, id, type, occurred_at, recorded_at, clock_offset_ms, actor, payload FROM events"
                " WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [StoredEvent(*r[:7], payload=json.loads(r[7])) for r in rows]

    def pending(self, limit: int = 500) -> list[StoredEvent]:
        return self.events_after(self.acked_seq(), limit)

    def pending_count(self) -> int:
        with self._lock:
            return int(
                self.conn.execute(
                    "SELECT COUNT(*) FROM events WHERE seq > ?", (self.acked_seq(),)
                ).fetchone()[0]
            )

    def oldest_pending_at(self) -> str | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT recorded_at FROM events WHERE seq > ? ORDER BY seq LIMIT 1",
                (self.acked_seq(),),
            ).fetchone()
        return row[0] if row else None

    def mark_acked(self, acked_seq: int, *, at: datetime | None = None) -> None:
        """Events up to ``acked_seq`` are in the ledger. Never moves backwards, never past what exists."""
        with self.transaction() as conn:
            current = int(self._setting(conn, "acked_seq", "0") or 0)
            last = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
            new = max(current, min(int(acked_seq), last))
            self.put_setting(conn, "acked_seq", new)
            if at is not None:
                self.put_setting(conn, "last_sync_at", iso(at))

    def rewind_acked(self, acked_seq: int) -> int:
        """The ledger holds less than it once confirmed (restored from an older backup, or a
        new ledger): the events after ``acked_seq`` are pending again, so the status shows
        them until they are resent. Only ever lowers; nothing is deleted. Returns the new value."""
        with self.transaction() as conn:
            current = int(self._setting(conn, "acked_seq", "0") or 0)
            new = max(0, min(current, int(acked_seq)))
            self.put_setting(conn, "acked_seq", new)
        return new

    def event_count(self) -> int:
        with self._lock:
            return int(self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    # -- replay -------------------------------------------------------------------

    def projections_snapshot(self) -> dict[str, list[tuple]]:
        with self._lock:
            return projection.snapshot(self.conn)

    def replay_matches(self) -> bool:
        """Rebuild every projection from the events in a transaction that is rolled back,
        and compare with the live projections."""
        with self._lock:
            live = projection.snapshot(self.conn)
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                projection.rebuild(self.conn)
                replayed = projection.snapshot(self.conn)
            finally:
                self.conn.execute("ROLLBACK")
        return live == replayed

    def rebuild_projections(self) -> None:
        with self.transaction() as conn:
            projection.rebuild(conn)

    def integrity_ok(self) -> bool:
        with self._lock:
            try:
                return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            except sqlite3.DatabaseError:
                return False

    @property
    def schema_version(self) -> int:
        return SCHEMA_VERSION


def _activity(r: dict) -> Activity:
    return Activity(
        activity_id=r["activity_id"],
        site_id=r["site_id"],
        start=datetime.fromisoformat(r["start"]),
        end=datetime.fromisoformat(r["end"]),
        title_zh=r["title_zh"],
        title_en=r["title_en"],
        rule=PointsRule.from_dict(json.loads(r["rule"])),
        capacity=r["capacity"],
        signup=frozenset(json.loads(r["signup"])),
        general=bool(r["general"]),
        waiting=tuple(json.loads(r.get("waiting") or "[]")),
    )


def _item(r: dict) -> CatalogItem:
    return CatalogItem(
        item_id=r["item_id"],
        cost=int(r["cost"]),
        kind=r["kind"],
        names=json.loads(r["names"]),
        monthly_limit=int(r["monthly_limit"]),
        image=r["image"],
        active=bool(r["active"]),
        site_id=r.get("site_id") or "",
    )
