"""The PostgreSQL backend: for a district, where several ``serve`` processes share one
database (and a streaming replica stands by).

Connections come from a psycopg pool per process. Writes run in READ COMMITTED
transactions that lock what they change (db/postgres/ingest.py says which locks, in
which order); a transaction PostgreSQL ends because of a deadlock or a lost race for a
unique key is run again from the start, which is safe because its result depends only on
the database and its input. Reads that span several statements take one REPEATABLE READ
snapshot and never wait for a writer.

A connection lost mid-transaction (the server died, a failover) is not retried here: the
caller gets the error, the API answers 503, and the kiosk sends the same batch again,
which the ledger then finds applied or not, never half applied. The pool checks each
connection before handing it out, so after a failover the next request reaches the new
primary (a URL with two hosts and ``target_session_attrs=read-write``).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool, PoolTimeout

from sync.ledger import security
from sync.ledger.db import pending
from sync.ledger.db.base import ChangePage, Enrolled, EnrollError, KioskRow, UnknownKiosk
from sync.ledger.db.ingest import ingest
from sync.ledger.db.migrate import migrate
from sync.ledger.db.postgres import ingest as rows
from sync.ledger.db.postgres.console import PgConsoleRead, PgConsoleWrite
from sync.ledger.db.postgres.staff import PgStaffRead, PgStaffWrite
from sync.ledger.db.sqlite.store import _EXCEPTION_FIELDS, _kiosk, _loads, iso

log = logging.getLogger("sync.ledger")
T = TypeVar("T")

MIGRATION_LOCK = 0x4B494F534B4D4947  # "KIOSKMIG": one process migrates at a time
RETRIED = (errors.DeadlockDetected, errors.SerializationFailure, errors.UniqueViolation)
ATTEMPTS = 5

_KIOSK_COLS = (
    "k.kiosk_id, k.name, k.site_id, k.acked_seq, k.enrolled_at,"
    " CASE WHEN k.revoked <> 0 OR k.revoked_at IS NOT NULL THEN COALESCE(k.revoked_at, '') END,"
    " k.revoked_reason"
)


class _Target:
    """The migration runner's view of a PostgreSQL database (table ``schema_version``)."""

    dialect = "postgres"

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def version(self) -> int:
        with self.conn.transaction():
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            row = self.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] or 0

    def step(self, version: int, script: str) -> None:
        with self.conn.transaction():
            self.conn.execute(script)
            self.conn.execute("DELETE FROM schema_version")
            self.conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))


class PostgresLedger:
    """``LedgerDB`` on a PostgreSQL database (``url``: ``postgresql://...``, libpq's form,
    several hosts and ``target_session_attrs`` included)."""

    def __init__(self, url: str, *, pool_size: int = 8, timeout: float = 5.0):
        """``timeout``: how long a request waits for a pooled connection before the API
        answers 503 (a server down, a failover under way): kiosks retry sooner than later."""
        self.url = url
        with psycopg.connect(url, autocommit=True, connect_timeout=30) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                migrate(_Target(conn))
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            check=ConnectionPool.check_connection,
            timeout=timeout,
            name="ledger",
            open=True,
        )
        with self._write() as cur:
            # A new database gets a new epoch, once: of processes starting together, the
            # first to commit sets it and every one reads that.
            cur.execute(
                "INSERT INTO meta (key, value) VALUES ('feed_epoch', %s) ON CONFLICT DO NOTHING",
                (secrets.token_hex(4),),
            )
        self.epoch = self.meta("feed_epoch")

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection; a server that is gone is DatabaseUnreachable (the API's 503,
        which kiosks retry), whatever the statement was."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except RETRIED:
            raise  # deadlock, serialisation failure: OperationalErrors that _retrying runs again
        except (psycopg.OperationalError, PoolTimeout) as exc:
            from sync.ledger.db import DatabaseUnreachable

            raise DatabaseUnreachable(
                f"无法连接台账数据库 / the ledger database is unreachable: {exc}"
            ) from exc

    @contextmanager
    def _write(self) -> Iterator[psycopg.Cursor]:
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur
            # A console change's audit entry, in this same transaction (db/pending.py).
            box = pending.before_commit(lambda: PgConsoleWrite(cur))
        pending.after_commit(box)

    def _retrying(self, work: Callable[[psycopg.Cursor], T]) -> T:
        """``work`` in a write transaction, run again if PostgreSQL ended it for a deadlock,
        a serialisation failure or a unique key another transaction took first."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self._write() as cur:
                    return work(cur)
            except RETRIED as exc:
                if attempt == ATTEMPTS:
                    raise
                log.info("write transaction retried (%s): %s", type(exc).__name__, exc)
        raise AssertionError("unreachable")

    @contextmanager
    def _snapshot(self) -> Iterator[psycopg.Cursor]:
        """Several statements that see one committed state, without waiting for writers."""
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cur

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    def start_maintenance(self) -> threading.Event:
        """Nothing to do in process: PostgreSQL's autovacuum and checkpointer do the upkeep."""
        return threading.Event()

    @property
    def closed(self) -> bool:
        return self.pool.closed

    def close(self) -> None:
        self.pool.close()

    # -- meta -------------------------------------------------------------------------------

    @staticmethod
    def _meta(cur: psycopg.Cursor, key: str) -> str | None:
        cur.execute("SELECT value FROM meta WHERE key = %s", (key,))
        row = cur.fetchone()
        return row[0] if row else None

    @staticmethod
    def _put_meta(cur: psycopg.Cursor, key: str, value: str | None) -> None:
        cur.execute(
            "INSERT INTO meta (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, value),
        )

    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = %s", (key,))
        return row[0] if row else None

    def set_meta(self, **values: str | None) -> None:
        with self._write() as cur:
            for k, v in values.items():
                self._put_meta(cur, k, v)

    def new_feed_epoch(self) -> None:
        self.set_meta(feed_epoch=secrets.token_hex(4))
        self.epoch = self.meta("feed_epoch")

    @property
    def public_key(self) -> str:
        return self.meta("public_key") or ""

    def set_keys(self, public_key: str, private_key_path: str) -> None:
        def work(cur: psycopg.Cursor) -> None:
            self._put_meta(cur, "public_key", public_key)
            self._put_meta(cur, "private_key_path", private_key_path)
            rows.Feed(cur).emit("setting", "public_key", {"value": public_key})

        self._retrying(work)

    def set_admin_token(self, token: str) -> None:
        self.set_meta(admin_token_hash=security.digest(token))

    def is_admin(self, token: str | None) -> bool:
        stored = self.meta("admin_token_hash")
        return bool(token and stored and secrets.compare_digest(security.digest(token), stored))

    # -- kiosks -----------------------------------------------------------------------------

    def create_enrollment_code(
        self, site_id: str, now: datetime, ttl: timedelta = timedelta(hours=24)
    ) -> str:
        code = security.new_enrollment_code()

        def work(cur: psycopg.Cursor) -> None:
            cur.execute("SELECT 1 FROM sites WHERE site_id = %s", (site_id,))
            if cur.fetchone() is None:
                raise KeyError(site_id)
            cur.execute(
                "INSERT INTO enrollment_codes (code_hash, site_id, created_at, expires_at)"
                " VALUES (%s, %s, %s, %s)",
                (security.digest(code), site_id, iso(now), iso(now + ttl)),
            )

        self._retrying(work)
        return code

    def enroll(
        self, code: str, kiosk_name: str, now: datetime, site_id: str | None = None
    ) -> Enrolled:
        token = security.new_token()
        code_hash = security.digest(security.normalize_code(code))

        def work(cur: psycopg.Cursor) -> Enrolled:
            cur.execute(
                "SELECT site_id, expires_at, used_at FROM enrollment_codes WHERE code_hash = %s"
                " FOR UPDATE",
                (code_hash,),
            )
            row = cur.fetchone()
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
            prefix = "K-" + "".join(part[:1] for part in code_site.split("-")).upper()
            cur.execute("SELECT COUNT(*) FROM kiosks WHERE site_id = %s", (code_site,))
            n = cur.fetchone()[0] + 1
            while True:
                cur.execute("SELECT 1 FROM kiosks WHERE kiosk_id = %s", (f"{prefix}-{n:02d}",))
                if cur.fetchone() is None:
                    break
                n += 1
            kiosk_id = f"{prefix}-{n:02d}"
            # Two kiosks enrolling at once may pick the same id: the second insert fails
            # on the key and the whole enrollment runs again (_retrying).
            cur.execute(
                "INSERT INTO kiosks (kiosk_id, name, site_id, token_hash, enrolled_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (
                    kiosk_id,
                    kiosk_name[:100] or kiosk_id,
                    code_site,
                    security.digest(token),
                    iso(now),
                ),
            )
            cur.execute(
                "UPDATE enrollment_codes SET used_at = %s, kiosk_id = %s WHERE code_hash = %s",
                (iso(now), kiosk_id, code_hash),
            )
            return Enrolled(kiosk_id, token, code_site, self._meta(cur, "public_key") or "")

        return self._retrying(work)

    def kiosk_for_token(self, token: str | None) -> KioskRow | None:
        if not token:
            return None
        row = self._one(
            f"SELECT {_KIOSK_COLS} FROM kiosks k WHERE k.token_hash = %s",
            (security.digest(token),),
        )
        return _kiosk(row) if row else None

    def kiosks(self) -> list[KioskRow]:
        found = self._all(
            f"SELECT {_KIOSK_COLS},"
            " (SELECT e.received_at FROM events e WHERE e.kiosk_id = k.kiosk_id"
            "  ORDER BY e.seq DESC LIMIT 1)"
            " FROM kiosks k ORDER BY k.kiosk_id"
        )
        return [_kiosk(r[:7], r[7]) for r in found]

    def revoke_kiosk(self, kiosk_id: str, now: datetime, reason: str = "") -> KioskRow:
        def work(cur: psycopg.Cursor) -> KioskRow:
            cur.execute(
                f"SELECT {_KIOSK_COLS} FROM kiosks k WHERE k.kiosk_id = %s FOR UPDATE",
                (kiosk_id,),
            )
            row = cur.fetchone()
            if row is None:
                raise UnknownKiosk(kiosk_id)
            if row[5] is None:  # revoking twice keeps the first time and reason
                cur.execute(
                    "UPDATE kiosks SET revoked = 1, revoked_at = %s, revoked_reason = %s"
                    " WHERE kiosk_id = %s",
                    (iso(now), reason, kiosk_id),
                )
            cur.execute(f"SELECT {_KIOSK_COLS} FROM kiosks k WHERE k.kiosk_id = %s", (kiosk_id,))
            return _kiosk(cur.fetchone())

        return self._retrying(work)

    def site_ids(self) -> list[str]:
        return [r[0] for r in self._all("SELECT site_id FROM sites ORDER BY site_id")]

    # -- reference data and events ------------------------------------------------------------

    def load_reference(self, changes: list[dict[str, Any]], now: datetime) -> int:
        def work(cur: psycopg.Cursor) -> None:
            feed = rows.Feed(cur)
            rows.load_many(cur, feed, changes, iso(now))
            rows.emit_dirty(cur, feed, rows.everything(cur))

        self._retrying(work)
        return len(changes)

    def ingest(
        self,
        kiosk_id: str,
        events: list[Any],
        now: datetime,
        contact: tuple[str, dict[str, Any] | None] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        def run(cur: psycopg.Cursor) -> tuple[list[dict[str, Any]], int]:
            done = ingest(rows.PgIngestTx(cur), kiosk_id, events, iso(now))
            if contact is not None:
                PgConsoleWrite(cur).put_kiosk_report(kiosk_id, *contact)
            return done

        return self._retrying(run)

    def ingest_console(
        self, site_id: str, event: dict[str, Any], now: datetime, also: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One console event at ``site_id`` (base.py): the kiosk row's lock (FOR UPDATE)
        is taken before its seq is read, so no two processes take the same one."""

        def work(cur: psycopg.Cursor) -> tuple[dict[str, Any], dict[str, Any]]:
            console = PgConsoleWrite(cur)
            kiosk_id, _ = console.console_kiosk(site_id, iso(now))
            tx = rows.PgIngestTx(cur)
            acked, _ = tx.kiosk(kiosk_id)
            ev = {**event, "kiosk_id": kiosk_id, "seq": acked + 1}
            (result,), _ = ingest(tx, kiosk_id, [ev], iso(now))
            if also is not None:
                also(console, ev, result)
            return ev, result

        return self._retrying(work)

    # -- reading ------------------------------------------------------------------------------

    def changes_since(self, cursor: str | None, limit: int) -> ChangePage:
        with self._snapshot() as cur:
            since, reset = self._parse_cursor(cur, cursor)
            cur.execute(
                "SELECT cursor, kind, key, data, deleted FROM changes WHERE cursor > %s"
                " ORDER BY cursor LIMIT %s",
                (since, limit),
            )
            found = cur.fetchall()
        changes = [
            {"kind": k, "key": key, "data": json.loads(d), "deleted": bool(dl)}
            for _, k, key, d, dl in found
        ]
        last = found[-1][0] if found else since
        return ChangePage(changes, f"{self.epoch}.{last}", reset)

    def _parse_cursor(self, cur: psycopg.Cursor, cursor: str | None) -> tuple[int, bool]:
        if not cursor:
            return 0, True
        epoch, _, number = cursor.partition(".")
        if epoch != self.epoch or not number.isdigit():
            return 0, True
        cur.execute("SELECT COALESCE(MAX(cursor), 0) FROM changes")
        top = cur.fetchone()[0]
        return (0, True) if int(number) > top else (int(number), False)

    def volunteer(self, volunteer_id: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT v.volunteer_id, v.kind, v.display_name, v.team, v.status, v.card_version,"
            " COALESCE(b.balance, 0), COALESCE(b.minutes_total, 0),"
            " (SELECT COUNT(*) FROM sessions s WHERE s.volunteer_id = v.volunteer_id"
            "  AND (s.t_out_ms IS NULL OR s.t_out_ms - s.t_in_ms > 86400000)"
            "  AND s.status = 'open')"
            " FROM volunteers v LEFT JOIN balances b USING (volunteer_id)"
            " WHERE v.volunteer_id = %s",
            (volunteer_id,),
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
        return dict(self._all("SELECT volunteer_id, balance FROM balances"))

    def stock_levels(self) -> dict[tuple[str, str], int]:
        return {(s, i): q for s, i, q in self._all("SELECT site_id, item_id, qty FROM stock")}

    def journal_balances(self) -> dict[str, int]:
        found = self._all(
            "SELECT account, SUM(amount) FROM (SELECT credit AS account, amount FROM journal"
            " UNION ALL SELECT debit, -amount FROM journal) AS moves GROUP BY account"
        )
        return {
            a.removeprefix("volunteer:"): int(s) for a, s in found if a.startswith("volunteer:")
        }

    def events(self, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        keys = (
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
        )
        return self._rows("events", keys, "payload", "kiosk_id", kiosk_id, "kiosk_id, seq")

    def exceptions(self, kind: str | None = None) -> list[dict[str, Any]]:
        return self._rows("exceptions", _EXCEPTION_FIELDS, "detail", "kind", kind, "exception_id")

    def site_exceptions(
        self, site_id: str, kind: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        with self._snapshot() as cur:
            cur.execute("SELECT kiosk_id FROM kiosks WHERE site_id = %s", (site_id,))
            kiosks = {r[0] for r in cur.fetchall()}
            cur.execute(
                f"SELECT {', '.join(_EXCEPTION_FIELDS)} FROM exceptions"
                " WHERE (site_id = %s OR kiosk_id = ANY(%s) OR kind = 'overlapping_sessions')"
                " AND (%s::text IS NULL OR kind = %s) ORDER BY exception_id DESC",
                (site_id, sorted(kiosks), kind, kind),
            )
            found = []
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
        sql = f"SELECT {', '.join(keys)} FROM {table}" + (f" WHERE {where} = %s" if value else "")
        found = self._all(f"{sql} ORDER BY {order}", (value,) if value else ())
        out = []
        for r in found:
            d = dict(zip(keys, r, strict=True))
            d[json_key] = json.loads(d[json_key])
            out.append(d)
        return out

    def counts(self) -> dict[str, int]:
        with self._snapshot() as cur:
            out = {}
            for table in ("events", "kiosks", "volunteers", "exceptions"):
                cur.execute(f"SELECT COUNT(*) FROM {table}")
                out[table] = cur.fetchone()[0]
        return out

    def health(self) -> dict[str, int]:
        with self._snapshot() as cur:
            cur.execute("SELECT COUNT(*), COALESCE(SUM(acked_seq), 0) FROM kiosks")
            kiosks, acked = cur.fetchone()
        return {"kiosks": kiosks, "acked_events": int(acked)}

    # -- staff tools --------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[PgStaffRead]:
        with self._snapshot() as cur:
            yield PgStaffRead(cur)

    @contextmanager
    def write(self) -> Iterator[PgStaffWrite]:
        # Not retried: the caller's code runs inside. Staff writes lock what they touch in
        # the same order ingest does, so a deadlock between them is not expected.
        with self._write() as cur:
            tx = PgStaffWrite(cur)
            yield tx
            tx.finish()

    # -- the staff console ------------------------------------------------------------------

    @contextmanager
    def console_read(self) -> Iterator[PgConsoleRead]:
        with self._snapshot() as cur:
            yield PgConsoleRead(cur)

    @contextmanager
    def console_write(self) -> Iterator[PgConsoleWrite]:
        with self._write() as cur:
            yield PgConsoleWrite(cur)


def open_postgres(url: str, **options: Any) -> PostgresLedger:
    try:
        return PostgresLedger(url, **options)
    except psycopg.OperationalError as exc:
        from sync.ledger.db import DatabaseUnreachable

        where = psycopg.conninfo.conninfo_to_dict(url)
        where.pop("password", None)
        raise DatabaseUnreachable(
            f"无法连接台账数据库 / cannot reach the ledger database"
            f" (host {where.get('host', 'localhost')}, port {where.get('port', '5432')},"
            f" database {where.get('dbname', '?')}): {str(exc).strip().splitlines()[0]}"
        ) from None
