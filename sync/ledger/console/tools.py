"""The staff tools the console's pages call (imports, cards, activities, catalog, exports),
named in one place: the pages hold no storage code of their own, and a move of the staff
tools changes only this file."""

from __future__ import annotations

from sync.ledger.staff import card_sheet, exports
from sync.ledger.staff.activities import number_activities, upsert_activities
from sync.ledger.staff.activity_import import check_activity, parse_activities
from sync.ledger.staff.card_image import card_image
from sync.ledger.staff.cards import card_holders, private_key, reissue
from sync.ledger.staff.catalog import KINDS, image, list_items, set_stock, upsert_item
from sync.ledger.staff.errors import AdminError
from sync.ledger.staff.reference import reference_sets
from sync.ledger.staff.roster import RosterReport, import_roster
from sync.ledger.staff.roster_import import RosterFile, RosterRow, normalise_phone, parse_roster

__all__ = [
    "KINDS",
    "AdminError",
    "RosterFile",
    "RosterReport",
    "RosterRow",
    "card_holders",
    "card_image",
    "card_sheet",
    "check_activity",
    "exports",
    "image",
    "import_roster",
    "list_items",
    "normalise_phone",
    "number_activities",
    "parse_activities",
    "parse_roster",
    "private_key",
    "reference_sets",
    "reissue",
    "set_stock",
    "upsert_activities",
    "upsert_item",
]
