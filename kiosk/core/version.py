"""The software's version: the one place it is written (pyproject.toml reads it here).
In the shared core because the kiosk, the sync agent and the ledger all report it."""

VERSION = "0.1.0"
