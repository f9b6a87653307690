"""What each event moves: a volunteer's points and credited minutes, goods at a site.

The one definition of these rules. The kiosk's projection (``kiosk.store.projection``)
writes the moves into its own tables, the ledger's ingest (``sync.ledger.db.ingest``)
posts them to its journal, balances and stock, and the 台账's stock table
(``sync.ledger.staff.exports``) lists them; so a balance or a stock level is the same
wherever it is counted (DESIGN section 6, invariant 3). Whether an event may happen at all
(a session already closed, a redemption already cancelled) is for each side to say; these
functions say what an event that happens does.

Reasons name the move, as the kiosk's ``point_moves`` and ``stock_moves`` rows carry them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Points reasons
CLOSED = "closed"  # a sign-out
AUTO_CLOSED = "auto_closed"  # a forgotten sign-out, closed at the activity's end
CORRECT = "correct"  # staff set a session's figures again
REDEEM = "redeem"
CANCEL = "cancel"  # a redemption cancelled: its points (and goods) come back
ADJUST = "adjust"  # staff moved points by hand
# Stock reasons (besides REDEEM, CANCEL, ADJUST)
RESTOCK = "restock"

CLOSE_REASONS = {"attendance.sign_out": CLOSED, "attendance.auto_close": AUTO_CLOSED}


@dataclass(frozen=True, slots=True)
class PointsMove:
    volunteer_id: str
    points: int
    minutes: int  # credited minutes, for the volunteer's total time
    reason: str


@dataclass(frozen=True, slots=True)
class StockMove:
    site_id: str
    item_id: str
    delta: int
    reason: str


@dataclass(frozen=True, slots=True)
class Figures:
    """A session's points and credited minutes: none while it is open."""

    points: int = 0
    credited_minutes: int = 0

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> Figures:
        """The figures a close or correction event gives its session."""
        return cls(payload["points"], payload["credited_minutes"])

    @classmethod
    def held(cls, points: int | None, credited_minutes: int | None) -> Figures:
        """A stored session's figures (NULL while open)."""
        return cls(points or 0, credited_minutes or 0)


@dataclass(frozen=True, slots=True)
class Redeemed:
    """What a cancel needs to know of the redemption it cancels, as the side that counts
    recorded it (the kiosk its own redemption, the ledger the one it recomputed)."""

    volunteer_id: str
    site_id: str
    item_id: str
    cost: int
    stocked: bool = True  # the redemption took one off the shelf


def session_move(
    volunteer_id: str, before: Figures, after: Figures, reason: str
) -> PointsMove | None:
    """A session given new figures (its sign-out, an auto-close, a staff correction) moves the
    difference: a correction takes back what the session had and gives what it now has."""
    points = after.points - before.points
    minutes = after.credited_minutes - before.credited_minutes
    if not points and not minutes:
        return None
    return PointsMove(volunteer_id, points, minutes, reason)


def takes_stock(redemption: Mapping[str, Any]) -> bool:
    """A redemption takes one off the shelf unless the item is not stocked (privileges and
    tickets). Events from before the flag existed were all of stocked goods."""
    return bool(redemption.get("stocked", True))


def restocks(cancel: Mapping[str, Any], redemption: Redeemed) -> bool:
    """A cancelled redemption puts back on the shelf what it took off: nothing if it took
    nothing (a privilege, a ticket), nothing if staff said the goods are not coming back
    (``restock: false``: eaten, broken). Whether it took stock is the redemption's own
    record, never what the cancel says (its ``stocked`` is the catalog's at cancel time,
    and an item's kind may have changed since)."""
    return redemption.stocked and bool(cancel.get("restock", True))


def redeem_moves(
    volunteer_id: str, payload: Mapping[str, Any]
) -> tuple[PointsMove, StockMove | None]:
    points = PointsMove(volunteer_id, -payload["cost"], 0, REDEEM)
    return points, stock_move("redemption.create", payload)


def cancel_moves(
    redemption: Redeemed, payload: Mapping[str, Any]
) -> tuple[PointsMove, StockMove | None]:
    points = PointsMove(redemption.volunteer_id, redemption.cost, 0, CANCEL)
    return points, stock_move("redemption.cancel", payload, redemption)


def stock_move(
    etype: str, payload: Mapping[str, Any], redeemed: Redeemed | None = None
) -> StockMove | None:
    """What an event does to the goods on a site's shelf, if anything. ``redeemed``: for a
    cancel, the redemption it cancels (the cancel names neither its site nor its item)."""
    if etype == "stock.restock":
        return StockMove(payload["site_id"], payload["item_id"], payload["qty"], RESTOCK)
    if etype == "stock.adjust":
        return StockMove(payload["site_id"], payload["item_id"], payload["delta"], ADJUST)
    if etype == "redemption.create" and takes_stock(payload):
        return StockMove(payload["site_id"], payload["item_id"], -1, REDEEM)
    if etype == "redemption.cancel" and redeemed is not None and restocks(payload, redeemed):
        return StockMove(redeemed.site_id, redeemed.item_id, 1, CANCEL)
    return None


def points_adjust_move(payload: Mapping[str, Any]) -> PointsMove:
    return PointsMove(payload["volunteer_id"], payload["delta"], 0, ADJUST)
