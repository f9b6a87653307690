"""The ledger's storage interface: everything above ``db/`` talks to a ``LedgerDB`` and
never sees SQL, a connection or a cursor. ``open_db(url)`` picks the backend.

What a backend must guarantee (the tests in tests/ledger/test_db_contract.py hold every
backend to it; DESIGN section 6 says why):

Ingest (``LedgerDB.ingest``)
  - One batch is one transaction: the events rows, every effect on the projections
    (journal, balances, stock, sessions, redemptions, exceptions), the kiosk's
    ``acked_seq`` and the change-feed rows commit together or not at all. A failure
    (killed process, lost connection) leaves nothing of the batch behind.
  - Per kiosk, batches apply one at a time in ``seq`` order: two pushes of one kiosk
    that arrive at once (a retry overtaking a slow first attempt, two API processes)
    never interleave. SQLite has one writer; PostgreSQL must lock the kiosk's row
    (``SELECT ... FROM kiosks WHERE kiosk_id = %s FOR UPDATE``) before reading
    ``acked_seq``.
  - Per volunteer, balances and sessions change one transaction at a time: two kiosks'
    batches touching one volunteer serialise on that volunteer (PostgreSQL:
    ``pg_advisory_xact_lock`` on a hash of the volunteer id, taken in sorted order so
    two batches never deadlock), so an overdraft check and an overlap check see every
    earlier commit. Stock per (site, item) likewise.
  - Idempotent: an event id already held with the same digest is a ``duplicate`` and
    changes nothing; the same id with other content is a ``conflict`` kept apart, never
    overwriting the original. Journal entries are never updated or deleted (the
    schema refuses it: a trigger on each backend), a correction is a new entry.
  - The result of a batch is a pure function of the database before it and the batch:
    the same on every backend, row for row (the shared ingest code in ``db/ingest.py``
    decides; a backend only reads and writes rows).

The change feed (``LedgerDB.changes_since``)
  - Each (kind, key) appears once, at the cursor of its latest change; a cursor is a
    number that only grows. A reader that has seen cursor ``c`` must later see every
    change committed after it, so a row must never become visible with a cursor below
    one a reader may already have seen: SQLite gets that from its single writer;
    PostgreSQL must take cursors in commit order (for instance a transaction-level
    advisory lock held from taking the cursor to commit, or cursors handed out by a
    single sequence under that lock).
  - A cursor from another database or another epoch (a restored backup) answers
    ``reset: true`` and the full snapshot.

Reads
  - Reports (exports, the staff console), the change feed, a volunteer's figures and
    token checks read a committed snapshot without waiting for a writer and without
    blocking one (SQLite: WAL readers on their own connections; PostgreSQL: plain
    reads, REPEATABLE READ for a report that reads several tables).
  - Every method may be called from several threads at once (the API runs blocking
    work in a thread pool). Methods block; callers keep them off the event loop.

Ids, upserts, triggers, JSON columns and cursors are each backend's own business: no
caller may depend on how they are made.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol


class EnrollError(Exception):
    """code: unknown | used | expired | site_mismatch"""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class UnknownKiosk(KeyError):
    pass


@dataclass(frozen=True)
class KioskRow:
    kiosk_id: str
    name: str
    site_id: str
    acked_seq: int
    enrolled_at: str = ""
    revoked_at: str | None = None  # set: its token is refused (its accepted events stay)
    revoked_reason: str = ""
    last_push_at: str | None = None  # when the ledger last stored an event of it

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


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


@dataclass(frozen=True)
class Person:
    """A row of the roster as staff tools see it (kiosks get fewer fields)."""

    volunteer_id: str
    kind: str  # V volunteer, S staff
    display_name: str
    team: str
    status: str
    card_version: int
    izhiyuan_id: str | None = None


class StaffRead(Protocol):
    """One consistent snapshot for staff tools and reports (``LedgerDB.read()``).
    Rows come back as plain Python values: dicts, tuples, dataclasses above."""

    def people(self) -> list[Person]: ...
    def phones(self) -> dict[str, str]: ...
    # The rows a file names, read in chunks through an index (a district holds 200,000
    # people: a roster preview or one edit must not read them all).
    def people_of(self, ids: list[str]) -> list[Person]: ...
    def phones_of(self, ids: list[str]) -> dict[str, str]: ...
    def phone_owners(self, phones: list[str]) -> dict[str, str]:
        """Who holds each of these phone numbers: {phone: volunteer_id}."""

    def izhiyuan_owners(self, izhiyuan_ids: list[str]) -> dict[str, str]:
        """Who holds each of these i志愿 ids: {izhiyuan_id: volunteer_id}."""

    def last_v_number(self) -> int:
        """The highest ledger-made number (V000123 is 123), 0 when there is none."""

    def sites(self) -> dict[str, dict[str, Any]]: ...
    def activities(self) -> list[dict[str, Any]]: ...
    def activity_ids(self, prefix: str) -> set[str]: ...
    def catalog(self) -> dict[str, dict[str, Any]]: ...
    def catalog_item(self, item_id: str) -> dict[str, Any] | None: ...
    def stock(self) -> dict[tuple[str, str], int]: ...
    def image(self, item_id: str) -> tuple[bytes, str] | None: ...
    # What the month's 台账 reads (``staff/exports.py``).
    def sessions_from(self, lo: str, hi: str) -> list[dict[str, Any]]: ...
    def corrected_sessions(self) -> set[str]: ...
    def overlapping_sessions(self) -> set[str]: ...
    def journal(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Journal entries whose time (the event's, else the posting's) sorts in [lo, hi),
        each with its kiosk event's time, kiosk, actor and reason (``staff_sql.JOURNAL_KEYS``)."""

    def accepted_events(self, types: tuple[str, ...], lo: str, hi: str) -> list[dict]: ...
    # The month's rows only: a district's ledger holds years of them.
    def redemptions(self, ids: list[str]) -> dict[str, tuple[str, str, str, bool, int]]:
        """redemption_id -> (status, site_id, item_id, stocked: it took one off the shelf, the
        cost the ledger charged), for these redemptions."""

    def stock_settings(self, lo: str, hi: str) -> list[tuple]: ...
    def exception_rows(self, lo: str, hi: str) -> list[tuple]: ...
    # A volunteer's record (我的记录), sign-up lists and certificates (``staff/records.py``).
    def volunteer_sessions(self, volunteer_id: str) -> list[dict[str, Any]]: ...
    def volunteer_moves(self, volunteer_id: str, limit: int) -> list[dict[str, Any]]: ...
    def minutes_totals(self, ids: list[str]) -> dict[str, int]: ...
    def signup_people(self, activity_ids: list[str]) -> dict[str, list[dict[str, Any]]]: ...
    def certificate(self, number: str) -> dict[str, Any] | None: ...
    def certificates(self, volunteer_id: str | None = None) -> list[dict[str, Any]]: ...


class StaffWrite(StaffRead, Protocol):
    """One write transaction for staff tools (``LedgerDB.write()``). Every change a kiosk
    must hear of goes to the change feed in the same transaction (the backend's business)."""

    def put_people(self, people: list[Person], at: str) -> None: ...
    def put_phones(self, phones: list[tuple[str, str]], at: str) -> None: ...
    def reissue_card(self, volunteer_id: str, at: str, reason: str) -> int: ...
    def put_activity(self, activity: dict[str, Any], at: str) -> None: ...
    def put_catalog_item(self, item_id: str, data: dict[str, Any]) -> None: ...
    def put_image(self, item_id: str, png: bytes, sha256: str, at: str) -> None: ...
    def set_stock(self, site_id: str, item_id: str, qty: int, note: str, at: str) -> int: ...
    def certificate_serial(self, prefix: str) -> int:
        """The next serial for a certificate number starting ``prefix``, never given twice."""

    def record_certificate(self, row: dict[str, Any]) -> None: ...
    def put_setting(self, key: str, value: str, *, to_kiosks: bool = False) -> None: ...


class LedgerDB(Protocol):
    """The whole of the ledger's storage (see the module's docstring for the guarantees)."""

    url: str

    def close(self) -> None: ...
    @property
    def closed(self) -> bool:
        """True once ``close()`` ran: background writers stop rather than retry."""

    def start_maintenance(self) -> Any:
        """Background upkeep while serving (SQLite: WAL checkpoints); ``.set()`` stops it."""

    # -- settings and secrets
    def meta(self, key: str) -> str | None: ...
    def set_meta(self, **values: str | None) -> None: ...
    @property
    def public_key(self) -> str: ...
    def set_keys(self, public_key: str, private_key_path: str) -> None: ...
    def set_admin_token(self, token: str) -> None: ...
    def is_admin(self, token: str | None) -> bool: ...
    def new_feed_epoch(self) -> None:
        """Every kiosk's cursor becomes unknown (after a restore): each gets a reset."""

    # -- kiosks
    def create_enrollment_code(self, site_id: str, now: datetime, ttl: timedelta) -> str: ...
    def enroll(
        self, code: str, kiosk_name: str, now: datetime, site_id: str | None = None
    ) -> Enrolled: ...
    def kiosk_for_token(self, token: str | None) -> KioskRow | None:
        """The kiosk a token belongs to, revoked ones included (callers check ``revoked``)."""

    def kiosks(self) -> list[KioskRow]: ...
    def revoke_kiosk(self, kiosk_id: str, now: datetime, reason: str = "") -> KioskRow: ...
    def site_ids(self) -> list[str]: ...

    # -- reference data and events
    def load_reference(self, changes: list[dict[str, Any]], now: datetime) -> int: ...
    def ingest(
        self,
        kiosk_id: str,
        events: list[Any],
        now: datetime,
        contact: tuple[str, dict[str, Any] | None] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Apply a batch (db/ingest.py). ``contact``: (at, report) of the push, written as
        ``put_kiosk_report`` would, in the same transaction (one commit per push, not two)."""

    def ingest_console(
        self, site_id: str, event: dict[str, Any], now: datetime, also: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One event from the staff console at ``site_id``, through ``ingest`` as the
        site's console kiosk (made on first use), taking that kiosk's next seq inside the
        same transaction: two serve processes never give two events one seq. ``also(w,
        event, result)`` runs in that transaction too, with a ConsoleWrite (the audit entry
        and an exception's resolution commit with the change, or not at all). Returns
        (the event as stored, its result)."""

    # -- reads (never wait for the writer)
    def changes_since(self, cursor: str | None, limit: int) -> ChangePage: ...
    def volunteer(self, volunteer_id: str) -> dict[str, Any] | None: ...
    def balances(self) -> dict[str, int]: ...
    def stock_levels(self) -> dict[tuple[str, str], int]: ...
    def journal_balances(self) -> dict[str, int]: ...
    def events(self, kiosk_id: str | None = None) -> list[dict[str, Any]]: ...
    def exceptions(self, kind: str | None = None) -> list[dict[str, Any]]: ...
    def site_exceptions(
        self, site_id: str, kind: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]: ...
    def counts(self) -> dict[str, int]: ...
    def health(self) -> dict[str, int]:
        """What ``/v1/health`` says of the database, from the kiosks table alone (a few rows,
        whatever the ledger holds): ``kiosks`` enrolled, ``acked_events`` (their acked seqs:
        every event the ledger acknowledged to a kiosk). ``counts`` walks whole tables."""

    # -- staff tools
    def read(self) -> AbstractContextManager[StaffRead]: ...
    def write(self) -> AbstractContextManager[StaffWrite]: ...

    # -- the staff console (``db/console.py``)
    def console_read(self) -> AbstractContextManager[Any]: ...
    def console_write(self) -> AbstractContextManager[Any]: ...
