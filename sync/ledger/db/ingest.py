"""What a batch of kiosk events does to the ledger, the same on every backend.

``ingest`` runs the protocol (DESIGN section 5): events in seq order, a stop at a gap,
duplicates and conflicts told apart by digest, rejections recorded with their reason and
still advancing ``acked_seq``. The handlers below say what each accepted event does: they
check first and write after, so a rejection leaves nothing behind. Points move only
through ``Batch.post``: one journal row is one debit and one credit.

A backend gives ingest an ``IngestTx`` (its open transaction) and a ``Batch`` subclass that
reads and writes rows. ``Batch`` keeps the batch's working set in memory: the rows an
event reads are read once for the batch (``prefetch``), changes are written at ``flush``
(once per touched balance, stock level, session and redemption). The result is the same,
row for row, as one statement per change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kiosk.core import moves
from kiosk.core.attendance import Activity
from kiosk.core.signup import Places, SignedUp, Withdrawn, sign_up, withdraw
from kiosk.core.text import line_ok
from sync.ledger.rules import trust
from sync.ledger.rules.trust import PersonFacts
from sync.ledger.rules.validate import (
    check,
    digest_and_fault,
    occurred_ms,
    sanitized,
    stored_offset,
    text_ok,
)
from sync.ledger.wirejson import dumps_sorted

_CLOSING = frozenset(("attendance.sign_out", "attendance.auto_close", "attendance.correct"))
# Sessions read around a closed one for its day's cap: a day either way, and the kiosk's
# clock offset moving by up to a day between them.
_DAY_WINDOW_MS = 4 * 86_400_000

ISSUED = "community:issued"  # points earned by volunteering come from here
REDEEMED = "community:redeemed"  # points spent on rewards go here
ADJUSTMENTS = "community:adjustments"
OPENING = "community:opening"

SESSION_COLS = (
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
    "entry_id",
    "t_in_ms",
    "t_out_ms",
)
REDEMPTION_COLS = (
    "redemption_id",
    "volunteer_id",
    "kiosk_id",
    "site_id",
    "item_id",
    "cost",
    "stocked",
    "status",
    "entry_id",
)


def vol(volunteer_id: str) -> str:
    return f"volunteer:{volunteer_id}"


def _key(v: Any) -> bool:
    """Could be the id of a volunteer, site or item (what a malformed event holds may not be:
    PostgreSQL cannot even bind a NUL, so a rejected event's ids are looked up only if sound)."""
    return type(v) is str and 0 < len(v) <= 64 and line_ok(v)


def _null(v: Any) -> bool:
    """What a database stores as NULL (SQLite binds a float NaN as NULL too)."""
    return v is None or (type(v) is float and v != v)


def _event_ms(ev: dict) -> int | None:
    """``occurred_ms`` of an event not yet checked: None where its time is not usable."""
    try:
        occurred, offset = ev.get("occurred_at"), ev.get("clock_offset_ms") or 0
        if type(occurred) is not str or type(offset) is not int:
            return None
        return occurred_ms(ev)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@dataclass
class Dirty:
    """Keys whose figures changed in this transaction: their feed rows are rewritten once."""

    volunteers: set[str] = field(default_factory=set)
    stock: set[tuple[str, str]] = field(default_factory=set)
    catalog: set[str] = field(default_factory=set)  # items a refused kiosk edit changed there
    activities: set[str] = field(default_factory=set)  # their sign-up lists changed

    def touch_event(self, ev: dict) -> None:
        """A rejected event may still have moved figures at its kiosk: re-send the ledger's
        figures with a newer ``as_of`` so the kiosk drops its own version."""
        actor, p = ev.get("actor"), ev.get("payload")
        if _key(actor):
            self.volunteers.add(actor)
        if type(p) is dict:
            if _key(p.get("volunteer_id")):
                self.volunteers.add(p["volunteer_id"])
            if _key(p.get("site_id")) and _key(p.get("item_id")):
                self.stock.add((p["site_id"], p["item_id"]))
            if ev.get("type") == "catalog.upsert" and _key(p.get("item_id")):
                self.catalog.add(p["item_id"])
            if str(ev.get("type", "")).startswith("signup.") and _key(p.get("activity_id")):
                self.activities.add(p["activity_id"])


CONSOLE_KIOSK_PREFIX = "CONSOLE-"  # the console's event source per site (db/console_sql.py)


class Batch:
    """One ingest transaction's working set. Balances, stock, sessions and redemptions are
    read once, changed in memory, and written once per touched row at ``flush``; journal
    entries (ids taken from ``_first_entry_id`` on) and exceptions are written in the order
    they were made. A backend subclasses it and fills in the ``_read_*`` and ``_write_*``
    methods; nothing else may write these tables in the transaction until ``flush``.
    """

    def __init__(self, kiosk_id: str, site_id: str, at: str, dirty: Dirty):
        self.kiosk_id, self.site_id, self.at, self.dirty = kiosk_id, site_id, at, dirty
        # The ledger's own reference rows the events name (read once per batch): who the
        # actors are, the activities of sign-ins, the catalog items redeemed or counted.
        self._people: dict[str, PersonFacts | None] = {}
        self._activities: dict[str, dict | None] = {}
        self._core_activities: dict[str, Activity | None] = {}
        self._items: dict[str, dict | None] = {}
        self._balances: dict[
            str, list[int]
        ] = {}  # volunteer -> [balance, minutes_total]; [] if no row yet
        self._balance_writes: dict[
            str, None
        ] = {}  # in first-write order, so new rows get the same rowids
        self._stock: dict[tuple[str, str], int | None] = {}
        self._stock_writes: dict[tuple[str, str], None] = {}
        self._journal: list[tuple] = []
        self._next_entry: int | None = None
        self._exceptions: list[tuple] = []
        self._sessions: dict[str, dict | None] = {}  # None: known not to exist
        self._new_sessions: dict[str, dict] = {}
        self._changed_sessions: dict[str, dict] = {}
        self._pending_session_keys: dict[
            str, set[str]
        ] = {}  # volunteer -> kiosks of unwritten sessions
        self._redemptions: dict[str, dict | None] = {}
        self._new_redemptions: dict[str, dict] = {}
        self._cancelled: dict[str, None] = {}
        # Volunteers with no session at any kiosk but this batch's when the batch began: this
        # transaction only adds sessions at this kiosk, so theirs cannot overlap another kiosk's.
        self._one_kiosk: set[str] = set()
        self._kiosks_of: dict[
            str, set[str]
        ] = {}  # volunteer -> kiosks in volunteer_kiosks (prefetched)
        self._new_pairs: dict[tuple[str, str], None] = {}  # (volunteer, kiosk) for volunteer_kiosks
        self._sessions_of: dict[str, set[str]] = {}  # volunteer -> ids of the sessions held
        # volunteer -> (lo, hi, days): every session of theirs at this kiosk that began
        # between t_in_ms lo and hi on one of these days (signed_in_at's date) is held (for the
        # daily cap)
        self._day_window: dict[str, tuple[int, int, frozenset[str]]] = {}

    # -- reading ahead ---------------------------------------------------------------------

    def prefetch(self, events: list[dict]) -> None:
        """Read what these events will look at, a few statements for the whole batch."""
        vids: set[str] = set()
        sids: set[str] = set()
        rids: set[str] = set()
        aids: set[str] = set()
        iids: set[str] = set()
        for ev in events:
            actor, p = ev.get("actor"), ev.get("payload")
            if type(actor) is str and text_ok(actor):
                vids.add(actor)
            if type(p) is dict:
                v = p.get("volunteer_id")
                if type(v) is str and text_ok(v):
                    vids.add(v)
                v = p.get("session_id")
                if type(v) is str and text_ok(v):
                    sids.add(v)
                v = p.get("redemption_id")
                if type(v) is str and text_ok(v):
                    rids.add(v)
                v = p.get("activity_id")
                if _key(v):
                    aids.add(v)
                v = p.get("item_id")
                if _key(v):
                    iids.add(v)
        unread = vids.difference(self._kiosks_of)
        for v in unread:
            self._kiosks_of[v] = set()
        for vid, kiosk in self._read_kiosks_of(sorted(unread)):
            self._kiosks_of[vid].add(kiosk)
        if not self._sessions and not self._new_sessions:  # nothing of this batch applied yet
            here = {self.kiosk_id}
            self._one_kiosk.update(v for v in unread if self._kiosks_of[v] <= here)
        sids.difference_update(self._sessions)
        rids.difference_update(self._redemptions)
        for s in sids:
            self._sessions[s] = None
        for row in self._read_sessions(sorted(sids)):
            self._hold(row)
            aids.add(row["activity_id"])
            vids.add(row["volunteer_id"])
        for r in rids:
            self._redemptions[r] = None
        for row in self._read_redemptions(sorted(rids)):
            self._redemptions[row["redemption_id"]] = row
        vids.difference_update(self._balances)
        for v in vids:
            self._balances[v] = []
        for vid, balance, minutes in self._read_balances(sorted(vids)):
            self._balances[vid] = [balance, minutes]
        self._read_reference(vids, aids, iids)
        self._prefetch_days(events)

    def _prefetch_days(self, events: list[dict]) -> None:
        """The sessions each closed session's daily cap counts (this kiosk's sessions of its
        volunteers around then), one read for the batch. A session signed in by this batch
        counts too: a day's sign-in and its sign-out usually travel in one batch, and without
        it every such sign-out would flush the batch's sessions and read again."""
        vids: set[str] = set()
        times: list[int] = []
        days: set[str] = set()
        # session id -> (volunteer, t_in_ms, signed_in_at), this batch's
        begun: dict[str, tuple[str, int, str]] = {}
        for ev in events:
            etype, p = ev.get("type"), ev.get("payload")
            if type(etype) is not str or type(p) is not dict:
                continue
            sid = p.get("session_id")
            if type(sid) is not str:
                continue
            if etype == "attendance.sign_in":
                actor = ev.get("actor")
                if _key(actor) and (t := _event_ms(ev)) is not None:
                    begun.setdefault(sid, (actor, t, ev["occurred_at"]))
                continue
            if etype not in _CLOSING:
                continue
            row = self._sessions.get(sid)
            if row is not None:
                if row["kiosk_id"] != self.kiosk_id:
                    continue
                vid, t_in, signed_in = row["volunteer_id"], row["t_in_ms"], row["signed_in_at"]
            elif sid in begun:
                vid, t_in, signed_in = begun[sid]
            else:
                continue
            if type(t_in) is not int:
                continue
            vids.add(vid)
            times.append(t_in)
            days.add(signed_in[:10])
            # A sign-out's cap counts the day it happens on, read around its own time.
            if (t := _event_ms(ev)) is not None:
                times.append(t)
                days.add(ev["occurred_at"][:10])
        if not vids:
            return
        # What ``credited_on`` asks of each of these times, and no more: the window holds
        # four days of sessions and the batch's closes ask about one or two of them.
        lo, hi = min(times) - _DAY_WINDOW_MS // 2, max(times) + _DAY_WINDOW_MS // 2
        held = frozenset(days)
        for row in self._read_sessions_window(sorted(vids), lo, hi, sorted(held)):
            self._hold(row)
        for v in vids:
            self._day_window[v] = (lo, hi, held)

    def credited_on(self, volunteer: str, day: str, near_ms: int, exclude: str) -> int:
        """Minutes credited to ``volunteer``'s closed sessions at this kiosk that began on
        ``day`` (YYYY-MM-DD as the kiosk wrote it), ``exclude`` aside: what the kiosk's own
        store counts for the daily cap. ``near_ms``: a time on that day (for the read)."""
        window = self._day_window.get(volunteer)
        lo, hi = near_ms - _DAY_WINDOW_MS // 2, near_ms + _DAY_WINDOW_MS // 2
        if window is None or lo < window[0] or hi > window[1] or day not in window[2]:
            self._flush_sessions()  # the read must see this batch's sessions
            for row in self._read_sessions_window([volunteer], lo, hi, [day]):
                self._hold(row)
            self._day_window[volunteer] = (lo, hi, frozenset((day,)))
        total = 0
        for sid in self._sessions_of.get(volunteer, ()):
            row = self._sessions[sid]
            if (
                row is not None
                and sid != exclude
                and row["kiosk_id"] == self.kiosk_id
                and row["status"] != "open"
                and row["signed_in_at"][:10] == day
            ):
                total += row["credited_minutes"] or 0
        return total

    def _read_reference(self, vids: set[str], aids: set[str], iids: set[str]) -> None:
        wanted = sorted(vids.difference(self._people))
        found = self._read_people(wanted)
        for v in wanted:
            self._people[v] = found.get(v)
        wanted = sorted(aids.difference(self._activities))
        found_a = self._read_activities(wanted)
        for a in wanted:
            self._activities[a] = found_a.get(a)
        wanted = sorted(iids.difference(self._items))
        found_i = self._read_items(wanted)
        for i in wanted:
            self._items[i] = found_i.get(i)

    def person(self, volunteer_id: str) -> PersonFacts | None:
        if volunteer_id not in self._people:
            self._read_reference({volunteer_id}, set(), set())
        return self._people[volunteer_id]

    def activity(self, activity_id: str) -> dict | None:
        if activity_id not in self._activities:
            self._read_reference(set(), {activity_id}, set())
        return self._activities[activity_id]

    def core_activity(self, activity_id: str) -> Activity | None:
        """The activity as the kiosk core knows it (``trust.activity_of``), once per batch."""
        try:
            return self._core_activities[activity_id]
        except KeyError:
            held = self._core_activities[activity_id] = trust.activity_of(
                self.activity(activity_id)
            )
            return held

    def catalog_item(self, item_id: str) -> dict | None:
        if item_id not in self._items:
            self._read_reference(set(), set(), {item_id})
        return self._items[item_id]

    # -- points, balances, stock ---------------------------------------------------------------

    def _balance(self, volunteer_id: str) -> list[int]:
        held = self._balances.get(volunteer_id)
        if held is None:
            rows = self._read_balances([volunteer_id])
            held = self._balances[volunteer_id] = [rows[0][1], rows[0][2]] if rows else []
        return held

    def add_balance(self, volunteer_id: str, points: int, minutes: int) -> int:
        held = self._balance(volunteer_id)
        if not held:
            held.extend((0, 0))
        held[0] += points
        held[1] += minutes
        self._balance_writes[volunteer_id] = None
        return held[0]

    def post(
        self,
        debit: str,
        credit: str,
        amount: int,
        memo: str,
        *,
        event_id: str | None = None,
        ref: str | None = None,
        reverses: int | None = None,
        minutes: int = 0,
    ) -> tuple[int | None, int | None]:
        """As module-level ``post``, in this batch."""
        entry = None
        if amount < 0:
            debit, credit, amount = credit, debit, -amount
        if amount:
            entry = self._entry_id()
            self._journal.append(
                (entry, event_id, debit, credit, amount, memo, ref, reverses, self.at)
            )
        balance = None
        for account, delta in ((credit, amount), (debit, -amount)):
            if account.startswith("volunteer:") and (delta or minutes):
                balance = self.add_balance(account[10:], delta, minutes)
        return entry, balance

    def add_stock(self, site_id: str, item_id: str, delta: int) -> int:
        key = (site_id, item_id)
        if key not in self._stock:
            self._stock[key] = self._read_stock(key)
        qty = (self._stock[key] or 0) + delta
        self._stock[key] = qty
        self._stock_writes[key] = None
        return qty

    def exception(
        self,
        kind: str,
        ref: str,
        *,
        volunteer_id: str | None = None,
        site_id: str | None = None,
        kiosk_id: str | None = None,
        event_id: str | None = None,
        detail: dict | None = None,
    ) -> None:
        self._exceptions.append(
            (
                kind,
                ref,
                volunteer_id,
                site_id,
                kiosk_id,
                event_id,
                dumps_sorted(detail or {}),
                self.at,
            )
        )

    # -- sessions and redemptions ----------------------------------------------------------------

    def _hold(self, row: dict) -> dict:
        """Keep a session row read from storage (the batch's own copy wins: it may be newer)."""
        sid = row["session_id"]
        held = self._sessions.get(sid)
        if held is None:
            self._sessions[sid] = held = row
        self._sessions_of.setdefault(held["volunteer_id"], set()).add(sid)
        return held

    def session(self, session_id: str) -> dict | None:
        if session_id not in self._sessions:
            rows = self._read_sessions([session_id])
            self._sessions[session_id] = None
            if rows:
                self._hold(rows[0])
        return self._sessions[session_id]

    def new_session(self, row: dict) -> None:
        self._sessions[row["session_id"]] = self._new_sessions[row["session_id"]] = row
        self._sessions_of.setdefault(row["volunteer_id"], set()).add(row["session_id"])
        volunteer, kiosk = row["volunteer_id"], row["kiosk_id"]
        self._pending_session_keys.setdefault(volunteer, set()).add(kiosk)
        known = self._kiosks_of.get(volunteer)
        if known is None or kiosk not in known:
            self._new_pairs[(volunteer, kiosk)] = None

    def changed_session(self, row: dict) -> None:
        if row["session_id"] not in self._new_sessions:
            self._changed_sessions[row["session_id"]] = row
        self._pending_session_keys.setdefault(row["volunteer_id"], set()).add(row["kiosk_id"])

    def overlapping(
        self, sid: str, volunteer: str, kiosk: str, t_in: int, t_out: int
    ) -> list[tuple]:
        """Sessions of ``volunteer`` at other kiosks than ``kiosk`` that overlap [t_in, t_out)."""
        if kiosk == self.kiosk_id and volunteer in self._one_kiosk:
            return []
        pending = self._pending_session_keys.get(volunteer)
        if pending and (len(pending) > 1 or kiosk not in pending):
            self._flush_sessions()  # the query must see them
        return self._read_overlapping(sid, volunteer, kiosk, t_in, t_out)

    def redemption(self, redemption_id: str) -> dict | None:
        if redemption_id not in self._redemptions:
            rows = self._read_redemptions([redemption_id])
            self._redemptions[redemption_id] = rows[0] if rows else None
        return self._redemptions[redemption_id]

    def new_redemption(self, row: dict) -> None:
        self._redemptions[row["redemption_id"]] = self._new_redemptions[row["redemption_id"]] = row

    def cancel_redemption(self, row: dict) -> None:
        row["status"] = "cancelled"
        if row["redemption_id"] not in self._new_redemptions:
            self._cancelled[row["redemption_id"]] = None

    def held_balances(self) -> dict[str, list[int]]:
        """After ``flush``: volunteer -> [balance, minutes_total] as the balances table holds them
        ([] for no row), for the volunteers this batch has read."""
        assert not self._balance_writes, "flush first"
        return self._balances

    # -- writing ---------------------------------------------------------------------------

    def _flush_sessions(self) -> None:
        if self._new_sessions or self._changed_sessions or self._new_pairs:
            self._write_sessions(
                list(self._new_sessions.values()),
                list(self._changed_sessions.values()),
                list(self._new_pairs),
            )
        for volunteer, kiosk in self._new_pairs:
            known = self._kiosks_of.get(volunteer)
            if known is not None:
                known.add(kiosk)
        self._new_pairs.clear()
        self._new_sessions.clear()
        self._changed_sessions.clear()
        self._pending_session_keys.clear()

    def flush(self) -> None:
        """Write what the batch changed: journal entries, balances and stock levels (in the
        order first touched), sessions, redemptions, exceptions."""
        self._write(
            self._journal,
            [(v, *self._balances[v]) for v in self._balance_writes],
            [(*k, self._stock[k]) for k in self._stock_writes],
        )
        self._journal = []
        self._next_entry = None
        self._balance_writes.clear()
        self._stock_writes.clear()
        self._flush_sessions()
        if self._new_redemptions or self._cancelled:
            self._write_redemptions(list(self._new_redemptions.values()), list(self._cancelled))
            self._new_redemptions.clear()
            self._cancelled.clear()
        if self._exceptions:
            self._write_exceptions(self._exceptions)
            self._exceptions = []

    # -- what a backend fills in -----------------------------------------------------------

    def _read_balances(self, volunteer_ids: list[str]) -> list[tuple[str, int, int]]:
        """(volunteer_id, balance, minutes_total) of those that have a balances row."""
        raise NotImplementedError

    def _read_kiosks_of(self, volunteer_ids: list[str]) -> list[tuple[str, str]]:
        """(volunteer_id, kiosk_id) for every kiosk each was ever signed in at."""
        raise NotImplementedError

    def _read_sessions(self, session_ids: list[str]) -> list[dict]:
        """Session rows (``SESSION_COLS``) of those that exist."""
        raise NotImplementedError

    def _read_redemptions(self, redemption_ids: list[str]) -> list[dict]:
        """Redemption rows (``REDEMPTION_COLS``) of those that exist."""
        raise NotImplementedError

    def _read_stock(self, key: tuple[str, str]) -> int | None:
        raise NotImplementedError

    def _read_overlapping(
        self, sid: str, volunteer: str, kiosk: str, t_in: int, t_out: int
    ) -> list[tuple[str, str]]:
        """(session_id, kiosk_id) of the volunteer's sessions at kiosks other than ``kiosk``,
        ``sid`` aside, overlapping [t_in, t_out) (an open session has no end), ordered by
        kiosk, start and id. Sessions this batch made are already written when asked."""
        raise NotImplementedError

    def _entry_id(self) -> int:
        """The id of the next new journal entry. By default the batch's first entry takes
        ``_first_entry_id`` and each next one +1 (a single writer); a backend with
        concurrent writers hands out ids of its own (PostgreSQL: a sequence)."""
        if self._next_entry is None:
            self._next_entry = self._first_entry_id()
        entry = self._next_entry
        self._next_entry += 1
        return entry

    def _first_entry_id(self) -> int:
        """The id the batch's first new journal entry gets (then +1 each)."""
        raise NotImplementedError

    def _write(self, journal: list[tuple], balances: list[tuple], stock: list[tuple]) -> None:
        """journal: (entry_id, event_id, debit, credit, amount, memo, ref, reverses, posted_at);
        balances: (volunteer_id, balance, minutes_total) set; stock: (site, item, qty) set."""
        raise NotImplementedError

    def _write_sessions(
        self, new: list[dict], changed: list[dict], pairs: list[tuple[str, str]]
    ) -> None:
        """Insert ``new``, update ``changed`` (end, figures, status, entry), and record the
        (volunteer, kiosk) ``pairs`` for ``_read_kiosks_of``."""
        raise NotImplementedError

    def _write_redemptions(self, new: list[dict], cancelled: list[str]) -> None:
        raise NotImplementedError

    def _write_exceptions(self, rows: list[tuple]) -> None:
        """(kind, ref, volunteer_id, site_id, kiosk_id, event_id, detail JSON, created_at);
        a (kind, ref) already listed is kept as it was."""
        raise NotImplementedError

    def _read_sessions_window(
        self, volunteer_ids: list[str], lo: int, hi: int, days: list[str]
    ) -> list[dict]:
        """Session rows (``SESSION_COLS``) at this batch's kiosk of these volunteers with
        ``lo <= t_in_ms <= hi`` and ``signed_in_at[:10]`` one of ``days``."""
        raise NotImplementedError

    def _read_people(self, ids: list[str]) -> dict[str, PersonFacts]:
        """Kind, status and (staff) sites of the roster entries with these ids."""
        raise NotImplementedError

    def _read_activities(self, ids: list[str]) -> dict[str, dict]:
        """The activities' data (as loaded: site_id, start, end, rule, ...)."""
        raise NotImplementedError

    def _read_items(self, ids: list[str]) -> dict[str, dict]:
        """The catalog items' data (cost, kind, names, owner_site, ...)."""
        raise NotImplementedError

    def put_catalog_item(self, item_id: str, data: dict) -> None:
        """Store the item and send it to the change feed (then ``catalog_item`` is ``data``)."""
        self._items[item_id] = data
        self._write_catalog_item(item_id, data)

    def _write_catalog_item(self, item_id: str, data: dict) -> None:
        raise NotImplementedError

    def person_kind(self, volunteer_id: str) -> str | None:
        """V or S for someone in the roster, else None."""
        raise NotImplementedError

    def signups(self, activity_id: str) -> list[tuple[str, str]]:
        """(volunteer_id, status) of those who hold a place or wait, in the order they came
        (PostgreSQL: locked against another batch's sign-ups for the activity first)."""
        raise NotImplementedError

    def put_signup(
        self, activity_id: str, volunteer_id: str, status: str, over_capacity: bool, event_id: str
    ) -> None:
        """A sign-up (again, after a withdrawal) at the end of the order: its ``ord`` is the
        highest yet. Written at once: nothing else of the batch reads this table."""
        raise NotImplementedError

    def set_signup_status(self, activity_id: str, volunteer_ids: list[str], status: str) -> None:
        raise NotImplementedError

    def mark_corrected(self, session_id: str) -> None:
        """我的记录 flags a session staff corrected."""
        raise NotImplementedError

    # -- events --------------------------------------------------------------------------------

    def apply(self, ev: dict) -> str | None:
        """Apply a well-formed event; None if accepted, else the reason it is rejected."""
        reason = HANDLERS[ev["type"]](Ctx(self, ev))
        if reason is not None:
            self.dirty.touch_event(ev)
        return reason


class Ctx:
    """One event being applied in a batch."""

    __slots__ = ("b", "ev")

    def __init__(self, b: Batch, ev: dict):
        self.b, self.ev = b, ev

    @property
    def kiosk_id(self) -> str:
        return self.b.kiosk_id

    @property
    def at(self) -> str:
        return self.b.at

    @property
    def p(self) -> dict:
        return self.ev["payload"]

    @property
    def site(self) -> str:
        """The site of the pushing kiosk: the only one its events may touch."""
        return self.b.site_id

    def staff_refusal(self) -> str | None:
        """Why this event's actor may not act as staff at the kiosk's site (None: they may)."""
        actor = self.ev["actor"]
        if self.kiosk_id.startswith(CONSOLE_KIOSK_PREFIX) and actor.startswith("account:"):
            # The staff console's own event source (staff/ledger_actions.py): no token
            # anyone holds pushes as it, and the console checked the account's role and
            # sites before it posted. Kiosk ids the ledger hands out never look like this.
            return None
        return trust.staff_refusal(actor, self.b.person(actor), self.site)

    def volunteer_refusal(self, volunteer_id: str) -> str | None:
        return trust.volunteer_refusal(volunteer_id, self.b.person(volunteer_id))

    def stock_move(self, move: moves.StockMove | None) -> None:
        if move is not None:
            self.stock(move.site_id, move.item_id, move.delta, move.reason)

    def stock(self, site_id: str, item_id: str, delta: int, why: str) -> None:
        qty = self.b.add_stock(site_id, item_id, delta)
        self.b.dirty.stock.add((site_id, item_id))
        if qty < 0:
            self.b.exception(
                "stock_below_zero",
                self.ev["id"],
                site_id=site_id,
                kiosk_id=self.kiosk_id,
                event_id=self.ev["id"],
                detail={"item_id": item_id, "qty": qty, "after": why},
            )


# -- attendance ---------------------------------------------------------------------------


def _sign_in(x: Ctx) -> str | None:
    p = x.p
    refused = (
        trust.site_refusal("a sign-in", p["site_id"], x.site)
        or trust.sign_in_refusal(p["activity_id"], x.b.activity(p["activity_id"]), x.site)
        or x.volunteer_refusal(x.ev["actor"])
    )
    if refused:
        return refused
    if x.b.session(p["session_id"]) is not None:
        return "a session with this id already exists"
    x.b.new_session(
        {
            "session_id": p["session_id"],
            "volunteer_id": x.ev["actor"],
            "kiosk_id": x.kiosk_id,
            "site_id": p["site_id"],
            "activity_id": p["activity_id"],
            "signed_in_at": x.ev["occurred_at"],
            "signed_out_at": None,
            "minutes": None,
            "credited_minutes": 0,
            "points": 0,
            "status": "open",
            "entry_id": None,
            "t_in_ms": occurred_ms(x.ev),
            "t_out_ms": None,
        }
    )
    return None


def _close_time_ms(x: Ctx, field: str = "closed_at") -> int:
    closed_at = x.p.get(field)
    if isinstance(closed_at, str):
        return occurred_ms(
            {"occurred_at": closed_at, "clock_offset_ms": x.ev.get("clock_offset_ms", 0)}
        )
    return occurred_ms(x.ev)


def _close(x: Ctx, status: str) -> str | None:
    row = x.b.session(x.p["session_id"])
    if row is None:
        return "unknown session: its sign-in is not in the ledger"
    volunteer, current = row["volunteer_id"], row["status"]
    if current != "open":
        return f"session already {current}"
    if x.p.get("volunteer_id", x.ev["actor"]) != volunteer:
        return "session belongs to another volunteer"
    if refused := _session_site(x, row) or _figures(x, row, status):
        return refused
    return _settle(x, row, status)


def _session_site(x: Ctx, row: dict) -> str | None:
    return trust.site_refusal("a session", row["site_id"], x.site)


def _figures(x: Ctx, row: dict, status: str) -> str | None:
    """Why the event's minutes, credited minutes and points are not the rule's (None: they
    are): the ledger works them out from its own activity and the session's times."""
    p, sid, volunteer = x.p, row["session_id"], row["volunteer_id"]
    try:
        signed_in = datetime.fromisoformat(row["signed_in_at"])
        now = datetime.fromisoformat(x.ev["occurred_at"])
    except (TypeError, ValueError):
        return "the session's times are not usable"
    activity = x.b.core_activity(row["activity_id"])
    if status == "closed":
        day, near = x.ev["occurred_at"][:10], occurred_ms(x.ev)
        credited = x.b.credited_on(volunteer, day, near, sid)
        return trust.sign_out_refusal(p, signed_in, now, trust.rule_of(activity), credited)
    credited = x.b.credited_on(volunteer, row["signed_in_at"][:10], row["t_in_ms"], sid)
    if status == "auto_closed":
        session = trust.OpenSession(sid, volunteer, row["activity_id"], signed_in)
        return trust.auto_close_refusal(p, session, activity, now, credited)
    out = p.get("signed_out_at")
    try:
        signed_out = datetime.fromisoformat(out) if type(out) is str else None
    except ValueError:
        signed_out = None
    if signed_out is None or signed_out.tzinfo is None:
        return "a correction must give the sign-out time staff set (signed_out_at)"
    return trust.correction_refusal(
        p, signed_in, signed_out, now, trust.rule_of(activity), credited
    )


def _settle(x: Ctx, row: dict, status: str) -> str | None:
    """Give the session its (new) figures. A correction reverses the earlier entry first."""
    volunteer, was, old_points, old_credited, old_entry = (
        row["volunteer_id"],
        row["status"],
        row["points"],
        row["credited_minutes"],
        row["entry_id"],
    )
    p, sid = x.p, x.p["session_id"]
    # A correction that sets the sign-out time moves the session's end, for overlap checks too.
    staff_set = status == "corrected" and type(p.get("signed_out_at")) is str
    try:
        t_out = _close_time_ms(x, "signed_out_at" if staff_set else "closed_at")
    except (ValueError, OverflowError, OSError):  # not a usable time: the event's own time
        staff_set = False
        t_out = occurred_ms(x.ev)
    # What the session moves is the shared rule's (the kiosk's projection counts the same);
    # the journal shows it as the earlier entry reversed and the new one posted.
    move = moves.session_move(
        volunteer,
        moves.Figures.held(old_points, old_credited),
        moves.Figures.of(p),
        moves.CORRECT if status == "corrected" else status,
    )
    balance = None
    if old_entry is not None:
        _, balance = x.b.post(
            vol(volunteer),
            ISSUED,
            old_points,
            "correction: reverse",
            event_id=x.ev["id"],
            ref=f"session:{sid}",
            reverses=old_entry,
        )
    entry, after = x.b.post(
        ISSUED,
        vol(volunteer),
        p["points"],
        status,
        event_id=x.ev["id"],
        ref=f"session:{sid}",
        minutes=move.minutes if move is not None else 0,
    )
    if move is not None and move.points < 0:  # a correction that takes points back
        _below_zero(
            x,
            volunteer,
            balance if after is None else after,
            {"delta": move.points, "cause": "attendance.correct"},
        )
    # What one UPDATE would do: a correction keeps a closed status; the first close time stays
    # unless staff set the sign-out time.
    if not (status == "corrected" and was != "open"):
        row["status"] = "closed" if status == "corrected" else status
    out = p.get("signed_out_at") or p.get("closed_at")
    if _null(out):
        out = x.ev["occurred_at"] if _null(row["signed_out_at"]) else row["signed_out_at"]
    row["signed_out_at"] = out
    if _null(row["t_out_ms"]) or staff_set:
        row["t_out_ms"] = t_out
    row["minutes"], row["credited_minutes"], row["points"], row["entry_id"] = (
        p["minutes"],
        p["credited_minutes"],
        p["points"],
        entry,
    )
    x.b.changed_session(row)
    x.b.dirty.volunteers.add(volunteer)
    _check_overlap(x, sid, volunteer, row["t_in_ms"], row["t_out_ms"], row["kiosk_id"])
    return None


def _check_overlap(x: Ctx, sid: str, volunteer: str, t_in: int, t_out: int, kiosk: str) -> None:
    """The same person on duty at two kiosks at once: listed for staff, both sessions kept."""
    for other, o_kiosk in x.b.overlapping(sid, volunteer, kiosk, t_in, t_out):
        a, b = sorted((sid, other))
        x.b.exception(
            "overlapping_sessions",
            f"{a}/{b}",
            volunteer_id=volunteer,
            kiosk_id=x.kiosk_id,
            event_id=x.ev["id"],
            detail={"sessions": [a, b], "kiosks": sorted({kiosk, o_kiosk})},
        )


def _sign_out(x: Ctx) -> str | None:
    return _close(x, "closed")


def _auto_close(x: Ctx) -> str | None:
    return _close(x, "auto_closed")


def _correct(x: Ctx) -> str | None:
    if refused := x.staff_refusal():
        return refused
    row = x.b.session(x.p["session_id"])
    if row is None:
        return "unknown session: its sign-in is not in the ledger"
    if refused := _session_site(x, row) or _figures(x, row, "corrected"):
        return refused
    reason = _settle(x, row, "corrected")
    if reason is None:
        x.b.mark_corrected(x.p["session_id"])
    return reason


# -- redemption and stock -------------------------------------------------------------------


def _redeem(x: Ctx) -> str | None:
    p, volunteer = x.p, x.ev["actor"]
    if refused := trust.site_refusal("a redemption", p["site_id"], x.site) or x.volunteer_refusal(
        volunteer
    ):
        return refused
    item = x.b.catalog_item(p["item_id"])
    if item is None:
        return f"unknown catalog item {p['item_id']}"
    if x.b.redemption(p["redemption_id"]) is not None:
        return "a redemption with this id already exists"
    # The price and whether stock moves are the catalog's, not the kiosk's word; a kiosk
    # that had an older price is charged the ledger's, and staff see the difference.
    cost, stocked = trust.redemption_terms(item)
    claimed = (p["cost"], bool(p.get("stocked", True)))
    if claimed != (cost, stocked):
        x.b.exception(
            "figure_recomputed",
            x.ev["id"],
            volunteer_id=volunteer,
            site_id=x.site,
            kiosk_id=x.kiosk_id,
            event_id=x.ev["id"],
            detail={
                "reason": f"the kiosk sent cost {claimed[0]}, stocked {claimed[1]}; the catalog"
                f" says cost {cost}, stocked {stocked}: the catalog's figures were used",
                "item_id": p["item_id"],
                "cost": cost,
            },
        )
    spent, taken = moves.redeem_moves(volunteer, {**p, "cost": cost, "stocked": stocked})
    entry, balance = x.b.post(
        REDEEMED,
        vol(volunteer),
        spent.points,
        "redeem",
        event_id=x.ev["id"],
        ref=f"redemption:{p['redemption_id']}",
    )
    x.b.new_redemption(
        {
            "redemption_id": p["redemption_id"],
            "volunteer_id": volunteer,
            "kiosk_id": x.kiosk_id,
            "site_id": p["site_id"],
            "item_id": p["item_id"],
            "cost": cost,
            "stocked": int(taken is not None),
            "status": "done",
            "entry_id": entry or 0,
        }
    )
    x.b.dirty.volunteers.add(volunteer)
    # Two kiosks offline at once can each spend the same points: the goods were handed
    # over, so the ledger records the redemption and lists the overdraft for staff.
    _below_zero(
        x,
        volunteer,
        balance,
        {"cost": cost, "offline": bool(p.get("offline"))},
        site_id=p["site_id"],
    )
    x.stock_move(taken)
    return None


def _cancel(x: Ctx) -> str | None:
    p = x.p
    if refused := x.staff_refusal():
        return refused
    row = x.b.redemption(p["redemption_id"])
    if row is None:
        return "unknown redemption"
    if refused := trust.site_refusal("a redemption", row["site_id"], x.site):
        return refused
    volunteer, site_id, item_id, cost, status, entry = (
        row["volunteer_id"],
        row["site_id"],
        row["item_id"],
        row["cost"],
        row["status"],
        row["entry_id"],
    )
    if status != "done":
        return f"redemption already {status}"
    redeemed = moves.Redeemed(volunteer, site_id, item_id, cost, stocked=bool(row["stocked"]))
    refund, back = moves.cancel_moves(redeemed, p)
    x.b.post(
        REDEEMED,
        vol(volunteer),
        refund.points,
        "cancel",
        event_id=x.ev["id"],
        ref=f"redemption:{p['redemption_id']}",
        reverses=entry or None,
    )
    x.b.cancel_redemption(row)
    x.b.dirty.volunteers.add(volunteer)
    # The shared rule (the kiosk's projection counts the same): what the redemption took off
    # the shelf, as the ledger recorded it, comes back unless staff said it does not.
    x.stock_move(back)
    return None


def _stock_refusal(x: Ctx) -> str | None:
    p = x.p
    if refused := trust.site_refusal("stock", p["site_id"], x.site) or x.staff_refusal():
        return refused
    if x.b.catalog_item(p["item_id"]) is None:
        return f"unknown catalog item {p['item_id']}"
    return None


def _stock_change(x: Ctx) -> str | None:
    """A restock or a count (stock.adjust): the shared rule's move."""
    if refused := _stock_refusal(x):
        return refused
    x.stock_move(moves.stock_move(x.ev["type"], x.p))
    return None


def _points_adjust(x: Ctx) -> str | None:
    move = moves.points_adjust_move(x.p)
    volunteer, delta = move.volunteer_id, move.points
    if refused := x.staff_refusal() or x.volunteer_refusal(volunteer):
        return refused
    _, balance = x.b.post(
        ADJUSTMENTS,
        vol(volunteer),
        delta,
        "adjust",
        event_id=x.ev["id"],
        ref=f"adjust:{x.ev['id']}",
    )
    x.b.dirty.volunteers.add(volunteer)
    if delta < 0:
        _below_zero(x, volunteer, balance, {"delta": delta, "cause": "points.adjust"})
    return None


def _below_zero(
    x: Ctx, volunteer: str, balance: int | None, detail: dict[str, Any], site_id: str | None = None
) -> None:
    """Any event that leaves a balance below zero is kept and listed for staff as an overdraft:
    two offline redemptions, or staff taking back points spent meanwhile at another kiosk."""
    if balance is not None and balance < 0:
        x.b.exception(
            "overdraft",
            x.ev["id"],
            volunteer_id=volunteer,
            site_id=site_id,
            kiosk_id=x.kiosk_id,
            event_id=x.ev["id"],
            detail={"balance": balance, **detail},
        )


def _catalog_upsert(x: Ctx) -> str | None:
    p = x.p
    if refused := x.staff_refusal():
        return refused
    held = x.b.catalog_item(p["item_id"])
    if refused := trust.catalog_refusal(p["item_id"], held, x.site):
        return refused
    data = dict(held or {"item_id": p["item_id"], "site_id": x.site})
    data.update({k: v for k, v in p.items() if k in trust.KIOSK_CATALOG_FIELDS})
    x.b.put_catalog_item(p["item_id"], data)
    return None


def _staff_session(x: Ctx) -> str | None:
    # Kept in the events table: the trail of who had staff mode open, when.
    return x.staff_refusal()


# -- sign-up ----------------------------------------------------------------------------


def places_from(capacity: int, rows: list[tuple[str, str]]) -> Places:
    """An activity's places from its sign-up rows ((volunteer_id, status), in order)."""
    return Places(
        capacity,
        tuple(v for v, st in rows if st == "confirmed"),
        tuple(v for v, st in rows if st == "waiting"),
    )


def activity_feed(data: dict, rows: list[tuple[str, str]], as_of: dict) -> dict:
    """An activity's change-feed row: its data with who holds a place (``signup``) and who
    waits (``waiting``, in order), and ``as_of`` (each kiosk's acked seq the lists include)."""
    places = places_from(int(data.get("capacity") or 0), rows)
    return {**data, "signup": sorted(places.confirmed), "waiting": list(places.waiting),
            "as_of": as_of}  # fmt: skip


def stored_activity(data: dict) -> dict:
    """What the ledger keeps of an activity staff sent: the lists are its own."""
    return {k: v for k, v in data.items() if k not in ("waiting", "as_of")}


def _activity_for_signup(x: Ctx) -> tuple[dict | None, str | None]:
    act = x.b.activity(x.p["activity_id"])
    if act is None:
        return None, "unknown activity"
    if act.get("general"):
        return None, "general duty takes no sign-ups"
    if act.get("site_id") != x.p["site_id"]:
        return None, f"activity is at {act.get('site_id')}, not {x.p['site_id']}"
    if x.b.person_kind(x.ev["actor"]) != "V":
        return None, "the actor is not a volunteer in the roster"
    try:
        start_ms = int(datetime.fromisoformat(act["start"]).timestamp() * 1000)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None, "the activity has no start time"
    if occurred_ms(x.ev) >= start_ms:  # made after the start, by the kiosk's (offset) clock
        return None, "sign-up closes when the activity starts"
    return act, None


def _signup_add(x: Ctx) -> str | None:
    """A place while there is one, else the waiting list. A place the kiosk gave that the
    ledger no longer has (two kiosks offline) joins the waiting list: over_capacity."""
    act, reason = _activity_for_signup(x)
    if act is None:
        return reason
    aid, vid = x.p["activity_id"], x.ev["actor"]
    places = places_from(int(act.get("capacity") or 0), x.b.signups(aid))
    verdict = sign_up(places, vid, kiosk_gave_place=not x.p.get("waitlisted", False))
    if not isinstance(verdict, SignedUp):
        return None  # already holds a place or waits (staff added them meanwhile): nothing to do
    status = "waiting" if verdict.waitlisted else "confirmed"
    x.b.put_signup(aid, vid, status, verdict.over_capacity, x.ev["id"])
    if verdict.over_capacity:
        x.b.exception(
            "over_capacity",
            x.ev["id"],
            volunteer_id=vid,
            site_id=act.get("site_id"),
            kiosk_id=x.kiosk_id,
            event_id=x.ev["id"],
            detail={
                "activity_id": aid,
                "capacity": places.capacity,
                "confirmed": len(places.confirmed),
                "waiting_position": verdict.position,
            },
        )
    x.b.dirty.activities.add(aid)
    return None


def _signup_withdraw(x: Ctx) -> str | None:
    act, reason = _activity_for_signup(x)
    if act is None:
        return reason
    aid, vid = x.p["activity_id"], x.ev["actor"]
    verdict = withdraw(places_from(int(act.get("capacity") or 0), x.b.signups(aid)), vid)
    if not isinstance(verdict, Withdrawn):
        return None  # nothing held here (staff took them off meanwhile): nothing to do
    x.b.set_signup_status(aid, [vid], "withdrawn")
    if verdict.promoted:  # off the waiting list, into the freed place
        x.b.set_signup_status(aid, list(verdict.promoted), "confirmed")
    x.b.dirty.activities.add(aid)
    return None


HANDLERS = {
    "attendance.sign_in": _sign_in,
    "attendance.sign_out": _sign_out,
    "attendance.auto_close": _auto_close,
    "attendance.correct": _correct,
    "redemption.create": _redeem,
    "redemption.cancel": _cancel,
    "stock.restock": _stock_change,
    "stock.adjust": _stock_change,
    "points.adjust": _points_adjust,
    "catalog.upsert": _catalog_upsert,
    "staff.session_open": _staff_session,
    "staff.session_close": _staff_session,
    "signup.add": _signup_add,
    "signup.withdraw": _signup_withdraw,
}


# -- the protocol -------------------------------------------------------------------------


class IngestTx(Protocol):
    """A backend's open ingest transaction (see db/base.py for what it must guarantee)."""

    def kiosk(self, kiosk_id: str) -> tuple[int, str]:
        """The kiosk's (acked_seq, site_id), locking the kiosk against a concurrent batch of
        its own until the transaction ends."""

    def held(self, kiosk_id: str, lo: int, hi: int) -> dict[int, tuple[str, str, str]]:
        """seq -> (event id, digest, status) for the seqs lo..hi the ledger holds: events
        (status accepted or rejected) and conflicts (status "conflict")."""

    def known_ids(self, ids: list[str]) -> set[str]:
        """Which of these event ids are stored (at any kiosk)."""

    def batch(self, kiosk_id: str, site_id: str, at: str, dirty: Dirty) -> Batch: ...

    def add_events(self, rows: list[tuple]) -> None:
        """(kiosk_id, seq, id, type, occurred_at, clock_offset_ms, actor, payload JSON,
        received_at, status, reason, digest), in seq order."""

    def add_conflict(
        self, kiosk_id: str, seq: int, event_id: str, body: str, digest: str, at: str
    ) -> None: ...

    def set_acked(self, kiosk_id: str, acked: int) -> None: ...

    def emit_dirty(self, dirty: Dirty, batch: Batch) -> None:
        """Change-feed rows for the balances, stock levels and activities' sign-up lists in
        ``dirty``, with ``as_of`` (each kiosk's acked_seq as it will be after this transaction)."""


def _text(v: Any) -> str:
    """A top-level event field as the events table keeps it: a string as is, anything else as text."""
    if type(v) is str:
        return v
    if type(v) in (list, dict):
        return dumps_sorted(v)
    return str(v)


def row_text(ev: dict, payload: str | None) -> tuple[str, str, int, str, str]:
    """(type, occurred_at, clock_offset_ms, actor, payload) of the events row. ``payload`` is the
    payload's text, or None for an event whose text cannot be stored as sent: that one is stored
    in its sanitized form."""
    if payload is not None:
        etype, occurred, actor = ev.get("type"), ev.get("occurred_at"), ev.get("actor")
        if type(etype) is str and type(occurred) is str and type(actor) is str:
            return etype, occurred, stored_offset(ev), actor, payload  # _text keeps them as is
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
        dumps_sorted(ev.get("payload")),
    )


def ingest(
    tx: IngestTx, kiosk_id: str, events: list[Any], received_at: str
) -> tuple[list[dict[str, Any]], int]:
    """Apply a batch in seq order inside ``tx``; returns (results, acked_seq). Every event
    must have a slot (see ``validate.slot``); the caller refuses the batch otherwise."""
    ordered = sorted(events, key=lambda e: e["seq"])
    results: list[dict[str, Any]] = []
    acked, site_id = tx.kiosk(kiosk_id)
    start = acked
    old = [e["seq"] for e in ordered if e["seq"] <= acked]
    held = tx.held(kiosk_id, min(old), max(old)) if old else {}
    known_ids = tx.known_ids([e["id"] for e in ordered if e["seq"] > acked])
    dirty = Dirty()
    batch = tx.batch(kiosk_id, site_id, received_at, dirty)
    batch.prefetch([e for e in ordered if e["seq"] > acked])
    rows: list[tuple] = []
    for ev in ordered:
        eid, seq = ev["id"], ev["seq"]
        digest, fault, payload = digest_and_fault(ev)
        if seq <= acked:
            results.append(_again(batch, kiosk_id, ev, digest, held.get(seq), fault))
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
            dirty.touch_event(ev)  # the kiosk counted it; the ledger's figures must win there
            body = dumps_sorted(sanitized(ev) if fault else ev)
            tx.add_conflict(kiosk_id, seq, eid, body, digest, received_at)
            reason = "this event id is already stored with other content"
            batch.exception(
                "conflict",
                f"{kiosk_id}/{seq}",
                kiosk_id=kiosk_id,
                event_id=eid,
                detail={"reason": reason, "seq": seq},
            )
            results.append({"id": eid, "seq": seq, "status": "conflict", "reason": reason})
            continue
        known_ids.add(eid)
        reason = check(ev, kiosk_id) or fault
        if reason is None:
            reason = batch.apply(ev)
        else:
            dirty.touch_event(ev)
        status = "accepted" if reason is None else "rejected"
        rows.append(
            (kiosk_id, seq, eid, *row_text(ev, payload), received_at, status, reason, digest)
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
    tx.add_events(rows)
    if acked != start:
        tx.set_acked(kiosk_id, acked)
        tx.emit_dirty(dirty, batch)
    return results, acked


def _again(
    batch: Batch,
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
