"""What imports are checked against: the ledger's sites and volunteer ids."""

from __future__ import annotations

from sync.ledger.db.base import LedgerDB


def reference_sets(store: LedgerDB) -> tuple[dict[str, dict], set[str]]:
    """Sites (id -> data) and volunteer ids, for validating imports."""
    with store.read() as tx:
        sites = tx.sites()
        vids = {p.volunteer_id for p in tx.people()}
    return sites, vids
