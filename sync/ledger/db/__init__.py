"""The ledger's storage: ``open_db(url)`` and the interface it returns (``base.LedgerDB``).

A URL names the backend: a file path or ``sqlite:///path`` is the SQLite backend (the
default, one file); ``postgresql://...`` is PostgreSQL. Nothing outside this package
holds SQL or knows which backend it talks to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync.ledger.db.base import (
    ChangePage,
    Enrolled,
    EnrollError,
    KioskRow,
    LedgerDB,
    Person,
    StaffRead,
    StaffWrite,
    UnknownKiosk,
)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class UnsupportedDatabase(ValueError):
    pass


class DatabaseUnreachable(RuntimeError):
    """The database server did not answer (down, wrong address, refused login)."""


def is_postgres(url: str | Path) -> bool:
    return str(url).startswith(POSTGRES_SCHEMES)


def sqlite_path(url: str | Path) -> Path | None:
    """The file of a SQLite URL or path; None for another backend."""
    text = str(url)
    if is_postgres(text):
        return None
    if text.startswith("sqlite:///"):
        return Path(text.removeprefix("sqlite://"))
    if "://" in text:
        raise UnsupportedDatabase(
            f"{text!r}: a database is a file path, sqlite:///path or postgresql://..."
        )
    return Path(text)


def exists(url: str | Path) -> bool:
    """Whether there is a ledger to open (a server database is taken to exist)."""
    path = sqlite_path(url)
    return path is None or path.exists()


def open_db(url: str | Path, **options: Any) -> LedgerDB:
    """The ledger at ``url``, migrated to this program's schema. SQLite takes
    ``synchronous`` (FULL, the default, survives power loss with every acknowledged batch)."""
    path = sqlite_path(url)
    if path is None:
        try:
            from sync.ledger.db.postgres import open_postgres
        except ImportError as exc:
            raise UnsupportedDatabase(
                f"this ledger cannot open {url!r}: the PostgreSQL backend is not installed"
            ) from exc
        return open_postgres(str(url), **options)
    from sync.ledger.db.sqlite.store import SQLiteLedger

    return SQLiteLedger(path, **options)


__all__ = [
    "ChangePage",
    "EnrollError",
    "Enrolled",
    "KioskRow",
    "LedgerDB",
    "Person",
    "StaffRead",
    "StaffWrite",
    "UnknownKiosk",
    "DatabaseUnreachable",
    "UnsupportedDatabase",
    "exists",
    "is_postgres",
    "open_db",
    "sqlite_path",
]
