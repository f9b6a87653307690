"""One migration runner for every backend (``db/schema.py`` holds the migrations).

Hand-written SQL and a version number per database, rather than Alembic: the schema has no
ORM models to diff, Alembic would bring SQLAlchemy for a runner of a few lines, and every
SQLite ledger ever installed records its version in ``PRAGMA user_version``, which the
SQLite target goes on reading and writing.
"""

from __future__ import annotations

from typing import Protocol

from kiosk.sqlite_migrate import SchemaTooNew
from sync.ledger.db import schema
from sync.ledger.db.schema import Migration


class MigrationTarget(Protocol):
    dialect: str  # "sqlite" | "postgres": which text of a Migration runs

    def version(self) -> int:
        """How many migrations this database has run (0: a new one)."""

    def step(self, version: int, script: str) -> None:
        """Run ``script`` and record ``version``, in one transaction: a crash mid-upgrade
        leaves the database at the last complete version."""


class MigrationMissing(RuntimeError):
    pass


def migrate(target: MigrationTarget, migrations: list[Migration] | None = None) -> int:
    """Run the migrations the database has not run yet; return the version reached."""
    migrations = schema.MIGRATIONS if migrations is None else migrations
    have, want = target.version(), len(migrations)
    if have > want:
        raise SchemaTooNew(f"ledger schema version {have} is newer than this program ({want})")
    for number in range(have, want):
        script = migrations[number].text(target.dialect)
        if script is None:
            raise MigrationMissing(
                f"ledger migration {number + 1} has no {target.dialect} text yet"
            )
        target.step(number + 1, script)
    return want


__all__ = ["MigrationMissing", "MigrationTarget", "SchemaTooNew", "migrate"]
