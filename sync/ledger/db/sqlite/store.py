"""All of the ledger's storage: SQLite today. The HTTP layer talks only to ``LedgerStore``,
so another backend (PostgreSQL) means another class with these methods, not a new API.

Ingest is one transaction per batch: the events, their effects on every projection,
the kiosk's acked_seq and the change-feed rows commit together or not at all.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.private import private_sqlite
from sync.ledger import security
from sync.ledger.db.sqlite import effects
from sync.ledger.db.sqlite.schema import migrate
from sync.ledger.rules.validate import check, digest_and_fault, sanitized, stored_offset
from sync.ledger.wirejson import dumps_sorted

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds")


def _dumps(obj: Any) -> str:
    return dumps_sorted(
        obj
    )  # json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _text(v: Any) -> str:
    """A top-level event field as the events table keeps it: a string as is, anything else as text."""
    if type(v) is str:
        return v
    if type(v) in (list, dict):
        return _dumps(v)
    return str(v)


def _row_text(ev: dict, payload: str | None) -> tuple[str, str, int, str, str]:
    """(type, occurred_at, clock_offset_ms, actor, payload) of the events row. ``payload`` is the
    payload's text, or None for an event whose text cannot be stored as sent: that one is stored
    in its sanitized form."""
    if payload is not None:
        etype, occurred, actor = ev.get("type"), ev.get("occurred_at"), ev.get("actor")
        if (
            type(etype) is str and type(occurred) is str and type(actor) is str
        ):  # _text would keep them as is
            return etype, occurred, stored_offset(ev), actor, payload
        try:
            return (
                _text(ev.get("type")),
                _text(ev.get("occurred_at")),
                stored_offset(ev),
                _text(ev.get("actor")),
                payload,
            )
        except (RecursionError, ValueError):  # too deep to encode after all
            pass
    ev = sanitized(ev)
    return (
        _text(ev.get("type")),
        _text(ev.get("occurred_at")),
        stored_offset(ev),
        _text(ev.get("actor")),
        _dumps(ev.get("payload")),
    )


class EnrollError(Exception):
    """code: unknown | used | expired | site_mismatch"""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class KioskRow:
    kiosk_id: str
    name: str
    site_id: str
    acked_seq: int


@dataclass(frozen=True)
class Enrolled:
    kiosk_id: str
    token: str
    site_id: str
    public_key: str


@dataclass(frozen=True)
class ChangePage:
    changes: list[dict[str, Any]]
    next_cursor: str
    reset: bool


class LedgerStore:
    def __init__(self, path: str | Path, *, synchronous: str = "FULL"):
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}")
        self.path = Path(path)
        # Phone numbers live here: the file, its WAL and SHM are the owner's alone (and a
        # folder made for it is too; an existing one, say the current directory, is left).
        private_sqlite(self.path, make_dir=True, tighten_dir=False)
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=10
        )
        self.conn.execute("PRAGMA busy_timeout = 10000")
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
        migrate(self.conn)
        with self.transaction() as c:
            if self._meta(c, "feed_epoch") is None:
                # A new database gets a new epoch: a cursor from any other ledger is unknown here.
                self._put_meta(c, "feed_epoch", secrets.token_hex(4))
        self.epoch = self.meta("feed_epoch")

    def checkpoint_in_background(self, interval_s: float = 1.0) -> threading.Event:
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
                        logging.getLogger("sync.ledger").warning(
                            "background checkpoint failed: %s", exc
                        )
            finally:
                conn.close()

        threading.Thread(target=run, name="ledger-checkpoint", daemon=True).start()
        return stop

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # -- meta -----------------------------------------------------------------------

    @staticmethod
    def _meta(c: sqlite3.Connection, key: str) -> str | None:
        row = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _put_meta(c: sqlite3.Connection, key: str, value: str | None) -> None:
        c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta(self.conn, key)

    def set_meta(self, **values: str | None) -> None:
        with self.transaction() as c:
            for k, v in values.items():
                self._put_meta(c, k, v)

    @property
    def public_key(self) -> str:
        return self.meta("public_key") or ""

    # -- security -------------------------------------------------------------------

    def set_admin_token(self, token: str) -> None:
        self.set_meta(admin_token_hash=security.digest(token))

    def is_admin(self, token: str | None) -> bool:
        stored = self.meta("admin_token_hash")
        return bool(token and stored and secrets.compare_digest(security.digest(token), stored))

    def create_enrollment_code(
        self, site_id: str, now: datetime, ttl: timedelta = timedelta(hours=24)
    ) -> str:
        with self.transaction() as c:
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
        with self.transaction() as c:
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
        with self._lock:
            row = self.conn.execute(
                "SELECT kiosk_id, name, site_id, acked_seq FROM kiosks WHERE token_hash = ? AND revoked = 0",
                (security.digest(token),),
            ).fetchone()
        return KioskRow(*row) if row else None

    def site_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self.conn.execute("SELECT site_id FROM sites ORDER BY site_id")]

    def kiosks(self) -> list[KioskRow]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT kiosk_id, name, site_id, acked_seq FROM kiosks ORDER BY kiosk_id"
            )
            return [KioskRow(*r) for r in rows]

    # -- reference data ---------------------------------------------------------------

    def load_reference(self, changes: list[dict[str, Any]], now: datetime) -> int:
        """Load sites, people, activities, catalog, opening stock and balances (demo data,
        imports). Opening figures are set only where nothing has happened yet, so loading
        twice never rewrites what kiosks did."""
        with self.transaction() as c:
            for ch in changes:
                effects.load_one(c, ch["kind"], str(ch["key"]), ch.get("data") or {}, iso(now))
            effects.emit_dirty(c, effects.Dirty.everything(c))
        return len(changes)

    def set_keys(self, public_key: str, private_key_path: str) -> None:
        with self.transaction() as c:
            self._put_meta(c, "public_key", public_key)
            self._put_meta(c, "private_key_path", private_key_path)
            c.execute(
                "INSERT OR REPLACE INTO changes (kind, key, data) VALUES ('setting', 'public_key', ?)",
                (_dumps({"value": public_key}),),
            )

    # -- ingest -----------------------------------------------------------------------

    def ingest(
        self, kiosk_id: str, events: list[Any], now: datetime
    ) -> tuple[list[dict[str, Any]], int]:
        """Apply a batch in seq order; returns (results, acked_seq). Every event must have a
        slot (see ``validate.slot``); the caller refuses the batch otherwise."""
        received_at = iso(now)
        ordered = sorted(events, key=lambda e: e["seq"])
        results: list[dict[str, Any]] = []
        with self.transaction() as c:
            acked = c.execute(
                "SELECT acked_seq FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)
            ).fetchone()[0]
            start = acked
            held = self._held(c, kiosk_id, [e["seq"] for e in ordered if e["seq"] <= acked])
            known_ids = self._known_ids(c, [e["id"] for e in ordered if e["seq"] > acked])
            dirty = effects.Dirty()
            batch = effects.Batch(c, kiosk_id, received_at, dirty)
            batch.prefetch([e for e in ordered if e["seq"] > acked])
            rows: list[tuple] = []
            for ev in ordered:
                eid, seq = ev["id"], ev["seq"]
                digest, fault, payload = digest_and_fault(ev)
                if seq <= acked:
                    results.append(self._again(batch, kiosk_id, ev, digest, held.get(seq), fault))
                    continue
                if seq > acked + 1:
                    results.append(
                        {
                            "id": eid,
                            "seq": seq,
                            "status": "pending",
                            "reason": f"waiting for seq {acked + 1}",
                        }
                    )
                    continue
                acked = seq
                if eid in known_ids:
                    dirty.touch_event(
                        ev
                    )  # the kiosk counted it; the ledger's figures must win there
                    results.append(
                        self._conflict(
                            batch,
                            kiosk_id,
                            ev,
                            digest,
                            received_at,
                            "this event id is already stored with other content",
                            fault,
                        )
                    )
                    continue
                known_ids.add(eid)
                reason = check(ev, kiosk_id) or fault
                if reason is None:
                    reason = batch.apply(ev)
                else:
                    dirty.touch_event(ev)
                status = "accepted" if reason is None else "rejected"
                rows.append(
                    (
                        kiosk_id,
                        seq,
                        eid,
                        *_row_text(ev, payload),
                        received_at,
                        status,
                        reason,
                        digest,
                    )
                )
                if reason is not None:
                    batch.exception(
                        "rejected",
                        f"{kiosk_id}/{seq}",
                        kiosk_id=kiosk_id,
                        event_id=eid,
                        detail={"reason": reason, "type": sanitized(ev.get("type")), "seq": seq},
                    )
                results.append({"id": eid, "seq": seq, "status": status, "reason": reason})
            batch.flush()
            c.executemany(
                "INSERT INTO events (kiosk_id, seq, id, type, occurred_at, clock_offset_ms, actor, payload,"
                " received_at, status, reason, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            if acked != start:
                c.execute("UPDATE kiosks SET acked_seq = ? WHERE kiosk_id = ?", (acked, kiosk_id))
                effects.emit_dirty(c, dirty, batch)
        return results, acked

    @staticmethod
    def _held(
        c: sqlite3.Connection, kiosk_id: str, seqs: list[int]
    ) -> dict[int, tuple[str, str, str]]:
        if not seqs:
            return {}
        lo, hi = min(seqs), max(seqs)
        held = {
            s: (i, d, st)
            for s, i, d, st in c.execute(
                "SELECT seq, id, digest, status FROM events WHERE kiosk_id = ? AND seq BETWEEN ? AND ?",
                (kiosk_id, lo, hi),
            )
        }
        for s, i, d in c.execute(
            "SELECT seq, id, digest FROM conflicts WHERE kiosk_id = ? AND seq BETWEEN ? AND ?",
            (kiosk_id, lo, hi),
        ):
            held[s] = (i, d, "conflict")
        return held

    @staticmethod
    def _known_ids(c: sqlite3.Connection, ids: list[str]) -> set[str]:
        known: set[str] = set()
        for i in range(0, len(ids), 900):
            chunk = ids[i : i + 900]
            marks = ",".join("?" * len(chunk))
            known.update(
                r[0] for r in c.execute(f"SELECT id FROM events WHERE id IN ({marks})", chunk)
            )
        return known

    @staticmethod
    def _again(
        batch: effects.Batch,
        kiosk_id: str,
        ev: dict,
        digest: str,
        held: tuple[str, str, str] | None,
        fault: str | None = None,
    ) -> dict[str, Any]:
        """An event at a seq the ledger already holds: a resend, or a different event reusing the seq."""
        if held is not None and held[0] == ev["id"] and held[1] == digest:
            status = "conflict" if held[2] == "conflict" else "duplicate"
            return {
                "id": ev["id"],
                "seq": ev["seq"],
                "status": status,
                "reason": None if held[2] == "accepted" else f"first received as {held[2]}",
            }
        batch.exception(
            "conflict",
            f"{kiosk_id}/{ev['seq']}/{digest[:16]}",
            kiosk_id=kiosk_id,
            event_id=ev["id"],
            detail={
                "reason": "seq already held with another event",
                "seq": ev["seq"],
                "body": sanitized(ev) if fault else ev,
            },
        )
        return {
            "id": ev["id"],
            "seq": ev["seq"],
            "status": "conflict",
            "reason": "this seq is already held with another event",
        }

    @staticmethod
    def _conflict(
        batch: effects.Batch,
        kiosk_id: str,
        ev: dict,
        digest: str,
        received_at: str,
        reason: str,
        fault: str | None = None,
    ) -> dict[str, Any]:
        batch.c.execute(
            "INSERT INTO conflicts (kiosk_id, seq, id, body, digest, received_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                kiosk_id,
                ev["seq"],
                ev["id"],
                _dumps(sanitized(ev) if fault else ev),
                digest,
                received_at,
            ),
        )
        batch.exception(
            "conflict",
            f"{kiosk_id}/{ev['seq']}",
            kiosk_id=kiosk_id,
            event_id=ev["id"],
            detail={"reason": reason, "seq": ev["seq"]},
        )
        return {"id": ev["id"], "seq": ev["seq"], "status": "conflict", "reason": reason}

    # -- reading ------------------------------------------------------------------------

    def changes_since(self, cursor: str | None, limit: int) -> ChangePage:
        since, reset = self._parse_cursor(cursor)
        with self._lock:
            rows = self.conn.execute(
                "SELECT cursor, kind, key, data, deleted FROM changes WHERE cursor > ? ORDER BY cursor LIMIT ?",
                (since, limit),
            ).fetchall()
        changes = [
            {"kind": k, "key": key, "data": json.loads(d), "deleted": bool(dl)}
            for _, k, key, d, dl in rows
        ]
        last = rows[-1][0] if rows else since
        return ChangePage(changes, f"{self.epoch}.{last}", reset)

    def _parse_cursor(self, cursor: str | None) -> tuple[int, bool]:
        if not cursor:
            return 0, True
        epoch, _, number = cursor.partition(".")
        if epoch != self.epoch or not number.isdigit():
            return 0, True
        with self._lock:
            top = self.conn.execute("SELECT COALESCE(MAX(cursor), 0) FROM changes").fetchone()[0]
        # A cursor beyond the end comes from a state this ledger no longer has (a restore).
        return (0, True) if int(number) > top else (int(number), False)

    def volunteer(self, volunteer_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT v.volunteer_id, v.kind, v.display_name, v.team, v.status, v.card_version,"
                " COALESCE(b.balance, 0), COALESCE(b.minutes_total, 0),"
                # An open session has no end yet, so it is in the small partial index sessions_long.
                " (SELECT COUNT(*) FROM sessions s INDEXED BY sessions_long WHERE s.volunteer_id = v.volunteer_id"
                "  AND (s.t_out_ms IS NULL OR s.t_out_ms - s.t_in_ms > 86400000) AND s.status = 'open')"
                " FROM volunteers v LEFT JOIN balances b USING (volunteer_id) WHERE v.volunteer_id = ?",
                (volunteer_id,),
            ).fetchone()
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
        with self._lock:
            return dict(self.conn.execute("SELECT volunteer_id, balance FROM balances"))

    def stock_levels(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return {
                (s, i): q
                for s, i, q in self.conn.execute("SELECT site_id, item_id, qty FROM stock")
            }

    def journal_balances(self) -> dict[str, int]:
        """Balances recomputed from the double-entry journal alone (for audits and tests)."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT account, SUM(amount) FROM (SELECT credit AS account, amount FROM journal"
                " UNION ALL SELECT debit, -amount FROM journal) GROUP BY account"
            ).fetchall()
        return {a.removeprefix("volunteer:"): int(s) for a, s in rows if a.startswith("volunteer:")}

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
            (
                "exception_id",
                "kind",
                "ref",
                "volunteer_id",
                "site_id",
                "kiosk_id",
                "event_id",
                "detail",
                "created_at",
            ),
            "detail",
            "kind",
            kind,
            "exception_id",
        )

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
        with self._lock:
            rows = self.conn.execute(
                f"{sql} ORDER BY {order}", (value,) if value else ()
            ).fetchall()
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            d[json_key] = json.loads(d[json_key])
            out.append(d)
        return out

    def counts(self) -> dict[str, int]:
        with self._lock:
            c = self.conn
            return {
                "events": c.execute("SELECT COUNT(*) FROM events").fetchone()[0],
                "kiosks": c.execute("SELECT COUNT(*) FROM kiosks").fetchone()[0],
                "volunteers": c.execute("SELECT COUNT(*) FROM volunteers").fetchone()[0],
                "exceptions": c.execute("SELECT COUNT(*) FROM exceptions").fetchone()[0],
            }
