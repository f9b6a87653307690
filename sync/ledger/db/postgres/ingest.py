"""Ingest on PostgreSQL: the rows ``db/ingest.py`` reads and writes, the locks that keep
concurrent batches apart, the change-feed rows, and reference data loading.

Several API processes write at once, so what SQLite gets from its single writer is taken
here with locks, always in the same order, so two batches never deadlock:

1. the kiosk's row (``SELECT ... FOR UPDATE``): one batch of a kiosk at a time, in seq order;
2. per volunteer and per (site, item), transaction-level advisory locks, taken together for
   the batch in ascending key order before anything is read, so an overdraft, overlap or
   stock check sees every earlier commit for them;
3. the change feed's advisory lock, last, from the first feed row to commit: cursors are
   handed out in commit order (a reader never misses a row below a cursor it has seen).
"""

from __future__ import annotations

import hashlib
import json
from operator import itemgetter
from typing import Any

from sync.ledger.db.ingest import (
    OPENING,
    REDEMPTION_COLS,
    SESSION_COLS,
    Batch,
    Dirty,
    activity_feed,
    stored_activity,
    vol,
)
from sync.ledger.rules.trust import PersonFacts
from sync.ledger.rules.validate import text_ok
from sync.ledger.wirejson import dumps_sorted, dumps_sorted_plain, plain

_session_row = itemgetter(*SESSION_COLS)
_redemption_row = itemgetter(*REDEMPTION_COLS)

LONG_SESSION_MS = 86_400_000  # as in the partial index sessions_long
_NO_END = 9223372036854775807
FEED_LOCK = 0x4B494F534B464544  # "KIOSKFED": the change feed's advisory lock key
ENTRY_BLOCK = 64  # journal ids drawn from the sequence at a time


def lock_key(kind: str, key: str) -> int:
    """A signed 64-bit advisory lock key for (kind, key): volunteers, stock, catalog items."""
    raw = hashlib.blake2b(f"{kind}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def take_locks(cur, keys: set[int], held: set[int]) -> None:
    """Advisory locks on ``keys`` not yet ``held``, in ascending order (the order every
    transaction uses, so none waits on another in a cycle)."""
    todo = sorted(keys - held)
    if todo:
        cur.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", (todo,))
        held.update(todo)


class Feed:
    """The change-feed writes of one transaction (the feed lock is taken on the first)."""

    def __init__(self, cur):
        self.cur = cur
        self.locked = False

    def _lock(self) -> None:
        if not self.locked:
            self.cur.execute("SELECT pg_advisory_xact_lock(%s)", (FEED_LOCK,))
            self.locked = True

    def put(self, rows: list[tuple[str, str, str, int]]) -> None:
        """(kind, key, data JSON, deleted): each key moves to a new, highest cursor."""
        if not rows:
            return
        self._lock()
        self.cur.executemany(
            "INSERT INTO changes (cursor, kind, key, data, deleted)"
            " VALUES (nextval('changes_cursor_seq'), %s, %s, %s, %s)"
            " ON CONFLICT (kind, key) DO UPDATE SET cursor = EXCLUDED.cursor,"
            " data = EXCLUDED.data, deleted = EXCLUDED.deleted",
            rows,
        )

    def emit(self, kind: str, key: str, data: dict, deleted: bool = False) -> None:
        self.put([(kind, key, dumps_sorted(data), int(deleted))])


def _ids(v: Any) -> bool:
    return type(v) is str and text_ok(v)


class PgBatch(Batch):
    """``Batch`` over one transaction's cursor; locks what the batch touches first."""

    def __init__(
        self,
        cur,
        feed: Feed,
        kiosk_id: str,
        site_id: str,
        at: str,
        dirty: Dirty,
        locks: set[int],
    ):
        super().__init__(kiosk_id, site_id, at, dirty)
        self.cur, self.feed, self._locks = cur, feed, locks
        self._ids: list[int] = []

    # -- locks -------------------------------------------------------------------------------

    def prefetch(self, events: list[dict]) -> None:
        vids: set[str] = set()
        stock: set[tuple[str, str]] = set()
        items: set[str] = set()
        sids: set[str] = set()
        rids: set[str] = set()
        activities: set[str] = set()
        for ev in events:
            actor, p = ev.get("actor"), ev.get("payload")
            if _ids(actor):
                vids.add(actor)
            if type(p) is not dict:
                continue
            if str(ev.get("type")).startswith("signup.") and _ids(p.get("activity_id")):
                activities.add(p["activity_id"])
            for name, into in (
                ("volunteer_id", vids),
                ("session_id", sids),
                ("redemption_id", rids),
                ("item_id", items),
            ):
                if _ids(p.get(name)):
                    into.add(p[name])
            if _ids(p.get("site_id")) and _ids(p.get("item_id")):
                stock.add((p["site_id"], p["item_id"]))
        # Whose sessions and redemptions these are (a row's volunteer, site and item never
        # change once written, so reading them before the locks is safe).
        if sids:
            self.cur.execute(
                "SELECT volunteer_id FROM sessions WHERE session_id = ANY(%s)", (sorted(sids),)
            )
            vids.update(r[0] for r in self.cur.fetchall())
        if rids:
            self.cur.execute(
                "SELECT volunteer_id, site_id, item_id FROM redemptions"
                " WHERE redemption_id = ANY(%s)",
                (sorted(rids),),
            )
            for v, s, i in self.cur.fetchall():
                vids.add(v)
                stock.add((s, i))
        keys = {lock_key("volunteer", v) for v in vids}
        keys.update(lock_key("stock", f"{s}/{i}") for s, i in stock)
        keys.update(lock_key("item", i) for i in items)
        keys.update(lock_key("activity", a) for a in activities)
        take_locks(self.cur, keys, self._locks)
        super().prefetch(events)

    def _lock(self, kind: str, key: str) -> None:
        # Something the batch did not foresee: locked now, out of order. Should two batches
        # then wait on each other, PostgreSQL ends one (deadlock detected) and the ledger
        # runs that batch again.
        take_locks(self.cur, {lock_key(kind, key)}, self._locks)

    # -- reads -----------------------------------------------------------------------------

    def _read_balances(self, volunteer_ids: list[str]) -> list[tuple[str, int, int]]:
        for v in volunteer_ids:
            self._lock("volunteer", v)
        self.cur.execute(
            "SELECT volunteer_id, balance, minutes_total FROM balances"
            " WHERE volunteer_id = ANY(%s)",
            (volunteer_ids,),
        )
        return self.cur.fetchall()

    def _read_kiosks_of(self, volunteer_ids: list[str]) -> list[tuple[str, str]]:
        self.cur.execute(
            "SELECT volunteer_id, kiosk_id FROM volunteer_kiosks WHERE volunteer_id = ANY(%s)",
            (volunteer_ids,),
        )
        return self.cur.fetchall()

    def _read_sessions(self, session_ids: list[str]) -> list[dict]:
        self.cur.execute(
            f"SELECT {', '.join(SESSION_COLS)} FROM sessions WHERE session_id = ANY(%s)",
            (session_ids,),
        )
        return [dict(zip(SESSION_COLS, r, strict=True)) for r in self.cur.fetchall()]

    def _read_redemptions(self, redemption_ids: list[str]) -> list[dict]:
        self.cur.execute(
            f"SELECT {', '.join(REDEMPTION_COLS)} FROM redemptions WHERE redemption_id = ANY(%s)",
            (redemption_ids,),
        )
        return [dict(zip(REDEMPTION_COLS, r, strict=True)) for r in self.cur.fetchall()]

    def _read_stock(self, key: tuple[str, str]) -> int | None:
        self._lock("stock", f"{key[0]}/{key[1]}")
        self.cur.execute("SELECT qty FROM stock WHERE site_id = %s AND item_id = %s", key)
        row = self.cur.fetchone()
        return row[0] if row else None

    def _read_overlapping(
        self, sid: str, volunteer: str, kiosk: str, t_in: int, t_out: int
    ) -> list[tuple[str, str]]:
        # As on SQLite: a closed session of at most a day that ends after t_in began less
        # than a day before it (a range of sessions_by_volunteer_start); the open and the
        # longer ones are in the partial index sessions_long.
        self.cur.execute(
            f"""
            SELECT session_id, kiosk_id, t_in_ms FROM sessions
             WHERE volunteer_id = %(v)s AND t_in_ms > %(t_in)s - {LONG_SESSION_MS}
               AND t_in_ms < %(t_out)s AND kiosk_id <> %(k)s AND session_id <> %(s)s
               AND COALESCE(t_out_ms, {_NO_END}) > %(t_in)s
            UNION
            SELECT session_id, kiosk_id, t_in_ms FROM sessions
             WHERE volunteer_id = %(v)s
               AND (t_out_ms IS NULL OR t_out_ms - t_in_ms > {LONG_SESSION_MS})
               AND t_in_ms < %(t_out)s AND kiosk_id <> %(k)s AND session_id <> %(s)s
               AND COALESCE(t_out_ms, {_NO_END}) > %(t_in)s
            ORDER BY kiosk_id, t_in_ms, session_id""",
            {"v": volunteer, "k": kiosk, "s": sid, "t_in": t_in, "t_out": t_out},
        )
        return [(s, k) for s, k, _ in self.cur.fetchall()]

    def _entry_id(self) -> int:
        # Concurrent batches cannot count on MAX + 1: ids come from the sequence, a block at
        # a time (an unused id is a gap, never a reuse).
        if not self._ids:
            self.cur.execute(
                "SELECT nextval('journal_entry_id_seq') FROM generate_series(1, %s)",
                (ENTRY_BLOCK,),
            )
            self._ids = [r[0] for r in self.cur.fetchall()][::-1]
        return self._ids.pop()

    # -- writes ----------------------------------------------------------------------------

    def flush(self) -> None:
        # Only writes: in pipeline mode they go out together and the batch waits once.
        with self.cur.connection.pipeline():
            super().flush()

    def _write(self, journal: list[tuple], balances: list[tuple], stock: list[tuple]) -> None:
        cur = self.cur
        if journal:
            cur.executemany(
                "INSERT INTO journal (entry_id, event_id, debit, credit, amount, memo, ref,"
                " reverses, posted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                journal,
            )
        if balances:
            cur.executemany(
                "INSERT INTO balances (volunteer_id, balance, minutes_total) VALUES (%s, %s, %s)"
                " ON CONFLICT (volunteer_id) DO UPDATE SET balance = EXCLUDED.balance,"
                " minutes_total = EXCLUDED.minutes_total",
                balances,
            )
        if stock:
            cur.executemany(
                "INSERT INTO stock (site_id, item_id, qty) VALUES (%s, %s, %s)"
                " ON CONFLICT (site_id, item_id) DO UPDATE SET qty = EXCLUDED.qty",
                stock,
            )

    def _write_sessions(
        self, new: list[dict], changed: list[dict], pairs: list[tuple[str, str]]
    ) -> None:
        cur = self.cur
        if new:
            cur.executemany(
                f"INSERT INTO sessions ({', '.join(SESSION_COLS)})"
                f" VALUES ({', '.join(['%s'] * len(SESSION_COLS))})",
                list(map(_session_row, new)),
            )
        if changed:
            cur.executemany(
                "UPDATE sessions SET signed_out_at = %s, minutes = %s, credited_minutes = %s,"
                " points = %s, status = %s, entry_id = %s, t_out_ms = %s WHERE session_id = %s",
                [
                    (
                        r["signed_out_at"],
                        r["minutes"],
                        r["credited_minutes"],
                        r["points"],
                        r["status"],
                        r["entry_id"],
                        r["t_out_ms"],
                        r["session_id"],
                    )
                    for r in changed
                ],
            )
        if pairs:
            cur.executemany(
                "INSERT INTO volunteer_kiosks (volunteer_id, kiosk_id) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                pairs,
            )

    def _write_redemptions(self, new: list[dict], cancelled: list[str]) -> None:
        if new:
            self.cur.executemany(
                f"INSERT INTO redemptions ({', '.join(REDEMPTION_COLS)})"
                f" VALUES ({', '.join(['%s'] * len(REDEMPTION_COLS))})",
                list(map(_redemption_row, new)),
            )
        if cancelled:
            self.cur.executemany(
                "UPDATE redemptions SET status = 'cancelled' WHERE redemption_id = %s",
                [(r,) for r in cancelled],
            )

    def _write_exceptions(self, rows: list[tuple]) -> None:
        self.cur.executemany(
            "INSERT INTO exceptions (kind, ref, volunteer_id, site_id, kiosk_id, event_id,"
            " detail, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (kind, ref) DO NOTHING",
            rows,
        )

    def _read_sessions_window(
        self, volunteer_ids: list[str], lo: int, hi: int, days: list[str]
    ) -> list[dict]:
        self.cur.execute(
            f"SELECT {', '.join(SESSION_COLS)} FROM sessions WHERE volunteer_id = ANY(%s)"
            " AND t_in_ms BETWEEN %s AND %s AND kiosk_id = %s AND left(signed_in_at, 10) = ANY(%s)",
            (volunteer_ids, lo, hi, self.kiosk_id, days),
        )
        return [dict(zip(SESSION_COLS, r, strict=True)) for r in self.cur.fetchall()]

    def _read_people(self, ids: list[str]) -> dict[str, PersonFacts]:
        if not ids:
            return {}
        self.cur.execute(
            "SELECT staff_id, site_id FROM staff_sites WHERE staff_id = ANY(%s)", (ids,)
        )
        sites: dict[str, set[str]] = {}
        for staff, site in self.cur.fetchall():
            sites.setdefault(staff, set()).add(site)
        self.cur.execute(
            "SELECT volunteer_id, kind, status FROM volunteers WHERE volunteer_id = ANY(%s)", (ids,)
        )
        return {
            v: PersonFacts(kind, status, frozenset(sites.get(v, ())))
            for v, kind, status in self.cur.fetchall()
        }

    def _read_activities(self, ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        self.cur.execute(
            "SELECT activity_id, data FROM activities WHERE activity_id = ANY(%s)", (ids,)
        )
        return {a: json.loads(d) for a, d in self.cur.fetchall()}

    def _read_items(self, ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        for i in ids:  # an edit of the item waits for this batch (prefetch took most already)
            self._lock("item", i)
        self.cur.execute("SELECT item_id, data FROM catalog WHERE item_id = ANY(%s)", (ids,))
        return {i: json.loads(d) for i, d in self.cur.fetchall()}

    def _write_catalog_item(self, item_id: str, data: dict) -> None:
        put_catalog(self.cur, self.feed, item_id, data)

    def person_kind(self, volunteer_id: str) -> str | None:
        self.cur.execute("SELECT kind FROM volunteers WHERE volunteer_id = %s", (volunteer_id,))
        row = self.cur.fetchone()
        return row[0] if row else None

    def signups(self, activity_id: str) -> list[tuple[str, str]]:
        self._lock("activity", activity_id)  # taken in prefetch already, unless unforeseen
        return signup_rows(self.cur, activity_id)

    def put_signup(
        self, activity_id: str, volunteer_id: str, status: str, over_capacity: bool, event_id: str
    ) -> None:
        self.cur.execute(
            "INSERT INTO signups AS g (activity_id, volunteer_id, status, ord, kiosk_id, event_id,"
            " over_capacity, signed_up_at, changed_at)"
            " VALUES (%s, %s, %s, nextval('signups_ord_seq'), %s, %s, %s, %s, %s)"
            " ON CONFLICT (activity_id, volunteer_id) DO UPDATE SET status = EXCLUDED.status,"
            " ord = EXCLUDED.ord, kiosk_id = EXCLUDED.kiosk_id, event_id = EXCLUDED.event_id,"
            " over_capacity = EXCLUDED.over_capacity, signed_up_at = EXCLUDED.signed_up_at,"
            " changed_at = EXCLUDED.changed_at",
            (activity_id, volunteer_id, status, self.kiosk_id, event_id, int(over_capacity),
             self.at, self.at),
        )  # fmt: skip

    def set_signup_status(self, activity_id: str, volunteer_ids: list[str], status: str) -> None:
        self.cur.executemany(
            "UPDATE signups SET status = %s, changed_at = %s"
            " WHERE activity_id = %s AND volunteer_id = %s",
            [(status, self.at, activity_id, v) for v in volunteer_ids],
        )

    def mark_corrected(self, session_id: str) -> None:
        self.cur.execute(
            "INSERT INTO corrected_sessions (session_id) VALUES (%s) ON CONFLICT DO NOTHING",
            (session_id,),
        )


def signup_rows(cur, activity_id: str) -> list[tuple[str, str]]:
    cur.execute(
        "SELECT volunteer_id, status FROM signups WHERE activity_id = %s"
        " AND status <> 'withdrawn' ORDER BY ord",
        (activity_id,),
    )
    return cur.fetchall()


def activity_rows(cur, activity_ids: list[str], as_of: dict) -> list[tuple[str, str, str, int]]:
    """The activities' feed rows with their sign-up lists as the ledger holds them."""
    out = []
    for activity_id in sorted(activity_ids):
        cur.execute("SELECT data FROM activities WHERE activity_id = %s", (activity_id,))
        row = cur.fetchone()
        if row is not None:
            data = activity_feed(json.loads(row[0]), signup_rows(cur, activity_id), as_of)
            out.append(("activity", activity_id, dumps_sorted(data), 0))
    return out


def put_catalog(cur, feed: Feed, item_id: str, data: dict) -> None:
    cur.execute(
        "INSERT INTO catalog (item_id, data) VALUES (%s, %s)"
        " ON CONFLICT (item_id) DO UPDATE SET data = EXCLUDED.data",
        (item_id, dumps_sorted(data)),
    )
    feed.emit("catalog_item", item_id, data)


class PgIngestTx:
    """``IngestTx`` over one PostgreSQL transaction (READ COMMITTED: each statement sees
    what committed before it, and the locks say what may commit meanwhile)."""

    def __init__(self, cur):
        self.cur = cur
        self.feed = Feed(cur)
        self.locks: set[int] = set()

    def kiosk(self, kiosk_id: str) -> tuple[int, str]:
        self.cur.execute(
            "SELECT acked_seq, site_id FROM kiosks WHERE kiosk_id = %s FOR UPDATE", (kiosk_id,)
        )
        acked, site = self.cur.fetchone()
        return acked, site

    def held(self, kiosk_id: str, lo: int, hi: int) -> dict[int, tuple[str, str, str]]:
        self.cur.execute(
            "SELECT seq, id, digest, status FROM events WHERE kiosk_id = %s"
            " AND seq BETWEEN %s AND %s",
            (kiosk_id, lo, hi),
        )
        held = {s: (i, d, st) for s, i, d, st in self.cur.fetchall()}
        self.cur.execute(
            "SELECT seq, id, digest FROM conflicts WHERE kiosk_id = %s AND seq BETWEEN %s AND %s",
            (kiosk_id, lo, hi),
        )
        for s, i, d in self.cur.fetchall():
            held[s] = (i, d, "conflict")
        return held

    def known_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        self.cur.execute("SELECT id FROM events WHERE id = ANY(%s)", (ids,))
        return {r[0] for r in self.cur.fetchall()}

    def batch(self, kiosk_id: str, site_id: str, at: str, dirty: Dirty) -> Batch:
        return PgBatch(self.cur, self.feed, kiosk_id, site_id, at, dirty, self.locks)

    def add_events(self, rows: list[tuple]) -> None:
        if rows:
            self.cur.executemany(
                "INSERT INTO events (kiosk_id, seq, id, type, occurred_at, clock_offset_ms, actor,"
                " payload, received_at, status, reason, digest)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )

    def add_conflict(
        self, kiosk_id: str, seq: int, event_id: str, body: str, digest: str, at: str
    ) -> None:
        self.cur.execute(
            "INSERT INTO conflicts (kiosk_id, seq, id, body, digest, received_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (kiosk_id, seq, event_id, body, digest, at),
        )

    def set_acked(self, kiosk_id: str, acked: int) -> None:
        self.cur.execute("UPDATE kiosks SET acked_seq = %s WHERE kiosk_id = %s", (acked, kiosk_id))

    def emit_dirty(self, dirty: Dirty, batch: Batch) -> None:
        emit_dirty(self.cur, self.feed, dirty, batch)


def everything(cur) -> Dirty:
    cur.execute("SELECT volunteer_id FROM balances")
    vids = {r[0] for r in cur.fetchall()}
    cur.execute("SELECT site_id, item_id FROM stock")
    return Dirty(vids, {(s, i) for s, i in cur.fetchall()})


def emit_dirty(cur, feed: Feed, dirty: Dirty, batch: Batch | None = None) -> None:
    """Balances and stock with ``as_of`` (each kiosk's acked_seq: what the figure includes)."""
    # The feed lock first: from here to commit no other transaction moves an acked_seq that
    # these rows would then report too early or too late.
    feed._lock()
    cur.execute("SELECT kiosk_id, acked_seq FROM kiosks")
    as_of = dict(cur.fetchall())
    vids = sorted(dirty.volunteers)
    found: dict[str, tuple[int, int]] = {}
    unread = vids
    if batch is not None:
        held = batch.held_balances()
        unread = []
        for vid in vids:
            figures = held.get(vid)
            if figures is None:
                unread.append(vid)
            elif figures:
                found[vid] = (figures[0], figures[1])
    if unread:
        cur.execute(
            "SELECT volunteer_id, balance, minutes_total FROM balances"
            " WHERE volunteer_id = ANY(%s)",
            (unread,),
        )
        found.update((v, (b, m)) for v, b, m in cur.fetchall())
    as_of_plain = plain(as_of)
    rows: list[tuple[str, str, str, int]] = []
    for vid in vids:
        balance, minutes = found.get(vid, (0, 0))
        data = {"volunteer_id": vid, "balance": balance, "minutes_total": minutes, "as_of": as_of}
        text = (
            dumps_sorted_plain(data)
            if as_of_plain and type(vid) is str and type(balance) is int and type(minutes) is int
            else dumps_sorted(data)
        )
        rows.append(("balance", vid, text, 0))
    if dirty.stock:
        keys = sorted(dirty.stock)
        cur.execute(
            "SELECT site_id, item_id, qty FROM stock"
            " WHERE (site_id, item_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
            ([s for s, _ in keys], [i for _, i in keys]),
        )
        levels = {(s, i): q for s, i, q in cur.fetchall()}
        for site_id, item_id in keys:
            data = {
                "site_id": site_id,
                "item_id": item_id,
                "qty": levels.get((site_id, item_id), 0),
                "as_of": as_of,
            }
            rows.append(("stock", f"{site_id}/{item_id}", dumps_sorted(data), 0))
    if dirty.catalog:
        cur.execute(
            "SELECT item_id, data FROM catalog WHERE item_id = ANY(%s)", (sorted(dirty.catalog),)
        )
        rows.extend(("catalog_item", i, d, 0) for i, d in cur.fetchall())
    if dirty.activities:
        rows += activity_rows(cur, sorted(dirty.activities), as_of)
    feed.put(rows)


# -- reference data ---------------------------------------------------------------------


def post(
    cur,
    debit: str,
    credit: str,
    amount: int,
    memo: str,
    at: str,
    *,
    event_id: str | None = None,
    ref: str | None = None,
    reverses: int | None = None,
    minutes: int = 0,
) -> tuple[int | None, int | None]:
    entry = None
    if amount < 0:
        debit, credit, amount = credit, debit, -amount
    if amount:
        cur.execute(
            "INSERT INTO journal (event_id, debit, credit, amount, memo, ref, reverses, posted_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING entry_id",
            (event_id, debit, credit, amount, memo, ref, reverses, at),
        )
        entry = cur.fetchone()[0]
    balance = None
    for account, delta in ((credit, amount), (debit, -amount)):
        if account.startswith("volunteer:") and (delta or minutes):
            balance = add_balance(cur, account[10:], delta, minutes)
    return entry, balance


def add_balance(cur, volunteer_id: str, points: int, minutes: int) -> int:
    cur.execute(
        "INSERT INTO balances AS b (volunteer_id, balance, minutes_total) VALUES (%s, %s, %s)"
        " ON CONFLICT (volunteer_id) DO UPDATE SET balance = b.balance + EXCLUDED.balance,"
        " minutes_total = b.minutes_total + EXCLUDED.minutes_total RETURNING balance",
        (volunteer_id, points, minutes),
    )
    return cur.fetchone()[0]


def volunteer_feed(key: str, data: dict, version: int) -> dict:
    """Only what a kiosk needs: no phone numbers or platform ids leave the ledger."""
    return {
        k: data.get(k, d)
        for k, d in (
            ("volunteer_id", key),
            ("kind", "V"),
            ("display_name", ""),
            ("team", ""),
            ("status", "active"),
            ("card_version", version),
        )
    }


def load_many(cur, feed: Feed, changes: list[dict], at: str) -> None:
    """Reference data (sites, people, activities, catalog, opening stock and balances), a
    statement per kind for the whole list where the kind allows it."""
    by_kind: dict[str, list[tuple[str, dict]]] = {}
    for ch in changes:
        by_kind.setdefault(ch["kind"], []).append((str(ch["key"]), ch.get("data") or {}))
    unknown = set(by_kind) - {
        "site",
        "volunteer",
        "staff_pin",
        "activity",
        "catalog_item",
        "stock",
        "balance",
        "setting",
    }
    if unknown:
        raise ValueError(f"unknown reference kind {sorted(unknown)[0]!r}")
    # As loading them one by one would: a later entry for a key wins, except for opening
    # stock and balances, which only the first sets.
    last = {
        k: list((dict(v[::-1]) if k in ("stock", "balance") else dict(v)).items())
        for k, v in by_kind.items()
    }
    if "site" in last:
        cur.executemany(
            "INSERT INTO sites (site_id, data) VALUES (%s, %s)"
            " ON CONFLICT (site_id) DO UPDATE SET data = EXCLUDED.data",
            [(k, dumps_sorted(d)) for k, d in last["site"]],
        )
        feed.put([("site", k, dumps_sorted(d), 0) for k, d in last["site"]])
    if "volunteer" in last:
        people = [(k, d, int(d.get("card_version", 1))) for k, d in last["volunteer"]]
        cur.executemany(
            "INSERT INTO volunteers (volunteer_id, kind, display_name, team, status,"
            " card_version, izhiyuan_id) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (volunteer_id) DO UPDATE SET kind = EXCLUDED.kind,"
            " display_name = EXCLUDED.display_name, team = EXCLUDED.team,"
            " status = EXCLUDED.status, card_version = EXCLUDED.card_version,"
            " izhiyuan_id = EXCLUDED.izhiyuan_id",
            [
                (
                    k,
                    d.get("kind", "V"),
                    d.get("display_name", ""),
                    d.get("team", ""),
                    d.get("status", "active"),
                    v,
                    d.get("izhiyuan_id"),
                )
                for k, d, v in people
            ],
        )
        cur.executemany(
            "INSERT INTO card_versions (volunteer_id, version, issued_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            [(k, v, at) for k, _d, v in people],
        )
        feed.put([("volunteer", k, dumps_sorted(volunteer_feed(k, d, v)), 0) for k, d, v in people])
        # Where a staff member may act from a kiosk (none listed: every site).
        placed = [
            (k, d["sites"])
            for k, d, _v in people
            if d.get("kind") == "S" and isinstance(d.get("sites"), list)
        ]
        if placed:
            cur.execute(
                "DELETE FROM staff_sites WHERE staff_id = ANY(%s)", ([k for k, _ in placed],)
            )
            cur.executemany(
                "INSERT INTO staff_sites (staff_id, site_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(k, str(site)) for k, sites in placed for site in sites],
            )
    if "staff_pin" in last:
        cur.executemany(
            "INSERT INTO staff_pins (staff_id, pin_hash) VALUES (%s, %s)"
            " ON CONFLICT (staff_id) DO UPDATE SET pin_hash = EXCLUDED.pin_hash",
            [(k, d["pin_hash"]) for k, d in last["staff_pin"]],
        )
        feed.put(
            [
                ("staff_pin", k, dumps_sorted({"staff_id": k, "pin_hash": d["pin_hash"]}), 0)
                for k, d in last["staff_pin"]
            ]
        )
    if "activity" in last:
        put_activities(cur, feed, last["activity"], at)
    if "catalog_item" in last:
        for k, d in last["catalog_item"]:
            put_catalog(cur, feed, k, d)
    if "stock" in last:
        cur.executemany(
            "INSERT INTO stock (site_id, item_id, qty) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [(d["site_id"], d["item_id"], int(d["qty"])) for _k, d in last["stock"]],
        )
    if "balance" in last:
        keys = [k for k, _d in last["balance"]]
        cur.execute("SELECT volunteer_id FROM balances WHERE volunteer_id = ANY(%s)", (keys,))
        have = {r[0] for r in cur.fetchall()}
        # Every points movement of a volunteer keeps a balances row, so no row: nothing
        # happened yet, and the opening figures may be set.
        fresh = [(k, d) for k, d in last["balance"] if k not in have]
        opening = [(k, int(d["balance"])) for k, d in fresh if int(d["balance"])]
        if opening:
            cur.executemany(
                "INSERT INTO journal (debit, credit, amount, memo, ref, posted_at)"
                " VALUES (%s, %s, %s, 'opening balance', %s, %s)",
                [
                    (OPENING, vol(k), b, f"opening:{k}", at)
                    if b > 0
                    else (vol(k), OPENING, -b, f"opening:{k}", at)
                    for k, b in opening
                ],
            )
        cur.executemany(
            "INSERT INTO balances (volunteer_id, balance, minutes_total) VALUES (%s, %s, %s)",
            [(k, int(d["balance"]), int(d.get("minutes_total", 0))) for k, d in fresh],
        )
    if "setting" in last:
        feed.put([("setting", k, dumps_sorted(d), 0) for k, d in last["setting"]])


def put_activities(cur, feed: Feed, activities: list[tuple[str, dict]], at: str) -> None:
    # A kiosk's sign-up for one of these waits (the lock ingest takes per activity).
    take_locks(cur, {lock_key("activity", k) for k, _ in activities}, set())
    cur.executemany(
        "INSERT INTO activities (activity_id, site_id, data) VALUES (%s, %s, %s)"
        " ON CONFLICT (activity_id) DO UPDATE SET site_id = EXCLUDED.site_id,"
        " data = EXCLUDED.data",
        [(k, d["site_id"], dumps_sorted(stored_activity(d))) for k, d in activities],
    )
    # Staff's own list holds places like a kiosk's sign-up; it adds people the ledger has no
    # sign-up of, and never undoes a withdrawal made since.
    cur.executemany(
        "INSERT INTO signups (activity_id, volunteer_id, status, ord, signed_up_at, changed_at)"
        " VALUES (%s, %s, 'confirmed', nextval('signups_ord_seq'), %s, %s)"
        " ON CONFLICT (activity_id, volunteer_id) DO NOTHING",
        [(k, str(v), at, at) for k, d in activities for v in d.get("signup") or []],
    )
    feed._lock()  # as_of must not move before commit
    cur.execute("SELECT kiosk_id, acked_seq FROM kiosks")
    feed.put(activity_rows(cur, [k for k, _ in activities], dict(cur.fetchall())))
