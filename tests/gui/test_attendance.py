"""Scan-first attendance in a real window: camera frames and wedge bursts in, the result
screen and the store checked after each."""

from __future__ import annotations

import time

import pytest

from kiosk.core.codes import sign
from kiosk.store import iso
from kiosk.ui.theme import TONES


def result(gui, kind: str):
    gui.wait_until(
        lambda: gui.app.sm.current == "result" and gui.app.screen("result").kind == kind,
        what=f"result {kind}",
    )
    gui.settle()
    return gui.app.screen("result")


def events(store, etype=None):
    evs = store.events_after(0, 1000)
    return [e for e in evs if etype is None or e.type == etype]


def test_sign_in_then_out_with_points_by_camera(gui, roster):
    code = roster["V000101"]["code"]
    gui.show_code(code)
    scr = result(gui, "signed_in")
    gui.take_away()
    text = gui.texts()
    assert "签到成功" in text and "张*明" in text and "日常值班" in text and "09:00" in text
    assert scr.bg == TONES["success"][0]
    assert gui.app.sound.played[-1] == "success"
    session = gui.store.open_session("V000101")
    assert session is not None and session.activity_id.startswith("GEN-SC-")

    gui.press("ok")
    gui.wait_screen("home")
    gui.clock.advance(hours=2)  # 11:00: two hours of general duty at 10 points an hour
    gui.forget_scans()
    gui.show_code(code)
    result(gui, "signed_out")
    gui.take_away()
    text = gui.texts()
    assert "签退成功" in text and "120 分钟" in text and "20 积分" in text and "140 积分" in text
    assert gui.store.open_session("V000101") is None
    assert gui.store.balance("V000101") == 140
    assert [e.type for e in events(gui.store)] == ["attendance.sign_in", "attendance.sign_out"]


def test_wedge_scan_and_repeat_within_debounce(gui, roster):
    code = roster["V000103"]["code"]
    gui.wedge(code)
    result(gui, "signed_in")
    gui.clock.advance(minutes=1)
    gui.wedge(code)
    scr = result(gui, "already_signed_in")
    assert "您已经签到了" in gui.texts()
    assert scr.bg == TONES["info"][0]
    assert len(events(gui.store)) == 1  # the repeat recorded nothing


def test_camera_reports_a_card_held_still_once(gui, roster):
    gui.show_code(roster["V000106"]["code"])
    result(gui, "signed_in")
    frames = gui.app.scanner.frames_decoded
    gui.wait_until(lambda: gui.app.scanner.frames_decoded > frames + 10, what="more frames decoded")
    gui.settle()
    gui.take_away()
    assert sum(1 for _t, text in gui.app.scan_log[-20:] if text == roster["V000106"]["code"]) == 1
    assert len(events(gui.store)) == 1


def test_several_activities_default_is_the_sign_up(gui, roster):
    gui.clock.set(10, 30)
    gui.wedge(roster["V000101"]["code"])
    scr = gui.wait_screen("choose")
    default = gui.find("activity", scr.choice.default_id)
    assert default.selected and "长者饭堂帮厨" in default.text
    general = next(a for a, *_ in scr.choice.options if a.startswith("GEN-"))
    gui.press("activity", general)
    result(gui, "signed_in")
    assert "日常值班" in gui.texts()
    assert gui.store.open_session("V000101").activity_id == general


def test_choice_buttons_survive_the_countdown(gui, roster):
    """The seconds line ticks down while the buttons stay the same widgets: a volunteer's
    finger on an option when a second passes is not lost with the button rebuilt under it."""
    gui.clock.set(10, 30)
    gui.wedge(roster["V000101"]["code"])
    scr = gui.wait_screen("choose")
    general = next(a for a, *_ in scr.choice.options if a.startswith("GEN-"))
    button = gui.find("activity", general)
    before = scr.countdown
    gui.wait_until(lambda: scr.countdown < before, what="a second of the countdown")
    assert str(int(scr.countdown)) in scr.detail
    assert gui.find("activity", general) is button and button.parent is not None
    gui.press("activity", general)
    result(gui, "signed_in")
    assert gui.store.open_session("V000101").activity_id == general


def test_forgotten_session_is_closed_and_told(gui, roster):
    code = roster["V000102"]["code"]
    gui.clock.set(10, 5)
    gui.wedge(code)
    scr = gui.wait_screen("choose")
    gui.press("activity", scr.choice.default_id)  # the canteen, 10:00-13:00
    result(gui, "signed_in")
    gui.clock.set(14, 30)  # past the end plus the grace hour: the session was forgotten
    gui.press("ok")
    gui.wedge(code)
    scr = result(gui, "signed_in")
    assert scr.notice and "忘了签退" in scr.notice and "13:00" in scr.notice
    assert "忘了签退" in gui.texts()
    types = [e.type for e in events(gui.store)]
    assert types == ["attendance.sign_in", "attendance.auto_close", "attendance.sign_in"]
    closed = events(gui.store, "attendance.auto_close")[0].payload
    # Credited up to the scheduled end (13:00), never to the moment of the next scan.
    assert closed["reason"] == "activity_finished" and closed["closed_at"].startswith(
        "2026-11-30T13:00"
    )
    assert closed["minutes"] == 175 and closed["points"] > 0
    assert gui.store.open_session("V000102").activity_id.startswith("GEN-SC-")


def test_forgotten_sessions_close_themselves_without_a_scan(gui, roster):
    gui.clock.set(10, 5)
    gui.wedge(roster["V000101"]["code"])
    gui.press("activity", gui.wait_screen("choose").choice.default_id)  # the canteen, 10:00-13:00
    result(gui, "signed_in")
    gui.press("ok")
    gui.clock.set(13, 30)  # inside the grace hour: still open
    gui.app.close_forgotten()
    gui.settle()
    assert gui.store.open_session("V000101") is not None
    gui.clock.set(14, 30)  # what the app's 5-minute job does once the grace has passed
    gui.app.close_forgotten()
    gui.wait_until(lambda: gui.store.open_session("V000101") is None, what="auto-close")
    closed = events(gui.store, "attendance.auto_close")[0].payload
    assert (
        closed["closed_at"].startswith("2026-11-30T13:00")
        and closed["reason"] == "activity_finished"
    )
    assert gui.app.sm.current == "home"  # nothing is shown to whoever stands at the kiosk


def _refusal_codes(roster, keys):
    return {
        "not_ours": "wxp://f2f0Q3V8mTzGkXy1-payment-code",
        "enrollment_code": "VKENROLL1|https://ledger.example|ABCD-EFGH-JKMN",
        "malformed": "VK1.V.V000101.1.short",
        "bad_signature": roster["V000101"]["code"][:-4]
        + ("AAAA" if not roster["V000101"]["code"].endswith("AAAA") else "BBBB"),
        "replaced_card": sign(keys.private_key, "V", "V000101", 0),
        "suspended": roster["V000108"]["code"],
        "unknown_volunteer": sign(keys.private_key, "V", "V999999", 1),
    }


WORDS = {
    "not_ours": ("这不是志愿者卡", "warning"),
    "enrollment_code": ("这是自助机登记码，不是志愿者卡", "info"),
    "malformed": ("二维码没有读完整", "warning"),
    "bad_signature": ("这张卡无法验证", "refusal"),
    "replaced_card": ("这是一张旧卡", "warning"),
    "suspended": ("这个志愿者账号已暂停", "refusal"),
    "unknown_volunteer": ("查不到这张卡", "refusal"),
}


@pytest.mark.parametrize("reason", list(WORDS))
def test_each_refusal_has_its_words_colour_and_sound(gui, roster, keys, reason):
    text = _refusal_codes(roster, keys)[reason]
    if reason in ("not_ours", "bad_signature", "enrollment_code"):
        gui.show_code(text)  # through the real decoder, as a visitor's phone would be
    else:
        gui.wedge(text)
    scr = result(gui, f"refused:{reason}")
    gui.take_away()
    title, tone = WORDS[reason]
    assert scr.title == title and scr.bg == TONES[tone][0]
    assert scr.next_step and scr.next_step in gui.texts()
    assert gui.app.sound.played[-1] == TONES[tone][2]
    assert events(gui.store) == []
    # Refused cards never freeze the kiosk: the next good card is answered.
    gui.press("ok")
    gui.wedge(roster["V000109"]["code"])
    result(gui, "signed_in")


def test_result_returns_home_by_itself(gui, roster):
    gui.app.result_seconds = 0.6
    gui.wedge(roster["V000107"]["code"])
    result(gui, "signed_in")
    gui.wait_screen("home", timeout=5)


def test_idle_timeout_returns_home(gui):
    gui.app.idle_timeout = 0.6
    gui.press("help")
    assert gui.app.sm.current == "help"
    assert "前台" in gui.texts()
    gui.wait_screen("home", timeout=5)


def test_language_switch_on_every_screen(gui, roster):
    gui.press("lang", "en")
    assert "Show your volunteer card" in gui.texts()
    gui.wedge(roster["V000104"]["code"])
    result(gui, "signed_in")
    assert "Signed in" in gui.texts() and "A*** M*****" in gui.texts()
    gui.press("lang", "zh-Hant")
    assert "簽到成功" in gui.texts()
    assert not gui.app.translator.missing


def test_camera_unplugged_shows_a_banner_and_the_wedge_still_works(gui, roster):
    gui.camera.unplug()
    try:
        gui.wait_until(lambda: gui.app.banner_text, timeout=10, what="camera banner")
        assert "扫码枪" in gui.app.banner_text
        gui.wedge(roster["V000110"]["code"])
        result(gui, "signed_in")
        assert gui.store.open_session("V000110") is not None
    finally:
        gui.camera.plug()
    gui.wait_until(lambda: not gui.app.banner_text, timeout=15, what="banner gone")


def test_disk_failure_shows_a_banner_and_an_error_result(gui, roster):
    gui.store.conn.close()  # what a yanked SD card looks like to the store
    gui.wedge(roster["V000101"]["code"])
    scr = result(gui, "error:error")
    assert scr.bg == TONES["refusal"][0]
    gui.wait_until(lambda: "存储" in gui.app.banner_text, what="disk banner")


class FakeAgent:
    """The edge of the world: no ledger here; the test sets the store as a sync round would."""

    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def test_the_sync_light_follows_the_store_and_counts_each_record_at_once(gui, roster):
    # Never linked to a server: grey, and said so.
    gui.wait_until(lambda: gui.app.status is not None, what="the first status")
    assert gui.app.sync_state == "standalone" and gui.app.sync_text == "未接入服务器 · 0 条待上传"
    agent = FakeAgent()
    gui.store.set_settings(ledger_url="http://ledger", last_contact_at=iso(gui.clock()))
    gui.app.use_sync_agent(agent)
    try:
        gui.wait_until(lambda: gui.app.sync_state == "online", what="online light")
        assert gui.app.sync_text == "已联网"
        gui.wedge(roster["V000101"]["code"])
        result(gui, "signed_in")
        assert agent.woken >= 1  # the new record is pushed at once
        # and counted at once, not at the next round
        gui.wait_until(lambda: gui.app.sync_text == "已联网 · 1 条待上传", what="counted")
        gui.clock.advance(minutes=5, seconds=1)  # no answer from the server for five minutes
        gui.app.refresh_status()
        gui.wait_until(lambda: gui.app.sync_state == "offline", what="offline light")
        assert gui.app.sync_text == "未联网 · 1 条待上传"
    finally:
        gui.app.sync_agent = None


def test_tapping_a_demo_card_holds_it_to_the_simulated_camera(gui):
    card = next(
        w
        for w in gui.walk()
        if getattr(w, "action", "") == "demo_card" and w.card["volunteer_id"] == "V000105"
    )
    gui.tap(card)
    result(gui, "signed_in")
    assert "王*" in gui.texts()  # 王喆: a rare given name, masked
    assert gui.store.open_session("V000105") is not None


def test_the_preview_pauses_while_a_scan_is_answered_then_comes_back(gui, roster):
    """No preview frames are drawn between a scan and its answer (they held the answer up by
    a frame or two, bench/bench_ui.py), and the live picture is back on the home screen after."""
    app = gui.app
    gui.show_code(roster["V000101"]["code"])
    result(gui, "signed_in")
    assert app._preview_hold_until > 0
    gui.take_away()
    gui.press("ok")
    gui.wait_screen("home")
    drawn = app.preview_pacer.shown
    app._preview_hold_until = time.monotonic() + 60  # as just after a scan
    seq = app.scanner.frame_seq
    gui.wait_until(lambda: app.scanner.frame_seq > seq + 1, what="new camera frames")
    app._update_preview(0)
    assert app.preview_pacer.shown == drawn  # paused
    app._preview_hold_until = time.monotonic() - 1  # the answer is on screen
    gui.wait_until(lambda: app.preview_pacer.shown > drawn, what="the preview back")
