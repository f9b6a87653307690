"""Reference data from the ledger (roster, activities, catalog, balances, stock).

``apply_changes`` is the one way in: the sync agent's pull and ``kiosk load FILE``
both use it, so a kiosk seeded from a file is the same as one fed by the ledger.
The cursor is stored in the same transaction as the changes it covers.
"""

from __future__ import annotations

import json
from typing import Any

from kiosk.core.pins import SCHEME as PIN_SCHEME

from .store import Store


def _as_of(data: dict[str, Any], kiosk_id: str | None) -> int:
    as_of = data.get("as_of") or {}
    return int(as_of.get(kiosk_id, 0)) if kiosk_id else 0


def _apply_one(
    conn, kind: str, key: str, data: dict[str, Any], deleted: bool, kiosk_id: str | None
) -> None:
    if kind == "site":
        conn.execute(
            "INSERT OR REPLACE INTO sites (site_id, name_zh, name_zh_hant, name_en) VALUES (?, ?, ?, ?)",
            (
                key,
                data.get("name_zh", ""),
                data.get("name_zh_hant", data.get("name_zh", "")),
                data.get("name_en", ""),
            ),
        )
    elif kind == "volunteer":
        # Phone numbers and other personal data never reach a kiosk: only these columns are kept.
        conn.execute(
            "INSERT OR REPLACE INTO volunteers (volunteer_id, kind, display_name, team, status, card_version)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                data.get("kind", "V"),
                data.get("display_name", ""),
                data.get("team", ""),
                "inactive" if deleted else data.get("status", "active"),
                int(data.get("card_version", 1)),
            ),
        )
    elif kind == "staff_pin":
        # Only hashes keyed by the staff card (kiosk.core.pins): an older ledger's PBKDF2
        # hash could be searched from a stolen kiosk's file, so it is not kept.
        if deleted or not str(data.get("pin_hash", "")).startswith(PIN_SCHEME + "$"):
            conn.execute("DELETE FROM staff_pins WHERE staff_id = ?", (key,))
        else:
            conn.execute(
                "INSERT OR REPLACE INTO staff_pins (staff_id, pin_hash) VALUES (?, ?)",
                (key, data["pin_hash"]),
            )
    elif kind == "activity":
        if deleted:
            conn.execute("DELETE FROM activities WHERE activity_id = ?", (key,))
            return
        conn.execute(
            "INSERT OR REPLACE INTO activities (activity_id, site_id, title_zh, title_zh_hant, title_en, start,"
            ' "end", rule, capacity, signup, general, waiting, signup_as_of)'
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                data["site_id"],
                data.get("title_zh", ""),
                data.get("title_zh_hant", data.get("title_zh", "")),
                data.get("title_en", ""),
                data["start"],
                data["end"],
                json.dumps(data.get("rule") or {}),
                int(data.get("capacity", 0)),
                json.dumps(sorted(data.get("signup") or [])),
                int(bool(data.get("general"))),
                json.dumps(list(data.get("waiting") or [])),  # in order: first come, first served
                _as_of(data, kiosk_id),
            ),
        )
    elif kind == "catalog_item":
        conn.execute(
            "INSERT OR REPLACE INTO catalog (item_id, names, cost, kind, monthly_limit, image, active,"
            " site_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                json.dumps(data.get("names") or {}, ensure_ascii=False),
                int(data["cost"]),
                data.get("kind", "goods"),
                int(data.get("monthly_limit", 0)),
                data.get("image", ""),
                0 if deleted else int(bool(data.get("active", True))),
                str(data.get("site_id") or ""),
            ),
        )
    elif kind == "stock":
        conn.execute(
            "INSERT OR REPLACE INTO stock_base (site_id, item_id, qty, as_of) VALUES (?, ?, ?, ?)",
            (data["site_id"], data["item_id"], int(data["qty"]), _as_of(data, kiosk_id)),
        )
    elif kind == "balance":
        conn.execute(
            "INSERT OR REPLACE INTO balance_base (volunteer_id, balance, minutes_total, as_of) VALUES (?, ?, ?, ?)",
            (key, int(data["balance"]), int(data.get("minutes_total", 0)), _as_of(data, kiosk_id)),
        )
    elif kind == "setting":
        Store.put_setting(conn, f"ledger.{key}", data.get("value"))
    # Unknown kinds come from a newer ledger: skip them rather than refuse the batch.


def apply_changes(
    store: Store,
    changes: list[dict[str, Any]],
    *,
    cursor: str | None = None,
    reset: bool = False,
    public_key: str | None = None,
) -> int:
    """Apply a page of the change feed (or a snapshot file) in one transaction."""
    with store.transaction() as conn:
        kiosk_id = store._setting(conn, "kiosk_id")
        if reset:
            # A full snapshot follows: reference rows not in it are gone at the ledger.
            for table in ("volunteers", "staff_pins", "activities", "balance_base", "stock_base"):
                conn.execute(f"DELETE FROM {table}")
        for change in changes:
            _apply_one(
                conn,
                change["kind"],
                str(change["key"]),
                change.get("data") or {},
                bool(change.get("deleted")),
                kiosk_id,
            )
        if public_key:
            store.put_setting(conn, "public_key", public_key)
        if cursor is not None:
            store.put_setting(conn, "cursor", cursor)
    store.invalidate()
    return len(changes)
