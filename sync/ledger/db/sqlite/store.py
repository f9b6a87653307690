"""The SQLite backend: one database file in WAL mode.

One writer connection, behind a lock, takes every write transaction (``BEGIN IMMEDIATE``):
that single writer is what orders ingest per kiosk and per volunteer and makes change-feed
cursors grow in commit order (db/base.py). Reads go through connections of their own, one
per thread, each reading a committed snapshot: WAL readers neither wait for the writer nor
hold it up, so a month's export or a kiosk's full pull never stalls a push.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.private import private_sqlite
from kiosk.sqlite_migrate import apply_step
from sync.ledger import security
from sync.ledger.db import pending
from sync.ledger.db.base import ChangePage, Enrolled, EnrollError, KioskRow, UnknownKiosk
from sync.ledger.db.ingest import ingest
from sync.ledger.db.migrate import migrate
from sync.ledger.db.sqlite import ingest as rows
from sync.ledger.db.sqlite.console import SQLiteConsoleRead, SQLiteConsoleWrite
from sync.ledger.db.sqlite.staff import SQLiteStaffRead, SQLiteStaffWrite

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
log = logging.getLogger("sync.ledger")


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds")


class _Target:
    """The migration runner's view of a SQLite file (``PRAGMA user_version``)."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def step(self, version: int, script: str) -> None:
        apply_step(self.conn, version, script)


_KIOSK_COLS = (
    "k.kiosk_id, k.name, k.site_id, k.acked_seq, k.enrolled_at,"
    " CASE WHEN k.revoked != 0 OR k.revoked_at IS NOT NULL THEN COALESCE(k.revoked_at, '') END,"
    " k.revoked_reason"
)


def _kiosk(row: tuple, last_push_at: str | None = None) -> KioskRow:
    return KioskRow(*row[:6], revoked_reason=row[6] or "", last_push_at=last_push_at)


class SQLiteLedger:
    """``LedgerDB`` on one SQLite file (``url``: a path, or ``sqlite:///path``)."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL"):
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}")
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._closed = False
        # Phone numbers live here: the file, its WAL and SHM are the owner's alone (and a
        # folder made for it is too; an existing one, say the current directory, is left).
        private_sqlite(self.path, make_dir=True, tighten_dir=False)
        self._lock = threading.RLock()
        self.conn = self._connect()
        self.conn.execute("PRAGMA journal_mode = WAL").fetchone()
        self.conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        # Ingest inserts into indexes keyed by random UUIDs (event ids, sessions, redemptions):
        # with SQLite's default 2 MiB page cache most of those inserts re-read pages from the OS.
        self.conn.execute("PRAGMA cache_size = -65536")  # KiB: up to 64 MiB, allocated as used
        # A batch dirties ~1,000 pages; checkpointing every 1,000 WAL pages (the default) meant
        # copying nearly every commit back into the database. Every 10,000 pages (~40 MiB of WAL)
        # writes a hot page back once for many batches. Durability is unchanged: each commit
        # still syncs the WAL (synchronous=FULL).
        self.conn.execute("PRAGMA wal_autocheckpoint = 10000")
        migrate(_Target(self.conn))
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._local = threading.local()
        with self._write() as c:
            if self._meta(c, "feed_epoch") is None:
                # A new database gets a new epoch: a cursor from any other ledger is unknown here.
                self._put_meta(c, "feed_epoch", secrets.token_hex(4))
        self.epoch = self.meta("feed_epoch")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=10
        )
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    # -- connections ------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            conn.execute("PRAGMA cache_size = -16384")
            with self._readers_lock:  # not the writer's lock: a read never waits for a write
                self._readers.append(conn)
        return conn

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every statement inside sees the same committed state."""
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                # A console change's audit entry, in this same transaction (db/pending.py).
                box = pending.before_commit(lambda: SQLiteConsoleWrite(self.conn))
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            pending.after_commit(box)

    def start_maintenance(self, interval_s: float = 1.0) -> threading.Event:
        """Copy the WAL back into the database from a thread of its own, so ingest never
        waits for a checkpoint: SQLite releases the GIL while it copies pages, so the
        copy runs on another core. Returns an event that stops the thread when set."""
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        stop = threading.Event()

        def run() -> None:
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=10)
            try:
                while not stop.wait(interval_s):
                    try:
                        # PASSIVE never blocks a writer; what it cannot copy now it copies next time.
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    except sqlite3.Error as exc:
                        log.warning("background checkpoint failed: %s", exc)
            finally:
                conn.close()

        threading.Thread(target=run, name="ledger-checkpoint", daemon=True).start()
        return stop

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True
        with self._lock, self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self.conn.close()

    # -- meta -------------------------------------------------------------------------------

    @staticmethod
    def _meta(c: sqlite3.Connection, key: str) -> str | None:
        row = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _put_meta(c: sqlite3.Connection, key: str, value: str | None) -> None:
        c.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def meta(self, key: str) -> str | None:
        return self._meta(self._reader(), key)

    def set_meta(self, **values: str | None) -> None:
        with self._write() as c:
            for k, v in values.items():
                self._put_meta(c, k, v)

    def new_feed_epoch(self) -> None:
        self.set_meta(feed_epoch=secrets.token_hex(4))
        self.epoch = self.meta("feed_epoch")

    @property
    def public_key(self) -> str:
        return self.meta("public_key") or ""

    def set_keys(self, public_key: str, private_key_path: str) -> None:
        with self._write() as c:
            self._put_meta(c, "public_key", public_key)
            self._put_meta(c, "private_key_path", private_key_path)
            rows.emit(c, "setting", "public_key", {"value": public_key})

    def set_admin_token(self, token: str) -> None:
        self.set_meta(admin_token_hash=security.digest(token))

    def is_admin(self, token: str | None) -> bool:
        stored = self.meta("admin_token_hash")
        return bool(token and stored and secrets.compare_digest(security.digest(token), stored))

    # -- kiosks -----------------------------------------------------------------------------

    def create_enrollment_code(
        self, site_id: str, now: datetime, ttl: timedelta = timedelta(hours=24)
    ) -> str:
        with self._write() as c:
            if c.execute("SELECT 1 FROM sites WHERE site_id = ?", (site_id,)).fetchone() is None:
                raise KeyError(site_id)
            code = security.new_enrollment_code()
            c.execute(
                "INSERT INTO enrollment_codes (code_hash, site_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (security.digest(code), site_id, iso(now), iso(now + ttl)),
            )
        return code

    def enroll(
        self, code: str, kiosk_name: str, now: datetime, site_id: str | None = None
    ) -> Enrolled:
        """``site_id``: the site the kiosk must be at; a code for another site is refused unused."""
        token = security.new_token()
        with self._write() as c:
            row = c.execute(
                "SELECT site_id, expires_at, used_at FROM enrollment_codes WHERE code_hash = ?",
                (security.digest(security.normalize_code(code)),),
            ).fetchone()
            if row is None:
                raise EnrollError("unknown", "This enrollment code is not known to the ledger.")
            code_site, expires_at, used_at = row
            if used_at is not None:
                raise EnrollError(
                    "used", "This enrollment code was already used: ask staff for a new one."
                )
            if datetime.fromisoformat(expires_at) <= now:
                raise EnrollError(
                    "expired", "This enrollment code has expired: ask staff for a new one."
                )
            if site_id is not None and site_id != code_site:
                raise EnrollError(
                    "site_mismatch",
                    f"This code enrolls a kiosk at {code_site}, but this kiosk's"
                    f" events were recorded at {site_id}: ask staff for a code for"
                    f" {site_id}. The code was not used.",
                )
            site_id = code_site
            prefix = "K-" + "".join(part[:1] for part in site_id.split("-")).upper()
            n = (
                c.execute("SELECT COUNT(*) FROM kiosks WHERE site_id = ?", (site_id,)).fetchone()[0]
                + 1
            )
            while c.execute(
                "SELECT 1 FROM kiosks WHERE kiosk_id = ?", (f"{prefix}-{n:02d}",)
            ).fetchone():
                n += 1
            kiosk_id = f"{prefix}-{n:02d}"
            c.execute(
                "INSERT INTO kiosks (kiosk_id, name, site_id, token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?)",
                (kiosk_id, kiosk_name[:100] or kiosk_id, site_id, security.digest(token), iso(now)),
            )
            c.execute(
                "UPDATE enrollment_codes SET used_at = ?, kiosk_id = ? WHERE code_hash = ?",
                (iso(now), kiosk_id, security.digest(security.normalize_code(code))),
            )
            public_key = self._meta(c, "public_key") or ""
        return Enrolled(kiosk_id, token, site_id, public_key)

    def kiosk_for_token(self, token: str | None) -> KioskRow | None:
        if not token:
            return None
        row = (
            self._reader()
            .execute(
                f"SELECT {_KIOSK_COLS} FROM kiosks k WHERE k.token_hash = ?",
                (security.digest(token),),
            )
            .fetchone()
        )
        return _kiosk(row) if row else None

    def kiosks(self) -> list[KioskRow]:
        with self._snapshot() as c:
            found = c.execute(f"SELECT {_KIOSK_COLS} FROM kiosks k ORDER BY k.kiosk_id").fetchall()
            out = []
            for row in found:
                last = c.execute(
                    "SELECT received_at FROM events WHERE kiosk_id = ? ORDER BY seq DESC LIMIT 1",
                    (row[0],),
                ).fetchone()
                out.append(_kiosk(row, last[0] if last else None))
        return out

    def revoke_kiosk(self, kiosk_id: str, now: datetime, reason: str = "") -> KioskRow:
        with self._write() as c:
            row = c.execute(
                f"SELECT {_KIOSK_COLS} FROM kiosks k WHERE k.kiosk_id = ?", (kiosk_id,)
            ).fetchone()
            if row is None:
                raise UnknownKiosk(kiosk_id)
            if row[5] is None:  # revoking twice keeps the first time and reason
                c.execute(
                    "UPDATE kiosks SET revoked = 1, revoked_at = ?, revoked_reason = ?"
                    " WHERE kiosk_id = ?",
                    (iso(now), reason, kiosk_id),
                )
            row = c.execute(
                f"SELECT {_KIOSK_COLS} FROM kiosks k WHERE k.kiosk_id = ?", (kiosk_id,)
            ).fetchone()
        return _kiosk(row)

    def site_ids(self) -> list[str]:
        return [r[0] for r in self._reader().execute("SELECT site_id FROM sites ORDER BY site_id")]

    # -- reference data and events ------------------------------------------------------------

    def load_reference(self, changes: list[dict[str, Any]], now: datetime) -> int:
        """Load sites, people, activities, catalog, opening stock and balances (demo data,
        imports). Opening figures are set only where nothing has happened yet, so loading
        twice never rewrites what kiosks did."""
        with self._write() as c:
            for ch in changes:
                rows.load_one(c, ch["kind"], str(ch["key"]), ch.get("data") or {}, iso(now))
            rows.emit_dirty(c, rows.everything(c))
        return len(changes)

    def ingest(
        self,
        kiosk_id: str,
        events: list[Any],
        now: datetime,
        contact: tuple[str, dict[str, Any] | None] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Apply a batch in seq order (db/ingest.py); returns (results, acked_seq)."""
        with self._write() as c:
            done = ingest(rows.SQLiteIngestTx(c), kiosk_id, events, iso(now))
            if contact is not None:
                SQLiteConsoleWrite(c).put_kiosk_report(kiosk_id, *contact)
            return done

    def ingest_console(
        self, site_id: str, event: dict[str, Any], now: datetime, also: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One console event at ``site_id`` (base.py); the write lock BEGIN IMMEDIATE takes
        covers every process, so no two take the same seq."""
        with self._write() as c:
            console = SQLiteConsoleWrite(c)
            kiosk_id, _ = console.console_kiosk(site_id, iso(now))
            tx = rows.SQLiteIngestTx(c)
            acked, _ = tx.kiosk(kiosk_id)
            ev = {**event, "kiosk_id": kiosk_id, "seq": acked + 1}
            (result,), _ = ingest(tx, kiosk_id, [ev], iso(now))
            if also is not None:
                also(console, ev, result)
        return ev, result

    # -- reading ------------------------------------------------------------------------------

    def changes_since(self, cursor: str | None, limit: int) -> ChangePage:
        with self._snapshot() as c:
            since, reset = self._parse_cursor(c, cursor)
            found = c.execute(
                "SELECT cursor, kind, key, data, deleted FROM changes WHERE cursor > ? ORDER BY cursor LIMIT ?",
                (since, limit),
            ).fetchall()
        changes = [
            {"kind": k, "key": key, "data": json.loads(d), "deleted": bool(dl)}
            for _, k, key, d, dl in found
        ]
        last = found[-1][0] if found else since
        return ChangePage(changes, f"{self.epoch}.{last}", reset)

    def _parse_cursor(self, c: sqlite3.Connection, cursor: str | None) -> tuple[int, bool]:
        if not cursor:
            return 0, True
        epoch, _, number = cursor.partition(".")
        if epoch != self.epoch or not number.isdigit():
            return 0, True
        top = c.execute("SELECT COALESCE(MAX(cursor), 0) FROM changes").fetchone()[0]
        # A cursor beyond the end comes from a state this ledger no longer has (a restore).
        return (0, True) if int(number) > top else (int(number), False)

    def volunteer(self, volunteer_id: str) -> dict[str, Any] | None:
        row = (
            self._reader()
            .execute(
                "SELECT v.volunteer_id, v.kind, v.display_name, v.team, v.status, v.card_version,"
                " COALESCE(b.balance, 0), COALESCE(b.minutes_total, 0),"
                # An open session has no end yet, so it is in the small partial index sessions_long.
                " (SELECT COUNT(*) FROM sessions s INDEXED BY sessions_long WHERE s.volunteer_id = v.volunteer_id"
                "  AND (s.t_out_ms IS NULL OR s.t_out_ms - s.t_in_ms > 86400000) AND s.status = 'open')"
                " FROM volunteers v LEFT JOIN balances b USING (volunteer_id) WHERE v.volunteer_id = ?",
                (volunteer_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        keys = (
            "volunteer_id",
            "kind",
            "display_name",
            "team",
            "status",
            "card_version",
            "balance",
            "minutes_total",
            "open_sessions",
        )
        return dict(zip(keys, row, strict=True))

    def balances(self) -> dict[str, int]:
        return dict(self._reader().execute("SELECT volunteer_id, balance FROM balances"))

    def stock_levels(self) -> dict[tuple[str, str], int]:
        return {
            (s, i): q
            for s, i, q in self._reader().execute("SELECT site_id, item_id, qty FROM stock")
        }

    def journal_balances(self) -> dict[str, int]:
        """Balances recomputed from the double-entry journal alone (for audits and tests)."""
        found = (
            self._reader()
            .execute(
                "SELECT account, SUM(amount) FROM (SELECT credit AS account, amount FROM journal"
                " UNION ALL SELECT debit, -amount FROM journal) GROUP BY account"
            )
            .fetchall()
        )
        return {
            a.removeprefix("volunteer:"): int(s) for a, s in found if a.startswith("volunteer:")
        }

    def events(self, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(
            "events",
            (
                "kiosk_id",
                "seq",
                "id",
                "type",
                "occurred_at",
                "clock_offset_ms",
                "actor",
                "payload",
                "received_at",
                "status",
                "reason",
            ),
            "payload",
            "kiosk_id",
            kiosk_id,
            "kiosk_id, seq",
        )

    def exceptions(self, kind: str | None = None) -> list[dict[str, Any]]:
        return self._rows(
            "exceptions",
            _EXCEPTION_FIELDS,
            "detail",
            "kind",
            kind,
            "exception_id",
        )

    def site_exceptions(
        self, site_id: str, kind: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The newest ``limit`` exceptions concerning ``site_id``, oldest first: a row carrying
        that site, a row raised by one of the site's kiosks, or an overlap where one of the two
        sessions was at one of the site's kiosks."""
        with self._snapshot() as c:
            kiosks = {
                r[0] for r in c.execute("SELECT kiosk_id FROM kiosks WHERE site_id = ?", (site_id,))
            }
            marks = ",".join("?" * len(kiosks)) or "NULL"
            found = []
            cur = c.execute(
                f"SELECT {', '.join(_EXCEPTION_FIELDS)} FROM exceptions"
                f" WHERE (site_id = ? OR kiosk_id IN ({marks}) OR kind = 'overlapping_sessions')"
                " AND (? IS NULL OR kind = ?) ORDER BY exception_id DESC",
                (site_id, *sorted(kiosks), kind, kind),
            )
            for row in cur:
                d = dict(zip(_EXCEPTION_FIELDS, row, strict=True))
                d["detail"] = _loads(d["detail"])
                if not (d["site_id"] == site_id or d["kiosk_id"] in kiosks):
                    seen = d["detail"].get("kiosks") if isinstance(d["detail"], dict) else None
                    if not (isinstance(seen, list) and kiosks.intersection(map(str, seen))):
                        continue
                found.append(d)
                if len(found) == limit:
                    break
        return found[::-1]

    def _rows(
        self,
        table: str,
        keys: tuple[str, ...],
        json_key: str,
        where: str,
        value: str | None,
        order: str,
    ) -> list[dict[str, Any]]:
        """Every row of ``table`` (those with ``where`` = ``value`` if given) as dicts, the JSON
        column ``json_key`` parsed."""
        sql = f"SELECT {', '.join(keys)} FROM {table}" + (f" WHERE {where} = ?" if value else "")
        found = (
            self._reader().execute(f"{sql} ORDER BY {order}", (value,) if value else ()).fetchall()
        )
        out = []
        for r in found:
            d = dict(zip(keys, r, strict=True))
            d[json_key] = json.loads(d[json_key])
            out.append(d)
        return out

    def counts(self) -> dict[str, int]:
        with self._snapshot() as c:
            return {
                "events": c.execute("SELECT COUNT(*) FROM events").fetchone()[0],
                "kiosks": c.execute("SELECT COUNT(*) FROM kiosks").fetchone()[0],
                "volunteers": c.execute("SELECT COUNT(*) FROM volunteers").fetchone()[0],
                "exceptions": c.execute("SELECT COUNT(*) FROM exceptions").fetchone()[0],
            }

    def health(self) -> dict[str, int]:
        kiosks, acked = (
            self._reader()
            .execute("SELECT COUNT(*), COALESCE(SUM(acked_seq), 0) FROM kiosks")
            .fetchone()
        )
        return {"kiosks": kiosks, "acked_events": acked}

    # -- staff tools --------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[SQLiteStaffRead]:
        with self._snapshot() as c:
            yield SQLiteStaffRead(c)

    @contextmanager
    def write(self) -> Iterator[SQLiteStaffWrite]:
        with self._write() as c:
            tx = SQLiteStaffWrite(c)
            yield tx
            tx.finish()

    # -- the staff console ------------------------------------------------------------------

    @contextmanager
    def console_read(self) -> Iterator[SQLiteConsoleRead]:
        with self._snapshot() as c:
            yield SQLiteConsoleRead(c)

    @contextmanager
    def console_write(self) -> Iterator[SQLiteConsoleWrite]:
        with self._write() as c:
            yield SQLiteConsoleWrite(c)


_EXCEPTION_FIELDS = (
    "exception_id",
    "kind",
    "ref",
    "volunteer_id",
    "site_id",
    "kiosk_id",
    "event_id",
    "detail",
    "created_at",
)


def _loads(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return {}
