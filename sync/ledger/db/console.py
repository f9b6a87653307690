"""The staff console's part of the storage interface: accounts, sessions, sign-in failures,
the audit journal, kiosk health, the roster search, exception resolutions, and what each
console page reads.

``LedgerDB.console_read()`` gives a ``ConsoleRead`` over one committed snapshot;
``LedgerDB.console_write()`` a ``ConsoleWrite`` in one write transaction. Both backends run
the same statements (``db/console_sql.py``) but where their SQL differs (index hints, JSON,
string functions). Rows come back as plain Python values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sync.ledger.staff.roles import Account

MASKED = "***"
SECRET_KEYS = ("password", "password_hash", "pin", "pin_hash", "token", "secret", "csrf")


def mask(data: Any) -> Any:
    """What the audit journal keeps of a value: secrets replaced by ***."""
    if isinstance(data, dict):
        return {
            k: (MASKED if any(s in str(k).lower() for s in SECRET_KEYS) else mask(v))
            for k, v in data.items()
        }
    if isinstance(data, list | tuple):
        return [mask(v) for v in data]
    return data


@dataclass(frozen=True)
class StoredAccount:
    account: Account
    password_hash: str
    created_at: str
    password_changed_at: str


@dataclass(frozen=True)
class AuditEntry:
    audit_id: int
    at: str
    actor: str
    action: str
    target: str
    site_id: str | None
    before: Any
    after: Any


@dataclass(frozen=True)
class KioskReport:
    """The last contact with a kiosk, and what its last push said of its queue."""

    kiosk_id: str
    contact_at: str  # its last push or pull
    pending: int | None
    oldest_pending_s: int | None
    clock_offset_ms: int | None
    software: str
    status_at: str | None  # when the figures above were reported


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None  # a code, or a prefix ending in "." (``ledger.stock.``)
    target: str | None = None
    site_id: str | None = None
    since: str | None = None  # ISO times, ``at >= since`` and ``at < until``
    until: str | None = None
    before_id: int | None = None  # paging: entries older than this one


class ConsoleRead(Protocol):
    # -- accounts and sign-in
    def account(self, account_id: int) -> StoredAccount | None: ...
    def account_by_name(self, name_key: str) -> StoredAccount | None: ...
    def accounts(self) -> list[StoredAccount]: ...
    def session(self, token_hash: str, now: str) -> tuple[StoredAccount, str] | None:
        """The account and CSRF token of a live session (not ended, not expired)."""

    def login_failures(self, name_key: str) -> tuple[int, str | None]: ...

    # -- audit and kiosk health
    def audit_entries(self, where: AuditFilter, limit: int = 100) -> list[AuditEntry]: ...
    def audit_actions(self) -> list[str]: ...
    def kiosk_reports(self) -> dict[str, KioskReport]: ...

    # -- what the pages show; ``site_ids`` None means every site. Each reads through an
    # index bounded by the page's own size (a day, a search's first rows), never the
    # ledger's: a district holds 200,000 people and ten million events.
    def sessions_between(
        self, lo_ms: int, hi_ms: int, site_ids: list[str] | None = None
    ) -> list[dict[str, Any]]: ...
    def day_counts(self, lo_ms: int, hi_ms: int) -> dict[str, dict[str, int]]: ...
    def open_sessions(self, site_ids: list[str] | None = None) -> list[dict[str, Any]]: ...
    def volunteer_sessions(self, volunteer_id: str, lo_ms: int, hi_ms: int) -> list[dict]: ...
    def session_row(self, session_id: str) -> dict[str, Any] | None: ...
    def activities_starting(
        self,
        lo: str,
        hi: str,
        site_ids: list[str] | None = None,
        general: bool = True,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]: ...
    def activity(self, activity_id: str) -> dict[str, Any] | None: ...
    def catalog_data(self, item_id: str) -> dict[str, Any] | None: ...
    def latest_certificate(self, volunteer_id: str) -> dict[str, Any] | None: ...
    def activity_titles(self, ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def names(self, ids: list[str]) -> dict[str, str]: ...
    def search_volunteers(self, q: str, limit: int = 20) -> list[dict[str, Any]]: ...
    def search_is_stale(self) -> bool: ...
    def people_rows(self, ids: list[str]) -> list[dict[str, Any]]: ...
    def card_versions(self, volunteer_id: str) -> list[dict[str, Any]]: ...
    def volunteer_redemptions(self, volunteer_id: str) -> list[dict[str, Any]]: ...
    def journal_entries(self, entry_ids: list[int]) -> list[dict[str, Any]]: ...
    def exception_list(
        self, kind: str | None, site_ids: list[str] | None, open_only: bool, limit: int = 200
    ) -> list[dict[str, Any]]: ...
    def exception_counts(self, site_ids: list[str] | None) -> dict[str, int]: ...
    def exception_row(self, exception_id: int) -> dict[str, Any] | None: ...
    def session_totals(self, lo_ms: int, hi_ms: int, site_ids: list[str] | None) -> dict: ...
    def session_totals_by(
        self, lo_ms: int, hi_ms: int, site_ids: list[str] | None, by: str
    ) -> list[tuple[str, dict]]: ...
    def event_payload(self, event_id: str) -> dict[str, Any] | None: ...
    def redemption_row(self, redemption_id: str) -> dict[str, Any] | None: ...
    def staff_people(self) -> list[dict[str, Any]]: ...
    def sites(self) -> dict[str, dict[str, Any]]: ...
    def stock_history(self, site_ids: list[str] | None, limit: int = 100) -> list[dict]: ...


class ConsoleWrite(ConsoleRead, Protocol):
    def put_kiosk_report(self, kiosk_id: str, at: str, report: dict[str, Any] | None) -> None:
        """Contact from a kiosk at ``at``; with a report (a push), its queue and clock too."""

    def add_account(
        self,
        name: str,
        name_key: str,
        display_name: str,
        role: str,
        sites: list[str],
        password_hash: str,
        staff_id: str | None,
        at: str,
    ) -> int: ...
    def update_account(
        self,
        account_id: int,
        *,
        display_name: str,
        role: str,
        sites: list[str],
        active: bool,
        staff_id: str | None,
    ) -> None: ...
    def set_password_hash(self, account_id: int, password_hash: str, at: str) -> None: ...
    def add_session(
        self, token_hash: str, account_id: int, csrf: str, at: str, expires_at: str
    ) -> None: ...
    def end_session(self, token_hash: str, at: str) -> None: ...
    def end_sessions_of(self, account_id: int, at: str, keep: str | None = None) -> int: ...
    def login_failed(self, name_key: str, at: str) -> int: ...
    def login_succeeded(self, name_key: str) -> None: ...
    def audit(
        self,
        at: str,
        actor: str,
        action: str,
        target: str = "",
        site_id: str | None = None,
        before: Any = None,
        after: Any = None,
    ) -> int:
        """One journal entry, in the transaction that makes the change; secrets masked."""

    def console_kiosk(self, site_id: str, at: str) -> tuple[str, int]:
        """The console's own event source at a site (made on first use): (kiosk id, acked
        seq). Its token hash is of nothing anyone holds, so no request can push as it."""

    def resolve_exception(
        self, exception_id: int, action: str, reason: str, actor: str, at: str, detail: dict
    ) -> None: ...
    def sync_search(self) -> int:
        """Bring the search table up to date for everyone queued by the triggers."""


class ConsoleDB:
    """The console's storage over a ``LedgerDB``: ``read()`` a snapshot, ``write()`` one
    write transaction. The ledger itself (``ledger``) is there for what is not the
    console's own: kiosks, ingest, staff tools."""

    def __init__(self, ledger: Any):
        self.ledger = ledger

    @contextmanager
    def read(self) -> Iterator[ConsoleRead]:
        with self.ledger.console_read() as r:
            yield r

    @contextmanager
    def write(self) -> Iterator[ConsoleWrite]:
        with self.ledger.console_write() as w:
            yield w


class HasConsole(Protocol):
    def console_read(self) -> AbstractContextManager[ConsoleRead]: ...
    def console_write(self) -> AbstractContextManager[ConsoleWrite]: ...
