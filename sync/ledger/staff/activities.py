"""Activities staff add, import and list; their A-YYYYMMDD-NN numbering."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sync.ledger.db.base import LedgerDB

TZ = ZoneInfo("Asia/Shanghai")


def upsert_activities(store: LedgerDB, activities: list[dict[str, Any]], now: datetime) -> int:
    with store.write() as tx:
        for act in activities:
            tx.put_activity(act, now.isoformat(timespec="milliseconds"))
    return len(activities)


def next_activity_id(store: LedgerDB, day: str, taken: set[str] = frozenset()) -> str:
    """``A-YYYYMMDD-NN``, the numbering the demo data and staff already use."""
    prefix = f"A-{day.replace('-', '')}-"
    with store.read() as tx:
        existing = tx.activity_ids(prefix)
    n = 1
    while f"{prefix}{n:02d}" in existing or f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def number_activities(store: LedgerDB, acts: list[dict[str, Any]]) -> None:
    """Activities without an id get the next A-YYYYMMDD-NN of their day (in place)."""
    taken = {a["activity_id"] for a in acts if a["activity_id"]}
    for a in acts:
        a.pop("row", None)
        if not a["activity_id"]:
            a["activity_id"] = next_activity_id(store, a["start"][:10], taken)
            taken.add(a["activity_id"])


def list_activities(
    store: LedgerDB, *, month: str | None = None, site: str | None = None
) -> list[dict[str, Any]]:
    with store.read() as tx:
        rows = tx.activities()
    out = []
    for a in rows:
        if site and a.get("site_id") != site:
            continue
        if month and datetime.fromisoformat(a["start"]).astimezone(TZ).strftime("%Y-%m") != month:
            continue
        out.append(a)
    return sorted(out, key=lambda a: (a["start"], a["activity_id"]))
