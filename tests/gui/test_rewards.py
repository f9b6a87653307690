"""Rewards: the button, the card, the catalog, confirm, pickup number; online and offline."""

from __future__ import annotations

from datetime import timedelta

from kiosk.store import iso
from kiosk.ui.theme import TONES
from tests.gui.test_attendance import events, result


def open_catalog(gui, code: str, camera: bool = False):
    gui.press("rewards")
    gui.wait_screen("rewards_scan")
    assert "积分兑换" in gui.texts()
    if camera:
        gui.show_code(code)
    else:
        gui.wedge(code)
    scr = gui.wait_screen("catalog")
    gui.take_away()
    return scr


def tile(gui, item_id: str):
    return next(
        w for w in gui.walk() if getattr(w, "action", "") == "item" and w.item.item_id == item_id
    )


def test_redeem_online_gives_a_pickup_number_and_new_balance(gui, roster):
    scr = open_catalog(gui, roster["V000102"]["code"], camera=True)
    assert "李*英" in scr.header and "260" in scr.header and not scr.note
    rice = tile(gui, "rice-5kg")
    assert rice.available and "200 积分" in rice.cost_text and "库存 10" in rice.stock_text
    assert "每月限 1 次" in rice.limit_text
    assert rice.image.endswith("rice-5kg.png")
    gui.tap(rice)
    confirm = gui.wait_screen("confirm")
    assert "兑换后剩 60 积分" in confirm.body
    gui.press("confirm")
    res = result(gui, "redeemed")
    assert res.big == "领取号 001" and "还剩 60 积分" in res.body and not res.notice
    assert res.bg == TONES["success"][0]
    assert gui.store.balance("V000102") == 60
    assert gui.store.stock("service-center", "rice-5kg") == 9
    [red] = gui.store.recent_redemptions()
    assert red["pickup_no"] == "001" and red["offline"] == 0


def test_redeem_offline_within_the_allowance(gui, roster):
    old = gui.clock.now - timedelta(hours=2)
    gui.store.set_settings(ledger_url="http://127.0.0.1:9", last_contact_at=iso(old))
    scr = open_catalog(gui, roster["V000110"]["code"])
    assert "未联网" in scr.note and "100" in scr.note
    rice = tile(gui, "rice-5kg")
    assert not rice.available and "额度" in rice.state_text  # 200 > today's offline allowance
    gui.tap(rice)  # refused, saying what it costs, what is left today, and what would do
    res = result(gui, "redeem_refused:offline_allowance")
    assert res.body == "大米 5 公斤 需要 200 积分；本机未联网时，您今天还能兑换 100 积分"
    assert res.next_step == "等本机联网后就能换，或找工作人员"
    gui.press("ok")
    gui.forget_scans()
    open_catalog(gui, roster["V000110"]["code"])
    gui.tap(tile(gui, "towel"))
    gui.wait_screen("confirm")
    gui.press("confirm")
    res = result(gui, "redeemed")
    assert "未联网" in res.notice
    [red] = gui.store.recent_redemptions()
    assert red["item_id"] == "towel" and red["offline"] == 1
    assert gui.store.balance("V000110") == 470


def test_insufficient_balance_is_refused_with_what_is_missing(gui, roster):
    open_catalog(gui, roster["V000105"]["code"])  # 15 points
    towel = tile(gui, "towel")
    assert not towel.available and "还差 15" in towel.state_text
    gui.tap(towel)
    res = result(gui, "redeem_refused:insufficient_balance")
    assert res.title == "积分不够" and res.bg == TONES["warning"][0]
    # what would make it work: the cost beside the balance, and what is missing
    assert res.body == "毛巾：需要 30 积分，您有 15 积分"
    assert "再攒 15 积分就能换" in res.next_step
    assert gui.store.recent_redemptions() == [] and gui.store.balance("V000105") == 15


def test_a_second_one_in_the_month_is_refused_with_the_limit_and_when_it_resets(gui, roster):
    open_catalog(gui, roster["V000102"]["code"])  # 260 points; oil: 150, once a month
    gui.tap(tile(gui, "oil-1l"))
    gui.wait_screen("confirm")
    gui.press("confirm")
    result(gui, "redeemed")
    gui.press("ok")
    gui.forget_scans()
    open_catalog(gui, roster["V000102"]["code"])
    oil = tile(gui, "oil-1l")
    assert not oil.available
    gui.tap(oil)
    res = result(gui, "redeem_refused:monthly_limit")
    # what would make it work: the limit beside what was redeemed, and when it resets
    assert res.body == "食用油 1 升：每人每月限 1 次，您本月已换 1 次"
    assert res.next_step == "下个月 1 日起可以再换"
    assert len(gui.store.recent_redemptions()) == 1 and gui.store.balance("V000102") == 110


def test_out_of_stock_is_refused(gui, roster):
    open_catalog(gui, roster["V000102"]["code"])
    notebook = tile(gui, "notebook")
    assert (
        not notebook.available
        and notebook.stock_text == "库存 0"
        and "已兑完" in notebook.state_text
    )
    gui.tap(notebook)
    res = result(gui, "redeem_refused:out_of_stock")
    assert "兑完" in res.title
    assert events(gui.store) == []


def test_a_non_card_at_the_rewards_screen_is_refused(gui):
    gui.press("rewards")
    gui.wait_screen("rewards_scan")
    gui.wedge("https://example.com/promo")
    res = result(gui, "refused:not_ours")
    assert res.title == "这不是志愿者卡"
