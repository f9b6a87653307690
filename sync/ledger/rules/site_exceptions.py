"""The exceptions a kiosk may read: those of its own site, for the staff sync page.

Staff (admin token) see every row of ``exceptions`` as stored. A kiosk token sees the rows
that concern its site (``LedgerDB.site_exceptions``: a row carrying that ``site_id``, a row
raised by one of the site's kiosks, or an overlap where one of the two sessions was at one
of the site's kiosks). Rows carry volunteer ids only (never a name or a phone), and
``detail`` keeps only the figures the page shows: a conflicting event's full body stays at
the ledger.
"""

from __future__ import annotations

from typing import Any

from sync.ledger.db.base import LedgerDB

KIOSK_LIMIT = 200  # the newest rows; the staff page is a glance, the 台账 has them all
DETAIL_KEYS = (
    "reason",
    "type",
    "seq",
    "item_id",
    "qty",
    "after",
    "balance",
    "cost",
    "offline",
    "sessions",
    "kiosks",
    "delta",
    "cause",
)
FIELDS = (
    "exception_id",
    "kind",
    "volunteer_id",
    "site_id",
    "kiosk_id",
    "event_id",
    "detail",
    "created_at",
)


def for_site(
    store: LedgerDB, site_id: str, kind: str | None = None, limit: int = KIOSK_LIMIT
) -> list[dict[str, Any]]:
    """The newest ``limit`` exceptions concerning ``site_id``, oldest first (as staff get them),
    with what a kiosk may see of each."""
    out = []
    for row in store.site_exceptions(site_id, kind or None, limit):
        d = {k: row[k] for k in FIELDS}
        detail = row["detail"]
        d["detail"] = {
            k: detail[k] for k in DETAIL_KEYS if isinstance(detail, dict) and k in detail
        }
        out.append(d)
    return out
