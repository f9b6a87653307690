"""Files only their owner may read: databases, their WAL and SHM, backups, exports with
personal data, card sheets. 0600 for files and 0700 for their folders, whatever the
umask of the shell or service that started the program.

SQLite creates a database's -wal and -shm files with the mode of the database file
itself, so creating that file 0600 first is enough for all three.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

log = logging.getLogger("kiosk.private")

FILE_MODE = 0o600
DIR_MODE = 0o700
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def _chmod(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except PermissionError as exc:
        # Not ours (a folder made by root for several users): say so, carry on.
        log.warning("cannot make %s private: %s", path, exc)


def private_dir(path: str | Path, *, tighten: bool = True) -> Path:
    """Create the folder (and its parents) if needed, 0700. ``tighten``: make an existing
    folder 0700 too (a folder of the program's own, not a worker's current directory)."""
    path = Path(path)
    existed = path.is_dir()
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if tighten or not existed:
        _chmod(path, DIR_MODE)
    return path


def private_file(path: str | Path) -> Path:
    """Create an empty file 0600 if it is not there; make an existing one 0600."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _chmod(path, FILE_MODE)
    return path


def private_sqlite(path: str | Path, *, make_dir: bool = False, tighten_dir: bool = True) -> Path:
    """Before opening a SQLite file: the file 0600 (so its WAL and SHM follow), and any
    sidecars an older version left readable made 0600 too."""
    path = Path(path)
    if make_dir:
        private_dir(path.parent, tighten=tighten_dir)
    private_file(path)
    for suffix in SQLITE_SIDECARS:
        _chmod(path.with_name(path.name + suffix), FILE_MODE)
    return path


@contextlib.contextmanager
def open_private(path: str | Path, mode: str = "w", **kw: Any) -> Iterator[IO]:
    """``open()`` for a file with personal data: created 0600, truncated if it exists."""
    if not any(m in mode for m in "wax"):
        raise ValueError("open_private is for writing")
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if "x" in mode else 0)
    flags |= os.O_APPEND if "a" in mode else (0 if "x" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    _chmod(path, FILE_MODE)
    with os.fdopen(fd, mode.replace("x", "w"), **kw) as fh:
        yield fh
