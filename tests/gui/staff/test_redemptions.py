"""The redemptions page: a redemption handed over by mistake is cancelled."""

from __future__ import annotations

from tests.gui.staff.common import login, wait_message


def test_a_redemption_is_cancelled_points_and_stock_come_back(gui, roster):
    assert gui.kiosk.redeem(roster["V000102"]["code"], "towel").kind == "redeemed"
    assert gui.store.balance("V000102") == 230
    login(gui, roster)
    gui.press("tab", "redemptions")
    [red] = gui.store.recent_redemptions()
    assert "001号　毛巾　李*英" in gui.texts()
    gui.press("cancel_redemption", red["redemption_id"])
    wait_message(gui, "已取消")
    assert gui.store.balance("V000102") == 260
    assert gui.store.stock("service-center", "towel") == 25
    assert "已取消" in gui.texts()
    try:  # a cancelled one cannot be cancelled again: its row has no button
        gui.find("cancel_redemption", red["redemption_id"])
        raise AssertionError("the cancelled redemption still offers a cancel button")
    except LookupError:
        pass
