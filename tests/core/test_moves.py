"""What each event moves (kiosk.core.moves): the rules the kiosk, the ledger and the 台账
share. tests/test_rules_agree.py checks that all three count by them."""

from __future__ import annotations

from kiosk.core import moves
from kiosk.core.days import day_of, month_of
from kiosk.core.moves import Figures, PointsMove, Redeemed, StockMove


def test_a_sign_out_moves_its_points_and_minutes():
    after = Figures.of({"points": 20, "credited_minutes": 120})
    move = moves.session_move("V1", Figures(), after, moves.CLOSED)
    assert move == PointsMove("V1", 20, 120, "closed")


def test_a_correction_moves_the_difference_either_way():
    before = Figures.held(20, 120)
    assert moves.session_move("V1", before, Figures(10, 60), moves.CORRECT) == PointsMove(
        "V1", -10, -60, "correct"
    )
    assert moves.session_move("V1", before, Figures(30, 200), moves.CORRECT) == PointsMove(
        "V1", 10, 80, "correct"
    )
    assert moves.session_move("V1", before, Figures(20, 120), moves.CORRECT) is None
    # a correction of a session still open (no figures yet) gives all of its new figures
    assert moves.session_move("V1", Figures.held(None, None), Figures(5, 30), "correct") == (
        PointsMove("V1", 5, 30, "correct")
    )


def test_a_short_session_moves_nothing():
    assert moves.session_move("V1", Figures(), Figures(0, 0), moves.CLOSED) is None


def test_a_redemption_takes_points_and_one_off_the_shelf_when_stocked():
    p = {"cost": 40, "site_id": "S", "item_id": "towel", "stocked": True}
    assert moves.redeem_moves("V1", p) == (
        PointsMove("V1", -40, 0, "redeem"),
        StockMove("S", "towel", -1, "redeem"),
    )
    assert moves.redeem_moves("V1", {**p, "stocked": False})[1] is None
    older = {k: v for k, v in p.items() if k != "stocked"}  # before the flag: always goods
    assert moves.redeem_moves("V1", older)[1] == StockMove("S", "towel", -1, "redeem")


def test_a_cancel_gives_the_points_back_and_the_goods_unless_told_not_to():
    r = Redeemed("V1", "S", "towel", 40)
    points, stock = moves.cancel_moves(r, {"redemption_id": "R", "stocked": True})
    assert points == PointsMove("V1", 40, 0, "cancel")
    assert stock == StockMove("S", "towel", 1, "cancel")
    assert moves.cancel_moves(r, {"redemption_id": "R"})[1] == stock  # older kiosks: goods back
    assert moves.cancel_moves(r, {"redemption_id": "R", "restock": False})[1] is None
    # the points come back whatever happens to the goods
    assert moves.cancel_moves(r, {"restock": False})[0] == points


def test_a_cancel_puts_back_what_its_redemption_took_whatever_the_cancel_says():
    # The item became a privilege after it was redeemed as goods: the cancel (made from the
    # catalog as it is now) says not stocked, but one towel did leave the shelf.
    took = Redeemed("V1", "S", "towel", 40, stocked=True)
    assert moves.cancel_moves(took, {"stocked": False})[1] == StockMove("S", "towel", 1, "cancel")
    # and the other way: nothing left the shelf, so nothing comes back
    took_none = Redeemed("V1", "S", "towel", 40, stocked=False)
    assert moves.cancel_moves(took_none, {"stocked": True})[1] is None


def test_restocks_counts_and_points_adjustments():
    assert moves.stock_move("stock.restock", {"site_id": "S", "item_id": "i", "qty": 5}) == (
        StockMove("S", "i", 5, "restock")
    )
    assert moves.stock_move("stock.adjust", {"site_id": "S", "item_id": "i", "delta": -2}) == (
        StockMove("S", "i", -2, "adjust")
    )
    assert moves.stock_move("points.adjust", {"volunteer_id": "V1", "delta": 3}) is None
    assert moves.points_adjust_move({"volunteer_id": "V1", "delta": -7}) == PointsMove(
        "V1", -7, 0, "adjust"
    )


def test_day_and_month_of_a_time_and_of_its_text_agree():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    t = datetime(2026, 11, 30, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert day_of(t) == day_of(t.isoformat()) == "2026-11-30"
    assert month_of(t) == month_of(t.isoformat()) == "2026-11"
