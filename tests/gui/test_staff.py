"""Staff mode: card plus PIN, the lockout, and the staff pages, checked on screen and in the store."""

from __future__ import annotations

from kiosk.service import Kiosk
from kiosk.store import Store
from tests.gui.test_attendance import events, result


def enter_pin(gui, pin: str) -> None:
    for digit in pin:
        gui.press("pin_digit", digit, settle=False)
    gui.press("pin_ok")
    gui.wait_until(lambda: not gui.app.screen("pin").checking, what="PIN checked")
    gui.settle()


def login(gui, roster, pin: str = "246810"):
    gui.wedge(roster["S0001"]["code"])
    scr = gui.wait_screen("pin")
    assert "林*任" in scr.title
    assert gui.app.sound.played[-1] == "staff"
    enter_pin(gui, pin)
    return gui.wait_screen("staff")


def test_staff_login_and_restock_with_a_reason(gui, roster):
    login(gui, roster)
    assert gui.app.screen("staff").tab == "stock"
    assert "库存 10" in gui.texts()
    gui.press("restock", ("rice-5kg", 10))
    gui.wait_until(
        lambda: "已补货 10 件" in gui.app.screen("staff").message, what="restock message"
    )
    assert gui.store.stock("service-center", "rice-5kg") == 20
    [ev] = events(gui.store, "stock.restock")
    assert ev.actor == "S0001" and ev.payload["qty"] == 10 and ev.payload["reason"] == "delivery"

    gui.press("adjust", ("oil-1l", -1))  # a decrease needs a reason other than "delivery"
    assert "原因" in gui.app.screen("staff").message
    assert gui.store.stock("service-center", "oil-1l") == 8
    gui.press("reason", "damaged")
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


def test_five_wrong_pins_lock_staff_mode_for_five_minutes(gui, roster):
    gui.wedge(roster["S0001"]["code"])
    pin = gui.wait_screen("pin")
    for left in (4, 3, 2, 1):
        enter_pin(gui, "111111")
        assert pin.message == f"密码不对，还可以试 {left} 次"
    enter_pin(gui, "111111")
    assert "锁定" in pin.message and "09:05" in pin.message
    assert gui.app.sound.played[-1] == "refusal"
    enter_pin(gui, "246810")  # the right PIN does not open a locked account
    assert gui.app.sm.current == "pin" and "锁定" in pin.message
    gui.press("cancel")
    gui.wedge(roster["S0001"]["code"])  # nor does showing the card again
    gui.wait_screen("pin")
    assert "锁定" in pin.message
    gui.press("cancel")
    gui.wedge(roster["S0002"]["code"])  # a colleague is not locked out by S0001's mistakes
    gui.wait_screen("pin")
    assert pin.message == ""
    enter_pin(gui, "135790")
    gui.wait_screen("staff")
    gui.press("leave_staff")
    gui.wait_screen("home")
    gui.clock.advance(minutes=5, seconds=1)
    login(gui, roster)
    opened = events(gui.store, "staff.session_open")
    assert [e.actor for e in opened] == ["S0002", "S0001"]
    [closed] = events(gui.store, "staff.session_close")
    assert closed.payload == {"session_id": opened[0].payload["session_id"], "reason": "leave"}


def test_a_restart_keeps_the_lock(gui, roster):
    gui.wedge(roster["S0001"]["code"])
    pin = gui.wait_screen("pin")
    for _ in range(5):
        enter_pin(gui, "111111")
    assert "锁定" in pin.message
    gui.press("cancel")
    gui.wait_screen("home")
    # A new Kiosk and gate on the same file, as after a power cut.
    again = Kiosk(Store(gui.store.path), gui.kiosk.config, clock=gui.clock)
    gui.app.use_kiosk(again)
    gui.kiosk, gui.store = again, again.store
    gui.settle()
    gui.wedge(roster["S0001"]["code"])
    gui.wait_screen("pin")
    assert "锁定" in pin.message and "09:05" in pin.message


def test_assisted_sign_in_by_number_is_recorded_as_such(gui, roster):
    login(gui, roster)
    gui.press("tab", "assist")
    for digit in "000103":
        gui.press("assist_digit", digit, settle=False)
    gui.settle()
    assert "V000103" in gui.texts()
    gui.press("assist_go")
    gui.wait_until(lambda: "已签到" in gui.app.screen("staff").message, what="assisted sign-in")
    [ev] = events(gui.store, "attendance.sign_in")
    assert ev.actor == "V000103" and ev.payload["assisted_by"] == "S0001"


def test_close_forgotten_cancel_redemption_and_edit_catalog(gui, roster):
    gui.wedge(roster["V000101"]["code"])  # 09:00, general duty until 23:59
    result(gui, "signed_in")
    gui.press("ok")
    gui.press("rewards")
    gui.wait_screen("rewards_scan")
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("catalog")
    gui.press("item")  # the cheapest first: the notebook is out of stock here...
    gui.press("ok")
    gui.press("rewards")
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("catalog")
    towel = next(
        w for w in gui.walk() if getattr(w, "action", "") == "item" and w.item.item_id == "towel"
    )
    gui.tap(towel)
    gui.press("confirm")
    result(gui, "redeemed")
    gui.press("ok")

    gui.clock.set(9, 0)
    gui.clock.advance(days=1)  # the next morning, the session is forgotten
    login(gui, roster)
    gui.press("tab", "sessions")
    assert "忘了签退" in gui.texts()
    gui.press("close_forgotten")
    gui.wait_until(lambda: "已关闭 1 个" in gui.app.screen("staff").message, what="closed message")
    assert gui.store.open_session("V000101") is None

    gui.press("tab", "redemptions")
    [red] = gui.store.recent_redemptions()
    gui.press("cancel_redemption", red["redemption_id"])
    gui.wait_until(lambda: "已取消" in gui.app.screen("staff").message, what="cancel message")
    assert gui.store.balance("V000102") == 260
    assert gui.store.stock("service-center", "towel") == 25

    gui.press("tab", "catalog")
    gui.press("add_item")
    names = {w.action: w for w in gui.walk() if str(getattr(w, "action", "")).startswith("name:")}
    names["name:zh-Hans"].text = "雨伞"
    names["name:zh-Hant"].text = "雨傘"
    names["name:en"].text = "Umbrella"
    gui.press("cost_up", ("cost", 10))
    gui.press("save_item")
    gui.wait_until(lambda: "已保存" in gui.app.screen("staff").message, what="saved")
    item = next(i for i in gui.store.catalog() if i.names.get("zh-Hans") == "雨伞")
    assert item.cost == 20 and item.names["en"] == "Umbrella"

    gui.press("tab", "sync")
    text = gui.texts()
    assert "没有在同步" in text and "待上传" in text and "catalog.upsert" in text


def test_staff_settings_change_the_start_language(gui, roster):
    login(gui, roster)
    gui.press("tab", "settings")
    gui.press("default_lang", "en")
    gui.press("save_settings")
    gui.wait_until(lambda: gui.store.setting("ui.language") == "en", what="saved setting")
    gui.press("leave_staff")
    gui.wait_screen("home")
    assert gui.app.lang == "en" and "Show your volunteer card" in gui.texts()


def test_the_settings_page_shows_the_version(gui, roster):
    from kiosk import __version__
    from sync.protocol import PROTOCOL_VERSION

    login(gui, roster)
    gui.press("tab", "settings")
    gui.settle()
    text = gui.texts()
    assert f"软件版本 {__version__}" in text and f"同步协议 {PROTOCOL_VERSION}" in text


def test_a_card_shown_during_staff_mode_is_not_a_sign_in(gui, roster):
    login(gui, roster)
    gui.wedge(roster["V000101"]["code"])
    gui.settle()
    assert gui.app.sm.current == "staff"
    assert [e.type for e in events(gui.store)] == ["staff.session_open"]  # and no sign-in
