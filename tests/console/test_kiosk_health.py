"""Kiosks report their queue and clock with each push; the 自助机 page turns that into
alerts. A report that does not parse never costs the batch."""

from __future__ import annotations

from datetime import timedelta

from sync.ledger.console.views.kiosks import health
from sync.ledger.db.console import KioskReport
from sync.protocol import enrollment_qr_text


def _enroll(console) -> tuple[str, str]:
    code = console.store.create_enrollment_code(
        "service-center", console.clock(), timedelta(hours=1)
    )
    done = console.store.enroll(code, "前台", console.clock())
    return done.kiosk_id, done.token


def test_a_push_reports_the_kiosks_queue(console):
    kiosk_id, token = _enroll(console)
    c = console.client()
    auth = {"Authorization": f"Bearer {token}"}
    status = {"pending": 7, "oldest_pending_s": 4000, "clock_offset_ms": -420, "software": "0.1.0"}
    r = c.post(
        "/v1/events", json={"kiosk_id": kiosk_id, "events": [], "status": status}, headers=auth
    )
    assert r.status_code == 200, r.text
    with console.db.read() as rd:
        rep = rd.kiosk_reports()[kiosk_id]
    assert (rep.pending, rep.oldest_pending_s, rep.clock_offset_ms, rep.software) == (
        7,
        4000,
        -420,
        "0.1.0",
    )
    assert "kiosks.alert_old_events" in health(rep, console.clock())
    # A report the ledger cannot read is ignored; the push still answers.
    r = c.post(
        "/v1/events",
        json={"kiosk_id": kiosk_id, "events": [], "status": {"pending": "lots"}},
        headers=auth,
    )
    assert r.status_code == 200
    with console.db.read() as rd:
        assert rd.kiosk_reports()[kiosk_id].pending == 7
    page = console.login("wang").get("/console/kiosks").text
    assert "前台" in page and "有超过 1 小时未上传的记录" in page


def test_a_pull_is_contact_and_never_goes_back_in_time(console):
    kiosk_id, token = _enroll(console)
    c = console.login("wang")  # one app: its API takes the pull, its console shows it
    auth = {"Authorization": f"Bearer {token}"}
    status = {"pending": 0, "software": "0.1.0"}
    assert c.post(
        "/v1/events", json={"kiosk_id": kiosk_id, "events": [], "status": status}, headers=auth
    ).is_success
    console.clock.move(minutes=20)  # quiet for 20 minutes in opening hours: an alert
    assert "kiosks.alert_silent" in _alerts(console, c, kiosk_id)
    assert c.get("/v1/changes", headers=auth).is_success  # then it pulls
    assert _alerts(console, c, kiosk_id) == []  # the page writes this process's pulls first
    with console.db.read() as rd:
        pulled = rd.kiosk_reports()[kiosk_id].contact_at
    with console.db.write() as w:  # another API process's older pull, written late
        w.put_kiosk_report(kiosk_id, "2026-11-29T09:00:00.000+08:00", None)
    with console.db.read() as rd:
        rep = rd.kiosk_reports()[kiosk_id]
    assert rep.contact_at == pulled and rep.software == "0.1.0"


def _alerts(console, client, kiosk_id):
    page = client.get("/console/kiosks")
    assert page.status_code == 200
    with console.db.read() as rd:
        return health(rd.kiosk_reports()[kiosk_id], console.clock())


def test_silence_alerts_only_in_opening_hours(console):
    now = console.clock()  # 09:30 in Shanghai
    quiet = KioskReport("K", (now - timedelta(minutes=20)).isoformat(), 0, None, 0, "", None)
    assert health(quiet, now) == ["kiosks.alert_silent"]
    night = now.replace(hour=23)
    late = KioskReport("K", (night - timedelta(minutes=20)).isoformat(), 0, None, 0, "", None)
    assert health(late, night) == []
    skewed = KioskReport("K", now.isoformat(), 0, None, 10 * 60 * 1000, "", None)
    assert health(skewed, now) == ["kiosks.alert_clock"]


def test_the_enrollment_qr_is_never_a_card():
    text = enrollment_qr_text("https://ledger.example", "ABCD-EFGH-JKMN")
    assert text == "VKENROLL1|https://ledger.example|ABCD-EFGH-JKMN"
    assert not text.startswith("VK1.")


def test_revoking_a_kiosk_stops_its_token(console):
    kiosk_id, token = _enroll(console)
    c = console.login("wang")
    from .conftest import csrf_of

    csrf = csrf_of(c.get("/console/kiosks").text)
    r = c.post(f"/console/kiosks/{kiosk_id}/revoke", data={"reason": "丢失", "csrf_token": csrf})
    assert r.status_code == 200
    r = console.client().post(
        "/v1/events",
        json={"kiosk_id": kiosk_id, "events": []},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 401
    assert "已停用" in c.get("/console/kiosks").text


def test_a_kiosk_reports_the_one_version(tmp_path, monkeypatch):
    """The version a kiosk pushes is kiosk.core.version's, installed or run from a tree."""
    import importlib.metadata
    from datetime import UTC, datetime

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)  # a source tree

    from kiosk.core.version import VERSION
    from kiosk.store import Store
    from sync.agent.rounds import kiosk_status

    store = Store.in_dir(tmp_path, create=True)
    try:
        status = kiosk_status(store, datetime(2026, 11, 29, 1, 0, tzinfo=UTC))
    finally:
        store.close()
    assert status["software"] == VERSION and status["pending"] == 0
