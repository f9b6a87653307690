"""Logging for an unattended kiosk and the ledger: one structured line per record, to the
journal or to rotating files, with personal data taken out before anything is written.

Logs leave the building (a technician copies them, journald forwards them), so the
only person reference allowed in a line is a volunteer id (``V000123``). Names, phone
numbers, ID card numbers and the signatures of card codes are redacted by a filter on
the handler, so no call site can forget it.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

REDACTED = "[redacted]"

# Keys of ``extra={...}`` whose values are personal whatever they look like.
PERSONAL_KEYS = frozenset(
    {
        "name",
        "display_name",
        "full_name",
        "names",
        "phone",
        "mobile",
        "tel",
        "telephone",
        "email",
        "address",
        "id_number",
        "id_card",
        "pin",
    }
)

_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # A card code is a credential: keep kind, id and version, drop the signature so a
    # log line can never be turned back into a working card.
    (re.compile(r"\b(VK1\.[A-Z]\.[A-Za-z0-9_-]+\.\d+)\.[A-Za-z0-9_-]+"), r"\1.<sig>"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + REDACTED),
    # Mainland ID card numbers; also 18-digit payment codes shown to the camera.
    (re.compile(r"(?a)(?<![\w])\d{17}[\dXx](?![\w])"), REDACTED),
    (re.compile(r"(?a)[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), REDACTED),
    # Number patterns use ASCII word boundaries: "电话13812345678" is still a phone.
    # Phones: international form (+86, +852, +853 ...), mainland mobiles, landlines
    # with an area code (0760-...), and Hong Kong/Macau 4+4 local numbers.
    (re.compile(r"(?a)(?<![\w+])\+\d{1,3}[\s-]?\d(?:[\s-]?\d){5,13}(?![\w])"), REDACTED),
    (re.compile(r"(?a)(?<![\w])1[3-9]\d(?:[\s-]?\d{4}){2}(?![\w])"), REDACTED),
    (re.compile(r"(?a)(?<![\w])0\d{2,3}-\d{7,8}(?![\w])"), REDACTED),
    (re.compile(r"(?a)(?<![\w])\d{4}[\s-]\d{4}(?![\w-])"), REDACTED),
    # Any run of Han characters (with the middle dot of transliterated names): in this
    # product such text is a person's name, or something a name could hide in.
    (re.compile(rf"{_HAN}+(?:[·・]{_HAN}+)*"), REDACTED),
]


class RedactFilter(logging.Filter):
    """Rewrites each record so message, extra fields and traceback hold no personal data.

    Names written in Latin letters (foreign residents) cannot be recognised by shape,
    so the roster's names can be registered with ``add_names``.
    """

    def __init__(self, names: Iterable[str] = ()):
        super().__init__()
        self._lock = threading.Lock()
        self._names: re.Pattern[str] | None = None
        self._known: set[str] = set()
        self.add_names(names)

    def add_names(self, names: Iterable[str]) -> None:
        with self._lock:
            # Single letters or initials would redact ordinary words.
            self._known.update(n.strip() for n in names if n and len(n.strip()) >= 3)
            if self._known:
                alternatives = "|".join(
                    re.escape(n) for n in sorted(self._known, key=len, reverse=True)
                )
                self._names = re.compile(rf"(?i)(?<!\w)(?:{alternatives})(?!\w)")

    def redact(self, text: str) -> str:
        names = self._names
        if names is not None:
            text = names.sub(REDACTED, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def _value(self, key: str, value: Any) -> Any:
        if key.lower() in PERSONAL_KEYS:
            return REDACTED
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {k: self._value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(key, v) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.redact(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        for key, value in list(extra_fields(record).items()):
            setattr(record, key, self._value(key, value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed with ``extra=``: the structured part of the line."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _exception_text(record: logging.LogRecord) -> str | None:
    if record.exc_text:
        return record.exc_text
    if record.exc_info:
        return logging.Formatter().formatException(record.exc_info)
    return None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created)
            .astimezone()
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(extra_fields(record))
        exc = _exception_text(record)
        if exc:
            line["exc"] = exc
        return json.dumps(line, ensure_ascii=False, default=str)


def _kv(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if text and not re.search(r'[\s"=\\]', text):
        return text
    # Quoted and escaped: one record stays one line, so one journal entry.
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """``level=INFO logger=kiosk.sync msg="pushed" events=3``; no time stamp in the
    journal, which stamps every line itself, and a ``<N>`` syslog priority prefix there
    so ``journalctl -p err`` works."""

    def __init__(self, *, journal: bool = False):
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        if not self.journal:
            ts = (
                datetime.fromtimestamp(record.created)
                .astimezone()
                .isoformat(timespec="milliseconds")
            )
            parts.append(f"ts={ts}")
        parts += [
            f"level={record.levelname}",
            f"logger={_kv(record.name)}",
            f"msg={_kv(record.getMessage())}",
        ]
        parts += [f"{k}={_kv(v)}" for k, v in extra_fields(record).items()]
        exc = _exception_text(record)
        if exc:
            parts.append(f"exc={_kv(exc)}")
        line = " ".join(parts)
        return f"<{_syslog_priority(record.levelno)}>{line}" if self.journal else line


def _syslog_priority(levelno: int) -> int:
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


def under_journal(stream: IO[str] | None = None, env: Mapping[str, str] | None = None) -> bool:
    """True when ``stream`` is connected to journald: systemd sets JOURNAL_STREAM to the
    device and inode of the stream it gave the service (a redirect elsewhere no longer
    matches, and then plain lines are right)."""
    env = os.environ if env is None else env
    stream = sys.stderr if stream is None else stream
    value = env.get("JOURNAL_STREAM", "")
    if ":" not in value:
        return False
    try:
        dev, ino = (int(x) for x in value.split(":", 1))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


TARGETS = ("auto", "journal", "stderr")
FORMATS = ("kv", "json")


def setup_logging(
    level: str | int = "INFO",
    target: str | Path = "auto",
    *,
    fmt: str | None = None,
    max_bytes: int = 5_000_000,
    backups: int = 5,
    names: Iterable[str] = (),
    stream: IO[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> logging.Handler:
    """Replace the root logger's handlers with one redacting, structured handler.

    ``target``: ``auto`` (the journal when stderr is connected to it, else stderr),
    ``journal``, ``stderr``, or a file path (rotated at ``max_bytes``, ``backups`` kept).
    ``fmt``: ``kv`` or ``json``; by default ``kv`` for the journal and stderr (people
    read those), ``json`` for files (programs read those).
    Returns the handler; its ``RedactFilter`` is ``handler.redactor``.
    """
    if fmt not in (None, *FORMATS):
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    stream = sys.stderr if stream is None else stream
    target = str(target)
    handler: logging.Handler
    if target in ("auto", "journal", "stderr"):
        journal = target == "journal" or (target == "auto" and under_journal(stream, env))
        handler = logging.StreamHandler(stream)
        formatter: logging.Formatter = KeyValueFormatter(journal=journal)
        if fmt == "json":
            formatter = JsonFormatter()
    else:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        formatter = KeyValueFormatter() if fmt == "kv" else JsonFormatter()
    handler.setFormatter(formatter)
    redactor = RedactFilter(names)
    handler.addFilter(redactor)
    handler.redactor = redactor  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
