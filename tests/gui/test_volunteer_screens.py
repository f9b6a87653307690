"""The volunteer's own screens in a real window: 我的记录 from the home screen and one tap
from a scan's answer, 近期活动 with sign-up, the waiting list and withdrawal, a new star
level's own colour and sound, the spoken prompts, and a certificate held up to the camera."""

from __future__ import annotations

from datetime import date, timedelta

from kiosk.core import certificate as cert
from kiosk.store import iso
from tests.gui.test_attendance import events, result

SOON = f"A-{date(2026, 11, 30) + timedelta(days=2):%Y%m%d}-11"  # 2 places, V000104 holds one


def test_my_record_from_the_home_screen_offline_marked_as_this_kiosks(gui, roster):
    gui.press("record")
    gui.wait_screen("who")
    assert "查看您的服务时长" in gui.texts()
    gui.wedge(roster["V000103"]["code"])
    scr = gui.wait_screen("record")
    gui.wait_until(lambda: scr.record is not None, what="record")
    assert scr.title.startswith("陈*文") and scr.offline
    # A kiosk never linked to a server says so in the top bar's words, not "offline".
    assert gui.app.sync_state == "standalone" and "未接入服务器：这里是本机的记录" in gui.texts()
    assert scr.record["source"] == "kiosk"
    gui.press("ok")
    gui.wait_screen("home")

    # Linked, but the server has not answered for hours: 未联网, and the record may be short.
    gui.store.set_settings(
        ledger_url="http://127.0.0.1:9", last_contact_at=iso(gui.clock() - timedelta(hours=3))
    )
    try:
        gui.app.refresh_status()
        gui.wait_until(lambda: gui.app.sync_state == "offline", what="the bar says offline")
        gui.press("record")
        gui.wait_screen("who")
        gui.forget_scans()
        gui.wedge(roster["V000103"]["code"])
        scr = gui.wait_screen("record")
        gui.wait_until(lambda: scr.record is not None and scr.note, what="record")
        assert "未联网：只显示本机的记录，可能不完整" in gui.texts()
        gui.press("ok")
        gui.wait_screen("home")
    finally:
        gui.store.set_settings(ledger_url="", last_contact_at="")
        gui.app.refresh_status()
        gui.wait_until(lambda: gui.app.sync_state == "standalone", what="standalone again")


def test_record_one_tap_from_a_sign_out_with_the_session(gui, roster):
    gui.wedge(roster["V000103"]["code"])
    result(gui, "signed_in")
    gui.press("ok")
    gui.clock.advance(hours=2)
    gui.forget_scans()
    gui.wedge(roster["V000103"]["code"])
    result(gui, "signed_out")
    gui.press("record")
    scr = gui.wait_screen("record")
    gui.wait_until(lambda: scr.record and scr.record["sessions"], what="the session listed")
    assert scr.record["sessions"][0]["credited_minutes"] == 120
    assert "120 分钟" in gui.texts() and "2.0 小时" in scr.month


def test_sign_up_then_the_waiting_list_then_withdraw(gui, roster):
    gui.press("upcoming")
    scr = gui.wait_screen("upcoming")
    gui.wait_until(
        lambda: any(r["activity_id"] == SOON for r in scr.rows), what="coming activities"
    )
    row = next(r for r in scr.rows if r["activity_id"] == SOON)
    assert "还有 1 个名额" in row["state"] and row["button_text"] == "报名"
    assert any("（在香山书房）" in r["title"] for r in scr.rows)  # the other site's, marked
    assert gui.app.who_for is None, gui.app.who_for
    gui.press("signup", SOON)
    gui.wait_screen("who")
    assert "报名：长者探访" in gui.texts()
    gui.wedge(roster["V000101"]["code"])
    shown = result(gui, "signed_up")
    assert shown.title == "报名成功" and gui.app.sound.spoken[-1] == "zh-Hans/signed_up"
    assert [e.payload for e in events(gui.store, "signup.add")] == [
        {"activity_id": SOON, "site_id": "service-center", "waitlisted": False}
    ]
    # The next volunteer finds it full: the waiting list, straight from their own list.
    gui.press("ok")
    gui.forget_scans()
    gui.wedge(roster["V000102"]["code"])
    gui.wait_screen("result")
    gui.press("upcoming")
    scr = gui.wait_screen("upcoming")
    gui.wait_until(
        lambda: any(r["activity_id"] == SOON and "名额已满" in r["state"] for r in scr.rows),
        what="the activity full",
    )
    row = next(r for r in scr.rows if r["activity_id"] == SOON)
    assert "名额已满" in row["state"] and row["button_text"] == "候补报名"
    gui.press("signup", SOON)
    shown = result(gui, "signed_up")
    assert shown.title == "已加入候补名单" and "候补第 1 位" in shown.body
    # V000101 withdraws; V000102 moves up.
    gui.press("ok")
    gui.wait_screen("home")
    gui.press("upcoming")
    gui.wait_screen("upcoming")
    gui.forget_scans()
    gui.wedge(roster["V000101"]["code"])  # a card shown here: the list becomes theirs
    gui.wait_until(lambda: gui.app.who_for == "V000101", what="V000101's list")
    gui.press("withdraw", SOON)
    result(gui, "withdrawn")
    assert sorted(gui.store.places(SOON).confirmed) == ["V000102", "V000104"]


def test_a_new_star_level_has_its_own_colour_and_sound(gui, roster):
    # V000103 is one and a half hours short of 100 hours.
    from kiosk.store import apply_changes

    apply_changes(
        gui.store,
        [{"kind": "balance", "key": "V000103",
          "data": {"balance": 45, "minutes_total": 100 * 60 - 90, "as_of": {}}}],
    )  # fmt: skip
    gui.wedge(roster["V000103"]["code"])
    result(gui, "signed_in")
    gui.press("ok")
    gui.clock.advance(hours=2)
    gui.forget_scans()
    gui.wedge(roster["V000103"]["code"])
    shown = result(gui, "signed_out")
    assert shown.tone == "star" and shown.bg == "star" and "1星志愿者" in shown.title
    assert gui.app.sound.played[-1] == "star" and gui.app.sound.spoken[-1] == "zh-Hans/star_up"


def test_prompts_in_the_screens_language_and_switched_off(gui, roster):
    gui.press("lang", "en")
    gui.wedge("https://weixin.qq.com/r/not-a-card")
    result(gui, "refused:not_ours")
    assert gui.app.sound.spoken[-1] == "en/not_ours"
    gui.press("ok")
    gui.app.sound.voice = False
    try:
        before = list(gui.app.sound.spoken)
        gui.forget_scans()
        gui.wedge(roster["V000105"]["code"])
        result(gui, "signed_in")
        assert gui.app.sound.spoken == before  # the tone still rings; no words
    finally:
        gui.app.sound.voice = True


def test_a_certificate_held_up_to_the_camera(gui, keys):
    fig = cert.CertificateFigures(
        "VC-2026-000003-ABCDEF", "V000102", "王秀英", date(2026, 1, 1), date(2026, 11, 30), 750, 9,
        date(2026, 11, 30),
    )  # fmt: skip
    text = cert.sign(keys.private_key, fig)
    gui.show_code(text, module_px=4)
    shown = result(gui, "certificate")
    assert "12.5 小时" in shown.body and gui.app.sound.spoken[-1] == "zh-Hans/certificate_ok"
    gui.take_away()
    gui.press("ok")
    gui.forget_scans()
    gui.wedge(text.replace(".750.", ".7500."))
    assert result(gui, "refused:certificate_forged").tone == "refusal"


def test_staff_switch_spoken_prompts_off_in_settings_and_it_lasts(gui, roster):
    from kiosk.ui.app import apply_saved_settings
    from tests.gui.staff.common import login

    login(gui, roster)
    gui.press("tab", "settings")
    gui.press("voice", "off")
    gui.press("save_settings")
    gui.wait_until(lambda: gui.store.setting("ui.voice_prompts") == "off", what="saved")
    assert gui.app.sound.voice is False
    assert apply_saved_settings(gui.kiosk.config, gui.store).voice_prompts is False
    gui.app.go_home()
    before = list(gui.app.sound.spoken)
    gui.wedge(roster["V000105"]["code"])
    result(gui, "signed_in")
    assert gui.app.sound.spoken == before
    gui.app.sound.voice = True  # the shared window's next test


def test_a_card_at_the_volunteers_screens_never_signs_in_and_idle_goes_home(gui, roster):
    gui.press("upcoming")
    gui.wait_screen("upcoming")
    gui.wedge(roster["V000106"]["code"])  # whose list: not a sign-in
    gui.wait_until(lambda: gui.app.who_for == "V000106", what="V000106's list")
    gui.press("ok")
    gui.wait_screen("home")
    assert gui.app.who_for is None  # the next person starts afresh
    gui.press("record")
    gui.wait_screen("who")
    gui.forget_scans()
    gui.wedge(roster["V000106"]["code"])
    scr = gui.wait_screen("record")
    gui.wait_until(lambda: scr.record is not None, what="record")
    gui.forget_scans()
    gui.wedge(roster["V000106"]["code"])
    gui.step(5)
    assert gui.app.sm.current == "record"
    assert events(gui.store, "attendance.sign_in") == []  # nobody signed in from these screens
    gui.app.idle_timeout = 0.6
    gui.wait_screen("home", timeout=5)
    assert gui.app.who_for is None
