"""Staff correct attendance and adjust points on the real screen: taps only, no keyboard.
Each test checks what the screen says, the sound, the event written and the balance."""

from __future__ import annotations

from tests.gui.test_appearance import check_screen
from tests.gui.test_attendance import events, result
from tests.gui.test_staff import login

CANTEEN = "A-20261130-01"  # 10:00-13:00, 15 points an hour


def message(gui) -> str:
    return gui.app.screen("staff").message


def wait_message(gui, text: str) -> str:
    gui.wait_until(lambda: text in message(gui), what=f"staff message {text!r}")
    gui.settle()
    return message(gui)


def preview(gui, action: str = "correction_preview"):
    return gui.find(action, everywhere=True)


def out_time(gui) -> str:
    return next(line for line in gui.texts().splitlines() if line.startswith("签退时间："))


def test_a_forgotten_sign_out_with_no_points_is_corrected_twice(gui, roster):
    # 12:50 V000103 signs in at the canteen (ends 13:00) and forgets to sign out; at 14:30
    # the kiosk closes the session as forgotten: 10 minutes up to 13:00, no points.
    gui.clock.set(12, 50)
    assert gui.kiosk.scan(roster["V000103"]["code"], activity_id=CANTEEN).kind == "signed_in"
    gui.clock.set(14, 30)
    [closed] = gui.kiosk.close_forgotten_sessions()
    assert (closed.minutes, closed.points) == (10, 0)
    [session] = gui.store.recent_sessions("2026-11-30")
    sid = session["session_id"]

    login(gui, roster)
    gui.press("tab", "sessions")
    text = gui.texts()
    assert "最近 7 天的签到记录" in text
    assert (
        "陈*文（V000103）　长者饭堂帮厨　自动关闭，请核对" in text
        and "12:50–13:00　10 分钟　0 积分" in text
    )
    gui.press("correct_session", sid)
    assert out_time(gui) == "签退时间：13:00"
    problems = check_screen(gui)  # big buttons, readable text, on the editor too
    assert problems == []

    gui.press("correct_step", -60)  # 12:00: before the sign-in
    assert "签退时间不能早于签到时间" in preview(gui).text and preview(gui).ink == "refusal"
    assert gui.find("confirm_correction", everywhere=True).disabled
    gui.press("correct_step", 60)
    for _ in range(3):
        gui.press("correct_step", 15)  # 13:15, 13:30, 13:45
    gui.press("correct_step", 60)  # 14:45: later than now (14:30)
    assert out_time(gui) == "签退时间：14:45"
    assert "签退时间不能晚于现在" in preview(gui).text
    gui.press("confirm_correction")  # disabled: nothing happens
    assert events(gui.store, "attendance.correct") == []
    gui.press("correct_step", -15)
    assert out_time(gui) == "签退时间：14:30"
    # 12:50-14:30 is 100 minutes, floored to 90, at 15 an hour: 22 points
    assert (
        preview(gui).text == "更正后：100 分钟，计 100 分钟，22 积分（+22）"
        and preview(gui).ink == "success"
    )
    assert gui.find(
        "correct_reason", "forgot_sign_out", everywhere=True
    ).selected  # preset for a forgotten one
    gui.press("confirm_correction")
    assert wait_message(gui, "已更正") == "已更正：陈*文 100 分钟，22 积分（+22），现有 67 积分"
    assert gui.app.screen("staff").message_ok and gui.app.sound.played[-1] == "success"
    assert gui.store.balance("V000103") == 45 + 22
    [ev] = events(gui.store, "attendance.correct")
    assert ev.actor == "S0001" and ev.payload == {
        "session_id": sid,
        "volunteer_id": "V000103",
        "activity_id": CANTEEN,
        "signed_out_at": "2026-11-30T14:30:00.000+08:00",
        "minutes": 100,
        "credited_minutes": 100,
        "points": 22,
        "reason": "forgot_sign_out",
    }
    text = gui.texts()  # the list shows the new figures, and that staff corrected them
    assert (
        "陈*文（V000103）　长者饭堂帮厨　已更正" in text
        and "12:50–14:30　100 分钟　22 积分" in text
    )

    # A second look: she left at 13:30 after all. Counted from the sign-in, not on top.
    gui.press("correct_session", sid)
    assert out_time(gui) == "签退时间：14:30"
    gui.press("correct_step", -60)
    gui.press("correct_reason", "wrong_time")
    assert preview(gui).text == "更正后：40 分钟，计 40 分钟，7 积分（-15）"
    gui.press("confirm_correction")
    wait_message(gui, "已更正")
    assert gui.store.balance("V000103") == 45 + 7
    assert [e.payload["reason"] for e in events(gui.store, "attendance.correct")] == [
        "forgot_sign_out",
        "wrong_time",
    ]
    assert gui.store.replay_matches()


def test_an_open_session_is_closed_at_the_time_staff_set(gui, roster):
    gui.wedge(roster["V000101"]["code"])  # 09:00, general duty (10 points an hour, until 23:59)
    result(gui, "signed_in")
    gui.press("ok")
    gui.clock.set(15, 0)  # he left at 12:00 without scanning out
    login(gui, roster)
    gui.press("tab", "sessions")
    assert "张*明（V000101）　日常值班　签到中" in gui.texts()
    sid = gui.store.open_session("V000101").session_id
    gui.press("correct_session", sid)
    assert "还没有签退" in gui.texts() and out_time(gui) == "签退时间：15:00"  # from now
    for _ in range(3):
        gui.press("correct_step", -60)
    assert preview(gui).text == "更正后：180 分钟，计 180 分钟，30 积分（+30）"
    gui.press("cancel_correction")  # changed nothing
    assert (
        events(gui.store, "attendance.correct") == []
        and gui.store.open_session("V000101") is not None
    )
    gui.press("correct_session", sid)
    for _ in range(3):
        gui.press("correct_step", -60)
    gui.press("confirm_correction")
    wait_message(gui, "已更正")
    assert gui.store.open_session("V000101") is None
    assert gui.store.balance("V000101") == 120 + 30
    assert "09:00–12:00　180 分钟　30 积分" in gui.texts()


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
    assert preview(gui, "points_preview").text == "积分不够：现有 15 积分，调整后不能少于零"
    gui.press("confirm_points")
    assert message(gui) == "请选择原因" and gui.app.sound.played[-1] == "refusal"
    gui.press("points_reason", "mistake")
    gui.press("confirm_points")
    assert wait_message(gui, "积分不够") == "积分不够：调整后不能少于零"
    assert not gui.app.screen("staff").message_ok and gui.app.sound.played[-1] == "refusal"
    assert events(gui.store, "points.adjust") == [] and gui.store.balance("V000105") == 15

    for _ in range(3):
        gui.press("points_step", 10)  # -20 + 30 = +10
    gui.press("points_reason", "bonus")
    assert preview(gui, "points_preview").text == "调整后余额：25 积分"
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


def test_the_staff_menu_fits_beside_the_banner(gui, roster):
    """Ten buttons on the left, with the disk warning banner shown: at 1280x800 all are in
    view without scrolling (a shorter display scrolls the pages: test_small_screen.py)."""
    login(gui, roster)
    gui.app.disk_ok = False
    gui.settle()
    try:
        ids = gui.app.screen("staff").ids
        buttons = list(ids.nav.children) + list(ids.nav_exits.children)
        assert len(buttons) == 10
        assert gui.app.root.size == [1280, 800]  # the kiosk's screen (tests/gui/conftest.py)

        def span(w):  # bottom and top in window coordinates (the scroll view moves its content)
            return w.to_window(w.x, w.y)[1], w.to_window(w.x, w.top)[1]

        low, high = span(ids.nav_scroll)
        assert all(
            low - 0.5 <= span(b)[0] and span(b)[1] <= high + 0.5 for b in ids.nav.children
        ), f"a staff page button is cut off: {[span(b) for b in ids.nav.children]} in {low}..{high}"
        assert all(span(b)[0] >= -0.5 for b in ids.nav_exits.children)
        assert gui.app.banner_text
    finally:
        gui.app.disk_ok = True


def test_the_editor_opened_from_far_down_the_list_is_in_view(gui, roster):
    """A busy week fills 签到记录 past the screen: staff scroll down to a session and press
    更正; the editor is drawn at the top of the page, so the page scrolls there with it."""
    for hour in range(8, 12):
        for vid in ("V000101", "V000102", "V000103", "V000105"):
            gui.clock.set(hour, 0)
            assert gui.kiosk.scan(
                roster[vid]["code"], activity_id=CANTEEN if hour >= 10 else None
            ).ok
            gui.clock.set(hour, 40)
            assert gui.kiosk.scan(roster[vid]["code"]).kind == "signed_out"
    login(gui, roster)
    gui.press("tab", "sessions")
    scroll = gui.app.screen("staff").ids.content_scroll
    gui.wait_until(
        lambda: scroll.children[0].height > scroll.height, what="a list taller than the page"
    )
    scroll.scroll_y = 0  # staff scrolled to the oldest session
    oldest = gui.store.recent_sessions("2026-11-30")[-1]["session_id"]
    gui.press("correct_session", oldest)
    assert out_time(gui) == "签退时间：08:40"
    assert scroll.scroll_y == 1
    bottom, top = (scroll.parent.to_window(scroll.x, y)[1] for y in (scroll.y, scroll.top))
    for widget in (
        gui.find("correct_step", 15),
        preview(gui),
    ):  # the editor's rows, in the scrolled page
        assert bottom <= widget.to_window(*widget.center)[1] <= top  # on screen, not scrolled away
