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
    # The message follows a change of language made after it was said.
    gui.app.lang = "en"
    gui.settle()
    assert message(gui) == "Restocked: 10 added"
    gui.app.lang = "zh-Hans"
    gui.settle()
    assert message(gui) == "已补货 10 件"

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


def test_a_delivery_of_48_and_a_recount_are_typed_on_the_pad(gui, roster):
    login(gui, roster)
    # After a delivery the pad asks only how many came: no sign to choose, 0 greys OK.
    gui.press("stock_type", "rice-5kg")
    [pad] = gui.modals()
    assert not pad.signed and "输入：大米 5 公斤的数量" in gui.texts()
    gui.press("numpad_digit", "0")
    assert gui.find("numpad_ok").disabled and "请输入 1 到 9999 之间的数" in gui.texts()
    gui.press("numpad_clear")
    for digit in "48":
        gui.press("numpad_digit", digit, settle=False)
    gui.press("numpad_ok")
    wait_message(gui, "已补货 48 件")
    assert gui.store.stock("service-center", "rice-5kg") == 58

    # A recount takes off, never more than there are.
    gui.press("reason", "count_correction")
    gui.press("stock_type", "oil-1l")
    gui.press("numpad_take")
    gui.press("numpad_digit", "9")
    assert gui.find("numpad_ok").disabled and "请输入 -8 到 9999 之间的数" in gui.texts()
    gui.press("numpad_clear")
    gui.press("numpad_digit", "0")
    assert gui.find("numpad_ok").disabled and "请输入要补进或减少的数量" in gui.texts()
    gui.press("numpad_clear")
    gui.press("numpad_digit", "3")
    assert not gui.find("numpad_ok").disabled
    gui.press("numpad_ok")
    wait_message(gui, "库存已调整 -3")
    assert gui.store.stock("service-center", "oil-1l") == 5
    [adj] = events(gui.store, "stock.adjust")
    assert adj.payload["delta"] == -3 and adj.payload["reason"] == "count_correction"
