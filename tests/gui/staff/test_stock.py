"""The stock page: restock and adjust with a reason, checked on screen and in the store."""

from __future__ import annotations

from tests.gui.staff.common import login, message, wait_message
from tests.gui.test_attendance import events


def test_staff_login_and_restock_with_a_reason(gui, roster):
    login(gui, roster)
    assert gui.app.screen("staff").tab == "stock"
    assert "库存 10" in gui.texts()
    gui.press("restock", ("rice-5kg", 10))
    wait_message(gui, "已补货 10 件")
    assert gui.store.stock("service-center", "rice-5kg") == 20
    assert "大米 5 公斤　库存 20" in gui.texts()  # the row shows the new count
    [ev] = events(gui.store, "stock.restock")
    assert ev.actor == "S0001" and ev.payload["qty"] == 10 and ev.payload["reason"] == "delivery"

    # A decrease needs a reason other than "delivery": greyed until one is chosen, and one
    # line says so. An item with none left has nothing to take off.
    assert gui.find("adjust", ("oil-1l", -1)).disabled
    assert "要减少库存，请先选原因：盘点更正、损坏或过期" in gui.texts()
    gui.press("adjust", ("oil-1l", -1))
    assert gui.store.stock("service-center", "oil-1l") == 8 and message(gui) == "已补货 10 件"
    gui.press("reason", "damaged")
    assert not gui.find("adjust", ("oil-1l", -1)).disabled
    assert gui.find("adjust", ("notebook", -1)).disabled  # 0 in stock
    assert "要减少库存" not in gui.texts()
    assert gui.find("reason", "damaged").selected and not gui.find("reason", "delivery").selected
    gui.press("adjust", ("oil-1l", -1))
    gui.wait_until(lambda: gui.store.stock("service-center", "oil-1l") == 7, what="stock adjusted")
    [adj] = events(gui.store, "stock.adjust")
    assert adj.payload == {
        "site_id": "service-center",
        "item_id": "oil-1l",
        "delta": -1,
        "reason": "damaged",
    }
    gui.press("leave_staff")
    gui.wait_screen("home")
