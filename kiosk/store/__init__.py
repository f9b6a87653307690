"""The kiosk's local SQLite store: the event outbox and its projections."""

from .errors import StoreError
from .reference import apply_changes
from .store import STORE_FILE, Store, StoredEvent, iso

__all__ = ["STORE_FILE", "Store", "StoreError", "StoredEvent", "apply_changes", "iso"]
