"""Backups of a live SQLite database (the ledger; the installer uses it for a kiosk's store
too), their retention, and their restore. The file-level SQLite work is in
``db/sqlite/files.py``.

A copy is taken with SQLite's online backup API in a single step: in WAL mode that
reads one consistent snapshot while writers carry on (a stepwise copy would restart
every time a writer commits, and under steady load might never finish). The copy is
written beside its final name, checked with ``PRAGMA integrity_check``, synced, and only
then renamed, so a file with a backup's name is always a complete, checked backup.

Stdlib only: importable on a kiosk, where the ledger's web stack is not installed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from kiosk.clock import system_clock
from kiosk.private import private_dir, private_file, private_sqlite
from sync.ledger.db.sqlite.files import (
    STAMP_FORMAT,
    BackupError,
    CopyFailed,
    check,
    copy_into_place,
    copy_to_backup,
    set_aside_if_damaged,
)
from sync.ledger.ops.cli_types import bounded

_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}T\d{6})\.(?P<micro>\d{6})Z\.sqlite3$")
PARTIAL_MAX_AGE_S = 24 * 3600


def backup_name(db_path: Path, at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{db_path.stem}-{at.strftime(STAMP_FORMAT)}.{at.microsecond:06d}Z.sqlite3"


def list_backups(dest_dir: str | Path, stem: str) -> list[tuple[datetime, Path]]:
    """This database's backups in ``dest_dir``, newest first; other files are ignored."""
    found = []
    dest = Path(dest_dir)
    if not dest.is_dir():
        return []
    for path in dest.iterdir():
        m = _NAME.match(path.name)
        if m and m["stem"] == stem:
            at = datetime.strptime(m["stamp"], STAMP_FORMAT).replace(
                microsecond=int(m["micro"]), tzinfo=UTC
            )
            found.append((at, path))
    return sorted(found, reverse=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(
    db_path: str | Path,
    dest_dir: str | Path,
    keep: int = 7,
    *,
    daily: int = 0,
    weekly: int = 0,
    now: datetime | None = None,
) -> Path:
    """Copy the live database ``db_path`` into ``dest_dir`` and apply retention.

    Retention keeps the ``keep`` newest backups, plus the newest backup of each of the
    last ``daily`` days and ``weekly`` ISO weeks that have one. Returns the new file.
    """
    db_path, dest = Path(db_path), Path(dest_dir)
    if keep < 1:
        raise BackupError(
            "keep must be at least 1: retention must never delete the backup just made"
        )
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    private_dir(dest)  # a backup holds everything the database does
    final = dest / backup_name(db_path, now or system_clock()())
    if final.exists():
        raise BackupError(f"{final} already exists")
    partial = final.with_name(final.name + ".partial")
    try:
        # A backup is one self-contained file: no -wal beside it to lose in a copy.
        private_file(partial)
        copy_to_backup(db_path, partial)
        check(partial)
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, final)
        _fsync_dir(dest)
    except CopyFailed as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup of {db_path} failed: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    prune(dest, db_path.stem, keep=keep, daily=daily, weekly=weekly)
    return final


def prune(
    dest_dir: str | Path, stem: str, *, keep: int, daily: int = 0, weekly: int = 0
) -> list[Path]:
    """Delete the backups retention does not keep; return what was deleted."""
    backups = list_backups(dest_dir, stem)
    kept = {path for _, path in backups[:keep]}
    for count, bucket in ((daily, lambda at: at.date()), (weekly, lambda at: at.isocalendar()[:2])):
        seen: list[object] = []
        for at, path in backups:  # newest first: the first seen in a bucket is its newest
            key = bucket(at)
            if key not in seen:
                if len(seen) == count:
                    break
                seen.append(key)
                kept.add(path)
    deleted = []
    for _, path in backups:
        if path not in kept:
            path.unlink(missing_ok=True)
            deleted.append(path)
    # Left by a backup that was killed; old enough that it is not one in progress.
    for path in Path(dest_dir).glob(f"{glob_escape(stem)}-*.sqlite3.partial"):
        try:
            # Against the file system's own timestamps, which are real time whatever clock
            # the process was given.
            if time.time() - path.stat().st_mtime > PARTIAL_MAX_AGE_S:
                path.unlink()
                deleted.append(path)
        except FileNotFoundError:
            pass
    return deleted


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def restore(
    backup_file: str | Path,
    db_path: str | Path,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> Path:
    """Put the backup's content at ``db_path``.

    Refuses when ``db_path`` already holds a database unless ``force``: restoring over
    the live ledger loses what was recorded since the backup. Stop the service first.
    The backup is checked before anything is touched, the result after.
    """
    backup_file, db_path = Path(backup_file), Path(db_path)
    check(backup_file)
    if db_path.exists() and db_path.stat().st_size > 0 and not force:
        raise BackupError(
            f"{db_path} exists: refusing to overwrite a live database (use force, "
            "after stopping the service)"
        )
    private_dir(db_path.parent, tighten=False)
    if force and db_path.exists():
        set_aside_if_damaged(db_path, now or system_clock()())
    try:
        # Written through SQLite, not as a file copy: a -wal file left beside the old
        # database would otherwise be replayed onto the restored one and corrupt it.
        private_sqlite(db_path)
        copy_into_place(backup_file, db_path)
    except CopyFailed as exc:
        raise BackupError(f"restore into {db_path} failed: {exc}") from None
    check(db_path)
    return db_path


# -- command line: `kiosk-ledger backup|restore`, and `python -m sync.ledger.ops.backup` ------


def add_backup_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dest", type=Path, required=True, help="folder for the backups (ideally another disk)"
    )
    p.add_argument(
        "--keep",
        type=bounded(int, 1, 10_000),
        default=7,
        help="keep this many newest backups (default 7)",
    )
    p.add_argument(
        "--daily",
        type=bounded(int, 0, 10_000),
        default=0,
        help="also keep the newest of each of the last N days",
    )
    p.add_argument(
        "--weekly",
        type=bounded(int, 0, 10_000),
        default=0,
        help="also keep the newest of each of the last N weeks",
    )


def add_restore_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("backup_file", type=Path, help="a backup made by `backup`")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing database (stop the service first)",
    )


def run_backup(db: Path, args: argparse.Namespace, now: datetime | None = None) -> int:
    try:
        path = backup(db, args.dest, keep=args.keep, daily=args.daily, weekly=args.weekly, now=now)
    except BackupError as exc:
        sys.stderr.write(f"backup failed: {exc}\n")
        return 1
    sys.stdout.write(f"{path}\n")
    return 0


def run_restore(db: Path, args: argparse.Namespace, now: datetime | None = None) -> int:
    try:
        restore(args.backup_file, db, force=args.force, now=now)
    except BackupError as exc:
        sys.stderr.write(f"restore refused: {exc}\n")
        return 1
    sys.stdout.write(f"restored {args.backup_file} into {db}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sync.ledger.ops.backup",
        description="online backup and restore of a SQLite database",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("backup")
    p.add_argument("--db", type=Path, required=True)
    add_backup_arguments(p)
    p = sub.add_parser("restore")
    p.add_argument("--db", type=Path, required=True)
    add_restore_arguments(p)
    args = parser.parse_args(argv)
    return (run_backup if args.command == "backup" else run_restore)(args.db, args)


if __name__ == "__main__":
    sys.exit(main())
