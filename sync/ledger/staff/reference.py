"""What imports are checked against: the ledger's sites and volunteer ids."""

from __future__ import annotations

import json

from sync.ledger.db.sqlite.store import LedgerStore


def reference_sets(store: LedgerStore) -> tuple[dict[str, dict], set[str]]:
    """Sites (id -> data) and volunteer ids, for validating imports."""
    with store.transaction() as c:
        sites = {k: json.loads(d) for k, d in c.execute("SELECT site_id, data FROM sites")}
        vids = {r[0] for r in c.execute("SELECT volunteer_id FROM volunteers")}
    return sites, vids
