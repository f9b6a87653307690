"""The central ledger: an HTTP service (FastAPI) over one storage module (SQLite).

It imports nothing from ``kiosk`` except the pure ``kiosk.core``.
"""
