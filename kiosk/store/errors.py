"""Store failures, each with words a person understands and a code for staff logs."""

from __future__ import annotations

import sqlite3


class StoreError(Exception):
    """kind: missing | corrupt | locked | unreadable | disk_full | too_new | io"""

    MESSAGES = {
        "missing": "This kiosk has no data yet. Set it up first with `kiosk load FILE` or `kiosk enroll URL CODE`.",
        "corrupt": "The kiosk's data file is damaged. Do not delete it: call staff, who can restore it.",
        "locked": "The kiosk's data file is busy in another program. Try again in a moment.",
        "unreadable": "The kiosk's data file cannot be opened. Check the data folder and its permissions.",
        "disk_full": "The kiosk's disk is full: nothing was recorded. Call staff to free space.",
        "too_new": "The kiosk's data was written by a newer version. Upgrade the kiosk software.",
        "io": "The kiosk could not write to its disk: nothing was recorded. Call staff.",
    }

    def __init__(self, kind: str, detail: str = "", path: str = ""):
        self.kind = kind
        self.detail = detail
        self.path = path
        super().__init__(f"{self.MESSAGES.get(kind, kind)} [{kind}: {detail}] {path}".strip())

    @property
    def message(self) -> str:
        return self.MESSAGES.get(self.kind, self.kind)


def classify(exc: sqlite3.Error, path: str = "") -> StoreError:
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorname", "") or ""
    if "full" in text or code == "SQLITE_FULL":
        kind = "disk_full"
    elif (
        "not a database" in text
        or "malformed" in text
        or code in ("SQLITE_CORRUPT", "SQLITE_NOTADB")
    ):
        kind = "corrupt"
    elif (
        "locked" in text
        or "busy" in text
        or code.startswith("SQLITE_BUSY")
        or code.startswith("SQLITE_LOCKED")
    ):
        kind = "locked"
    elif "unable to open" in text or code.startswith("SQLITE_CANTOPEN") or "readonly" in text:
        kind = "unreadable"
    else:
        kind = "io"
    return StoreError(kind, str(exc), path)
