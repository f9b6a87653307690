"""The exceptions a kiosk may read: those of its own site, for the staff sync page.

Staff (admin token) see every row of ``exceptions`` as stored. A kiosk token sees the rows
that concern its site: a row carrying that ``site_id`` (overdrafts, stock below zero), a
row raised by one of the site's kiosks (rejected events, conflicts), or an overlap where
one of the two sessions was at one of the site's kiosks. Rows carry volunteer ids only
(never a name or a phone), and ``detail`` keeps only the figures the page shows: a
conflicting event's full body stays at the ledger.
"""

from __future__ import annotations

import json
from typing import Any

from sync.ledger.db.sqlite.store import LedgerStore

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

_SQL = """
    SELECT exception_id, kind, volunteer_id, site_id, kiosk_id, event_id, detail, created_at
    FROM exceptions
    WHERE (site_id = :site
           OR kiosk_id IN (SELECT kiosk_id FROM kiosks WHERE site_id = :site)
           OR (kind = 'overlapping_sessions' AND EXISTS (
                   SELECT 1 FROM json_each(exceptions.detail, '$.kiosks') AS k
                   WHERE k.value IN (SELECT kiosk_id FROM kiosks WHERE site_id = :site))))
      AND (:kind IS NULL OR kind = :kind)
    ORDER BY exception_id DESC
    LIMIT :limit
"""


def for_site(
    store: LedgerStore, site_id: str, kind: str | None = None, limit: int = KIOSK_LIMIT
) -> list[dict[str, Any]]:
    """The newest ``limit`` exceptions concerning ``site_id``, oldest first (as staff get them)."""
    with store.transaction() as c:
        rows = c.execute(_SQL, {"site": site_id, "kind": kind or None, "limit": limit}).fetchall()
    out = []
    for row in reversed(rows):
        d = dict(zip(FIELDS, row, strict=True))
        try:
            detail = json.loads(d["detail"])
        except (TypeError, ValueError):
            detail = {}
        d["detail"] = {
            k: detail[k] for k in DETAIL_KEYS if isinstance(detail, dict) and k in detail
        }
        out.append(d)
    return out
