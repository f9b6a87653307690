"""The sessions page: correct a sign-in with taps only, close forgotten ones. Each test
checks what the screen says, the sound, the event written and the balance."""

from __future__ import annotations

from tests.gui.staff.common import login, page, wait_message
from tests.gui.test_appearance import check_screen
from tests.gui.test_attendance import events, result

CANTEEN = "A-20261130-01"  # 10:00-13:00, 15 points an hour


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
        "陈*文（V000103）　长者饭堂帮厨　自动签退，请核对" in text
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
    assert page(gui).message_ok and gui.app.sound.played[-1] == "success"
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


def row_widgets(gui) -> list:
    from kiosk.ui.staff.sessions import SessionRow

    return [w for w in gui.walk() if isinstance(w, SessionRow)]


def busy_week(gui, roster) -> None:
    """Sixteen sign-ins and outs today: more than the page shows at once."""
    for hour in range(8, 12):
        for vid in ("V000101", "V000102", "V000103", "V000105"):
            gui.clock.set(hour, 0)
            assert gui.kiosk.scan(
                roster[vid]["code"], activity_id=CANTEEN if hour >= 10 else None
            ).ok
            gui.clock.set(hour, 40)
            assert gui.kiosk.scan(roster[vid]["code"]).kind == "signed_out"


def test_a_long_list_draws_only_the_rows_in_view(gui, roster):
    busy_week(gui, roster)
    login(gui, roster)
    gui.press("tab", "sessions")
    sessions = page(gui)
    assert len(sessions.rows) == 16
    drawn = row_widgets(gui)
    assert 0 < len(drawn) < 16  # a RecycleView: rows out of view are not widgets at all
    texts_before = {w.session_id for w in drawn}
    sessions.ids.list.scroll_y = 0
    gui.settle()
    assert {w.session_id for w in row_widgets(gui)} != texts_before  # the oldest rows now


def test_the_editor_opened_from_far_down_the_list_is_in_view(gui, roster):
    """A busy week fills the sessions list past the screen: staff scroll down to a session
    and press correct; the editor opens at its top, every row of it in view."""
    busy_week(gui, roster)
    login(gui, roster)
    gui.press("tab", "sessions")
    page(gui).ids.list.scroll_y = 0  # staff scrolled to the oldest session
    gui.settle()
    oldest = gui.store.recent_sessions("2026-11-30")[-1]["session_id"]
    gui.press("correct_session", oldest)
    assert page(gui).name == "correct" and out_time(gui) == "签退时间：08:40"
    scroll = page(gui).ids.scroll
    assert scroll.scroll_y == 1
    bottom, top = (scroll.parent.to_window(scroll.x, y)[1] for y in (scroll.y, scroll.top))
    for widget in (gui.find("correct_step", 15), preview(gui)):
        assert bottom <= widget.to_window(*widget.center)[1] <= top  # on screen, not scrolled away


def test_forgotten_sign_ins_are_closed_and_the_button_counts_them(gui, roster):
    gui.wedge(roster["V000101"]["code"])  # 09:00, general duty until 23:59
    result(gui, "signed_in")
    gui.press("ok")
    gui.clock.set(9, 0)
    gui.clock.advance(days=1)  # the next morning, the session is forgotten
    login(gui, roster)
    gui.press("tab", "sessions")
    assert "忘了签退" in gui.texts()
    button = gui.find("close_forgotten")
    assert "（1）" in button.text and not button.disabled
    gui.press("close_forgotten")
    assert wait_message(gui, "已结束 1 个")
    assert gui.store.open_session("V000101") is None
    button = gui.find("close_forgotten")
    assert "（0）" in button.text and button.disabled  # nothing left to do


def test_a_sign_out_time_is_typed_on_the_pad(gui, roster):
    # 10:05 V000103 signs in at the canteen and forgets; closed as forgotten at 13:00. She
    # left at 12:40: typed, not stepped.
    gui.clock.set(10, 5)
    assert gui.kiosk.scan(roster["V000103"]["code"], activity_id=CANTEEN).kind == "signed_in"
    gui.clock.set(14, 30)
    gui.kiosk.close_forgotten_sessions()
    [session] = gui.store.recent_sessions("2026-11-30")
    login(gui, roster)
    gui.press("tab", "sessions")
    gui.press("correct_session", session["session_id"])
    gui.press("correct_type_time")
    [pad] = gui.modals()
    assert pad.shown == "__:__" and gui.find("numpad_ok").disabled
    for digit in "1270":  # 12:70 is no time: OK greyed, one line says what is
        gui.press("numpad_digit", digit, settle=False)
    gui.settle()
    assert gui.find("numpad_ok").disabled and "请输入 00:00 到 23:59 之间的时间" in gui.texts()
    gui.press("numpad_clear")
    for digit in "1240":
        gui.press("numpad_digit", digit, settle=False)
    gui.settle()
    assert pad.shown == "12:40" and not gui.find("numpad_ok").disabled
    gui.press("numpad_ok")
    assert out_time(gui) == "签退时间：12:40"
    # 10:05-12:40 is 155 minutes, floored to 150, at 15 an hour: 37 points
    assert preview(gui).text.startswith("更正后：155 分钟") and preview(gui).ink == "success"
    gui.press("confirm_correction")
    wait_message(gui, "已更正")
    [ev] = events(gui.store, "attendance.correct")
    assert ev.payload["signed_out_at"].startswith("2026-11-30T12:40")
