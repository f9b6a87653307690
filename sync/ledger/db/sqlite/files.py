"""SQLite files as whole files: the integrity check, the page-by-page online copy that
backups and restores share, setting a damaged file aside, a new feed epoch after a restore.

Stdlib only: importable on a kiosk, where the ledger's web stack is not installed.
"""

from __future__ import annotations

import secrets
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

STAMP_FORMAT = "%Y%m%dT%H%M%S"


class BackupError(Exception):
    pass


def _connect_ro(path: Path) -> sqlite3.Connection:
    # Read-only through a URI, so checking a file can never create or change it.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)


def check(path: str | Path) -> int:
    """Raise BackupError unless ``path`` is a sound SQLite database; return its user_version."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no such file: {path}")
    try:
        conn = _connect_ro(path)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None
    if rows != ["ok"]:
        raise BackupError(f"{path} failed the integrity check: {'; '.join(rows[:5])}")
    return int(version)


class CopyFailed(BackupError):
    pass


def copy_to_backup(src_path: Path, dst_path: Path) -> None:
    """A backup is one self-contained file: no -wal beside it to lose in a copy."""
    _copy(src_path, dst_path, "PRAGMA journal_mode = DELETE")


def copy_into_place(src_path: Path, dst_path: Path) -> None:
    """Written through SQLite, not as a file copy: a -wal file left beside the old database
    would otherwise be replayed onto the restored one and corrupt it."""
    _copy(src_path, dst_path, "PRAGMA wal_checkpoint(TRUNCATE)", timeout=10)


def _copy(src_path: Path, dst_path: Path, then: str, timeout: float = 5.0) -> None:
    """Copy a database page by page through SQLite's online backup, then run ``then`` on the
    copy; a failure is ``CopyFailed``."""
    with (
        closing(_connect_ro(src_path)) as src,
        closing(sqlite3.connect(dst_path, isolation_level=None, timeout=timeout)) as dst,
    ):
        try:
            src.backup(dst, pages=-1)
            dst.execute(then).fetchone()
        except sqlite3.Error as exc:
            raise CopyFailed(str(exc)) from exc


def set_aside_if_damaged(db_path: Path, now: datetime) -> None:
    """A damaged database (the usual reason to restore) cannot be written into: move it
    and its -wal/-shm aside, keeping them for whoever investigates the failure."""
    try:
        check(db_path)
        return
    except BackupError:
        pass
    suffix = ".damaged-" + now.strftime(STAMP_FORMAT)
    for extra in ("", "-wal", "-shm"):
        path = db_path.with_name(db_path.name + extra)
        if path.exists():
            path.rename(path.with_name(db_path.name + suffix + extra))


def new_feed_epoch(db_path: Path) -> None:
    """A restored ledger is another change feed: a kiosk's cursor may point past what the
    backup holds, or at numbers the feed hands out anew, so every cursor must get a reset."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        if conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone():
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('feed_epoch', ?)",
                (secrets.token_hex(4),),
            )
    finally:
        conn.close()
