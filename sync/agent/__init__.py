"""The kiosk side of sync: ``enroll``, one ``sync_once`` round, and the background ``SyncAgent``."""

from .backoff import Backoff
from .client import LedgerClient, PermanentFailure, TemporaryFailure
from .rounds import enroll, sync_once
from .worker import SyncAgent, SyncStatus, read_status

__all__ = ["Backoff", "LedgerClient", "PermanentFailure", "SyncAgent", "SyncStatus", "TemporaryFailure",
           "enroll", "read_status", "sync_once"]
