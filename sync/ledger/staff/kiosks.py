"""Enrolled kiosks: the list staff read, and revoking one (a stolen or retired kiosk).

A revoked kiosk's token is refused from then on (401 ``kiosk_revoked``, the message shown
on its staff sync page); every event the ledger accepted from it stays, and its unsent
events stay on the kiosk, to be sent again after it enrolls anew.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sync.ledger.db.base import KioskRow, LedgerDB, UnknownKiosk
from sync.ledger.staff.errors import AdminError


def _row(k: KioskRow) -> dict[str, Any]:
    return {**asdict(k), "revoked": k.revoked}


def list_kiosks(store: LedgerDB) -> list[dict[str, Any]]:
    """Every kiosk ever enrolled, revoked ones included, by id."""
    return [_row(k) for k in store.kiosks()]


def revoke(store: LedgerDB, kiosk_id: str, now: datetime, reason: str = "") -> dict[str, Any]:
    """Revoke a kiosk's token (revoking twice keeps the first time and reason)."""
    try:
        return _row(store.revoke_kiosk(kiosk_id.strip(), now, reason.strip()))
    except UnknownKiosk:
        raise AdminError(f"没有这台自助机 / no kiosk {kiosk_id}") from None
