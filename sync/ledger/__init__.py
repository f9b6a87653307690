"""The central ledger: an HTTP service (FastAPI) over one store, and the ``kiosk-ledger``
command. The parts:

- ``app.py``  ``create_app(store)``: mounts the routers of ``api/``.
- ``api/``    HTTP only: the kiosk wire (``sync.py``), reward pictures (``images.py``),
  staff JSON (``admin.py``), protocol versions, what every route needs (``deps.py``).
- ``rules/``  pure checks on what a kiosk sends (no SQL, no HTTP).
- ``db/``     storage: the only place with SQL (``db/sqlite/`` today).
- ``staff/``  staff tools without HTTP: roster, cards, activities, catalog and stock,
  spreadsheet imports, the 台账 exports.
- ``ops/``    running it: the command line, configuration, backups, demo data.

From ``kiosk`` the ledger imports only what both sides share: the pure ``kiosk.core`` and
the stdlib-only helpers ``kiosk.clock``, ``kiosk.logs``, ``kiosk.tomlconfig``,
``kiosk.sqlite_migrate`` and ``kiosk.private`` (never the UI or the scanner). The names below load on first use, so ``python -m
sync.ledger.ops.backup`` runs where the web stack is not installed (a kiosk).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PUBLIC = {
    "create_app": "sync.ledger.app",
    "open_db": "sync.ledger.db",
    "LedgerDB": "sync.ledger.db",
    "EnrollError": "sync.ledger.db",
    "KioskRow": "sync.ledger.db",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
