"""The points page: give or take back points with a reason, never below zero; a card
shown on the page picks the volunteer."""

from __future__ import annotations

from tests.gui.staff.common import login, message, page, wait_message
from tests.gui.test_appearance import check_screen
from tests.gui.test_attendance import events


def preview(gui, action: str = "points_preview"):
    return gui.find(action, everywhere=True)


def test_points_are_given_and_taken_with_a_reason_never_below_zero(gui, roster):
    login(gui, roster)
    gui.press("tab", "points")
    for digit in "000105":
        gui.press("points_digit", digit, settle=False)
    gui.press("points_go")
    gui.wait_until(lambda: "现有 15 积分" in gui.texts(), what="volunteer found")
    assert "王*（V000105）　现有 15 积分" in gui.texts()
    assert gui.find("confirm_points", everywhere=True).disabled  # nothing to confirm yet
    assert check_screen(gui) == []

    gui.press("points_step", -10)
    gui.press("points_step", -10)
    assert "调整 -20 积分" in gui.texts()
    # One line says what is wrong, and what would do (at most 15); Confirm is greyed.
    assert preview(gui).text == "积分不够：现有 15 积分，最多能减 15 积分"
    assert preview(gui).ink == "refusal"
    gui.press("points_reason", "mistake")
    assert gui.find("confirm_points", everywhere=True).disabled
    gui.press("confirm_points")  # greyed: nothing happens, and no second message
    assert message(gui) == "" and "积分不够" not in message(gui)
    assert events(gui.store, "points.adjust") == [] and gui.store.balance("V000105") == 15

    for _ in range(3):
        gui.press("points_step", 10)  # -20 + 30 = +10
    assert not gui.find("confirm_points", everywhere=True).disabled  # the reason still chosen
    gui.press("points_reason", "bonus")
    assert preview(gui).text == "调整后余额：25 积分"
    gui.press("confirm_points")
    assert wait_message(gui, "已调整") == "已调整：王* +10 积分，现有 25 积分"
    assert gui.app.sound.played[-1] == "success"
    assert "王*（V000105）　现有 25 积分" in gui.texts()  # the same person, for another change
    [ev] = events(gui.store, "points.adjust")
    assert ev.actor == "S0001" and ev.payload == {
        "volunteer_id": "V000105",
        "delta": 10,
        "reason": "bonus",
    }
    assert gui.store.balance("V000105") == 25

    # Another volunteer shows their card on this page: it picks them, it is not a sign-in.
    gui.forget_scans()
    gui.show_code(roster["V000102"]["code"])
    gui.wait_until(
        lambda: "李*英（V000102）　现有 260 积分" in gui.texts(), what="card picks the volunteer"
    )
    gui.take_away()
    assert events(gui.store, "attendance.sign_in") == []
    gui.press("points_other")
    gui.forget_scans()
    gui.wedge(roster["S0002"]["code"])  # a USB scanner works here too; a staff card is refused
    wait_message(gui, "这是工作人员卡")
    for digit in "999999":
        gui.press("points_digit", digit, settle=False)
    gui.press("points_go")
    wait_message(gui, "没有这个编号的志愿者")
    assert [e.type for e in events(gui.store)] == ["staff.session_open", "points.adjust"]


def test_a_number_of_points_is_typed_on_the_pad(gui, roster):
    login(gui, roster)
    gui.press("tab", "points")
    for digit in "000110":
        gui.press("points_digit", digit, settle=False)
    gui.press("points_go")
    gui.wait_until(lambda: page(gui).name == "points_adjust", what="volunteer found")
    assert gui.find("confirm_points", everywhere=True).disabled
    assert preview(gui).text == "用下面的按钮或「输入数字」选择加减多少积分"
    gui.press("points_type")
    for digit in "120":
        gui.press("numpad_digit", digit, settle=False)
    gui.press("numpad_take")
    gui.press("numpad_ok")
    assert "调整 -120 积分" in gui.texts()
    assert preview(gui).text == "请选择原因"  # the one thing still missing
    gui.press("points_reason", "mistake")
    assert preview(gui).text == "调整后余额：380 积分"
    gui.press("confirm_points")
    wait_message(gui, "已调整")
    assert gui.store.balance("V000110") == 380

    gui.press("points_type")  # more than she has: OK is greyed, and the pad says why
    for digit in "999":
        gui.press("numpad_digit", digit, settle=False)
    gui.press("numpad_take")
    assert gui.find("numpad_ok").disabled and "请输入 -380 到 10000 之间的数" in gui.texts()
    gui.press("numpad_cancel")
    assert "调整 0 积分" in gui.texts()
