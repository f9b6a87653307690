"""The kiosk side of sync: ``enroll``, one ``sync_once`` round, and the background ``SyncAgent``."""

# The protocol this agent speaks, for the kiosk's status and the names of what it sends (the
# kiosk imports nothing else of sync).
from sync.protocol import EVENT_TYPES, PROTOCOL_VERSION, parse_enrollment_qr

from .backoff import Backoff
from .client import LedgerClient, PermanentFailure, TemporaryFailure
from .images import fetch_images, picture_path
from .rounds import enroll, fetch_exceptions, fetch_record, sync_once
from .worker import SyncAgent, SyncStatus, read_status

__all__ = [
    "EVENT_TYPES",
    "Backoff",
    "LedgerClient",
    "PROTOCOL_VERSION",
    "parse_enrollment_qr",
    "PermanentFailure",
    "SyncAgent",
    "SyncStatus",
    "TemporaryFailure",
    "enroll",
    "fetch_exceptions",
    "fetch_record",
    "fetch_images",
    "picture_path",
    "read_status",
    "sync_once",
]
