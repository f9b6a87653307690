"""Volunteer and staff cards: who gets one, the signing key, a new card for a lost one."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from kiosk.core.codes import sign
from sync.ledger.db.base import LedgerDB
from sync.ledger.staff.card_sheet import CardHolder
from sync.ledger.staff.errors import AdminError


def private_key(store: LedgerDB, default_path: Path | None = None) -> str:
    """The ledger's card signing key, read from the file ``kiosk-ledger init`` wrote."""
    # KIOSK_LEDGER_KEY first: API hosts sharing one server database each keep the file
    # where their own setup puts it, whatever path the host that ran init recorded.
    path = Path(
        os.environ.get("KIOSK_LEDGER_KEY") or store.meta("private_key_path") or default_path or ""
    )
    if not str(path) or not path.is_file():
        raise AdminError(
            f"找不到发卡密钥 / the card signing key file is missing ({path}):"
            " run `kiosk-ledger init` on this ledger, or restore the key from its backup"
        )
    return path.read_text(encoding="ascii").strip()


def card_holders(
    store: LedgerDB,
    key: str,
    *,
    ids: list[str] | None = None,
    team: str | None = None,
    include_inactive: bool = False,
    staff: bool = False,
) -> list[CardHolder]:
    """Who gets a card: the named ids, else every active volunteer (of a team); staff on request."""
    with store.read() as tx:
        rows = [
            (p.volunteer_id, p.kind, p.display_name, p.status, p.card_version, p.team)
            for p in (tx.people_of(ids) if ids else tx.people())
        ]
    by_id = {r[0]: r for r in rows}
    if ids:
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise AdminError(f"台账中没有这些编号 / not in the ledger: {', '.join(unknown)}")
        chosen = [by_id[i] for i in ids]
    else:
        chosen = [
            r
            for r in rows
            if (r[1] == "V" or staff)
            and (include_inactive or r[3] == "active")
            and (team is None or r[5] == team)
        ]
    return [
        CardHolder(vid, name, sign(key, kind, vid, version), kind)
        for vid, kind, name, _, version, _ in chosen
    ]


def reissue(store: LedgerDB, volunteer_id: str, now: datetime, reason: str = "") -> int:
    """A new card version: every kiosk refuses the old card once it has pulled this change."""
    with store.write() as tx:
        try:
            return tx.reissue_card(volunteer_id, now.isoformat(timespec="milliseconds"), reason)
        except KeyError:
            raise AdminError(
                f"台账中没有 {volunteer_id} / no volunteer {volunteer_id} in the ledger"
            ) from None
