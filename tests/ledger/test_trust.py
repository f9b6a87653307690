"""A kiosk is a client, not an authority (DESIGN section 9, trust): with a valid kiosk
token, figures that differ from the ledger's own rule, and events for another site, an
unknown activity or a staff member who may not act there, are rejected with a reason,
listed in exceptions, and never block the queue; the cost of a reward is the catalog's.
The same figures from an honest kiosk are accepted. On every storage backend."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from sync.ledger.app import create_app
from sync.ledger.db import open_db
from tests.dbpeek import rows
from tests.demo_ledger import make_demo_ledger

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
SC, XS = "service-center", "xiangshan-study"
GEN_SC, GEN_XS = "GEN-SC-20261129", "GEN-XS-20261129"  # general duty: 10 points an hour
CANTEEN = "A-20261129-01"  # at the service center, 10:00-13:00, 15 points an hour


def at(hhmm: str) -> str:
    return f"2026-11-29T{hhmm}:00.000+08:00"


class Kiosk:
    """One enrolled kiosk pushing hand-made events, seq by seq."""

    def __init__(self, client: TestClient, store, site: str):
        code = store.create_enrollment_code(site, T0)
        enrolled = client.post(
            "/v1/enroll", json={"enrollment_code": code, "kiosk_name": "trust"}
        ).json()
        self.client, self.id, self.token, self.seq = (
            client,
            enrolled["kiosk_id"],
            enrolled["token"],
            0,
        )

    def event(self, etype: str, actor: str, when: str, payload: dict, eid: str | None = None):
        self.seq += 1
        return {
            "id": eid or f"{self.id}-{self.seq}",
            "kiosk_id": self.id,
            "seq": self.seq,
            "type": etype,
            "occurred_at": at(when),
            "clock_offset_ms": 0,
            "actor": actor,
            "payload": payload,
        }

    def push(self, *events: dict) -> list[dict]:
        r = self.client.post(
            "/v1/events",
            headers={"Authorization": f"Bearer {self.token}"},
            json={"kiosk_id": self.id, "events": list(events)},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["acked_seq"] == self.seq  # a refusal never holds the queue up
        return body["results"]

    def sign_in(self, vid: str, when: str, activity: str = GEN_SC, site: str = SC) -> dict:
        sid = f"{self.id}-in-{self.seq + 1}"
        return self.event(
            "attendance.sign_in",
            vid,
            when,
            {"session_id": sid, "activity_id": activity, "site_id": site},
            sid,
        )

    def close(self, etype: str, vid: str, when: str, sid: str, figures: tuple, **extra) -> dict:
        minutes, credited, points = figures
        payload = {
            "session_id": sid,
            "minutes": minutes,
            "credited_minutes": credited,
            "points": points,
        }
        return self.event(etype, vid, when, {**payload, **extra})


@pytest.fixture
def env(tmp_path, ledger_url):
    admin = make_demo_ledger(ledger_url, tmp_path / "demo", "2026-11-29", lambda: T0)
    store = open_db(ledger_url)
    # S0002 may act at the Xiangshan study only.
    store.load_reference(
        [
            {
                "kind": "volunteer",
                "key": "S0002",
                "data": {"kind": "S", "display_name": "何社工", "sites": [XS]},
            }
        ],
        T0,
    )
    client = TestClient(create_app(store, clock=lambda: T0))
    yield store, client, {"Authorization": f"Bearer {admin}"}
    store.close()


def _statuses(results: list[dict]) -> list[str]:
    return [r["status"] for r in results]


def _rejected(store, client, staff) -> dict[str, str]:
    """event id -> reason, as the staff exceptions list gives the rejections."""
    r = client.get("/v1/exceptions", params={"kind": "rejected"}, headers=staff)
    assert r.status_code == 200
    return {x["event_id"]: x["detail"]["reason"] for x in r.json()["exceptions"]}


def test_a_forged_points_figure_is_rejected_and_listed(env):
    store, client, staff = env
    k = Kiosk(client, store, SC)
    start = store.volunteer("V000101")["balance"]
    sign_in = k.sign_in("V000101", "09:00")
    sid = sign_in["id"]
    forged = k.close("attendance.sign_out", "V000101", "11:05", sid, (125, 125, 1_000_000_000))
    assert _statuses(k.push(sign_in, forged)) == ["accepted", "rejected"]
    assert store.volunteer("V000101")["balance"] == start  # nothing minted
    reason = _rejected(store, client, staff)[forged["id"]]
    assert "1000000000 points" in reason and "125 credited, 20 points" in reason, reason
    # The kiosk's own staff page lists it too (its site's exceptions).
    mine = client.get("/v1/exceptions", headers={"Authorization": f"Bearer {k.token}"}).json()
    assert forged["id"] in {x["event_id"] for x in mine["exceptions"]}
    # The session stays open at the ledger, and the rule's own figures close it: 125 minutes
    # all credited, the points floored to the half hour (120 minutes at 10 an hour).
    honest = k.close("attendance.sign_out", "V000101", "11:05", sid, (125, 125, 20))
    assert _statuses(k.push(honest)) == ["accepted"]
    assert store.volunteer("V000101")["balance"] == start + 20


def test_the_daily_cap_counts_the_kiosk_s_other_sessions_that_day(env):
    store, client, staff = env
    k = Kiosk(client, store, SC)
    start = store.volunteer("V000102")["balance"]
    first = k.sign_in("V000102", "06:00")
    out1 = k.close("attendance.sign_out", "V000102", "12:00", first["id"], (360, 360, 60))
    second = k.sign_in("V000102", "13:00")
    # 480 a day: 120 minutes are left of it, so 180 minutes earn 120 credited, 20 points.
    greedy = k.close("attendance.sign_out", "V000102", "16:00", second["id"], (180, 180, 30))
    fair = k.close("attendance.sign_out", "V000102", "16:00", second["id"], (180, 120, 20))
    assert _statuses(k.push(first, out1, second, greedy, fair)) == [
        "accepted",
        "accepted",
        "accepted",
        "rejected",
        "accepted",
    ]
    assert store.volunteer("V000102")["balance"] == start + 80
    # A staff correction works the session out again, the other session counted for the cap.
    fix = k.event(
        "attendance.correct",
        "S0001",
        "17:00",
        {
            "session_id": second["id"],
            "volunteer_id": "V000102",
            "signed_out_at": at("14:00"),
            "minutes": 60,
            "credited_minutes": 60,
            "points": 10,
            "reason": "wrong_time",
        },
    )
    forged_fix = k.event(fix["type"], fix["actor"], "17:00", {**fix["payload"], "points": 500})
    forged_fix["seq"], fix["seq"] = fix["seq"], forged_fix["seq"]
    assert _statuses(k.push(forged_fix, fix)) == ["rejected", "accepted"]
    assert store.volunteer("V000102")["balance"] == start + 70


def test_the_daily_cap_counts_that_day_s_sessions_from_earlier_batches(env):
    """A batch reads the sessions its closes' days hold once, at its start (only those days):
    the morning's session, pushed before, still counts; an auto-close is capped by the day
    its session began on."""
    store, client, staff = env
    k = Kiosk(client, store, SC)
    start = store.volunteer("V000104")["balance"]
    first = k.sign_in("V000104", "06:00")
    out1 = k.close("attendance.sign_out", "V000104", "12:00", first["id"], (360, 360, 60))
    assert _statuses(k.push(first, out1)) == ["accepted", "accepted"]
    second = k.sign_in("V000104", "13:00")
    greedy = k.close("attendance.sign_out", "V000104", "16:00", second["id"], (180, 180, 30))
    fair = k.close("attendance.sign_out", "V000104", "16:00", second["id"], (180, 120, 20))
    assert _statuses(k.push(second, greedy, fair)) == ["accepted", "rejected", "accepted"]
    assert store.volunteer("V000104")["balance"] == start + 80
    # Another volunteer's session left open that afternoon, closed by the kiosk after
    # midnight, in a later batch: the cap counts the day the session began on, not the day
    # of the closing event.
    third = k.sign_in("V000105", "06:00")
    out3 = k.close("attendance.sign_out", "V000105", "13:00", third["id"], (420, 420, 70))
    fourth = k.sign_in("V000105", "14:00")
    assert _statuses(k.push(third, out3, fourth)) == ["accepted"] * 3
    late = {"closed_at": at("23:59"), "reason": "earlier_day"}
    closes = [
        k.close("attendance.auto_close", "V000105", "00:30", fourth["id"], figures, **late)
        for figures in ((599, 120, 20), (599, 60, 10))
    ]
    for ev in closes:
        ev["occurred_at"] = "2026-11-30T00:30:00.000+08:00"
    got = k.push(*closes)
    assert _statuses(got) == ["rejected", "accepted"], got


def test_what_a_kiosk_may_not_do_is_refused_with_a_reason(env):
    store, client, staff = env
    k = Kiosk(client, store, SC)
    start = store.volunteer("V000103")["balance"]
    towel = json.loads(rows(store, "SELECT data FROM catalog WHERE item_id = 'towel'")[0][0])
    events = {
        "other site's activity": k.sign_in("V000103", "09:00", activity=GEN_XS),
        "other site in payload": k.sign_in("V000103", "09:00", site=XS),
        "unknown activity": k.sign_in("V000103", "09:00", activity="NO-SUCH"),
        "staff as volunteer": k.sign_in("S0001", "09:00"),
        "stock elsewhere": k.event(
            "stock.restock", "S0001", "09:00", {"site_id": XS, "item_id": "towel", "qty": 5}
        ),
        "unknown item": k.event(
            "stock.restock", "S0001", "09:00", {"site_id": SC, "item_id": "nope", "qty": 5}
        ),
        "volunteer as staff": k.event(
            "points.adjust",
            "V000103",
            "09:00",
            {"volunteer_id": "V000103", "delta": 1000, "reason": "me"},
        ),
        "staff of another site": k.event(
            "stock.adjust",
            "S0002",
            "09:00",
            {"site_id": SC, "item_id": "towel", "delta": -3, "reason": "count"},
        ),
        "unknown staff": k.event(
            "catalog.upsert",
            "S9999",
            "09:00",
            {"item_id": "towel", "cost": 0, "names": {"zh-Hans": "毛巾"}, "kind": "goods"},
        ),
    }
    results = k.push(*events.values())
    assert _statuses(results) == ["rejected"] * len(events)
    reasons = dict(zip(events, (r["reason"] for r in results), strict=True))
    assert "another site" in reasons["other site in payload"]
    assert GEN_XS in reasons["other site's activity"]
    assert "unknown activity NO-SUCH" in reasons["unknown activity"]
    assert "not a volunteer" in reasons["staff as volunteer"]
    assert "another site" in reasons["stock elsewhere"]
    assert "unknown catalog item" in reasons["unknown item"]
    assert "not a staff member" in reasons["volunteer as staff"]
    assert f"may not act at {SC}" in reasons["staff of another site"]
    assert "not on the ledger's roster" in reasons["unknown staff"]
    listed = _rejected(store, client, staff)
    assert {e["id"] for e in events.values()} <= set(listed)
    assert store.volunteer("V000103")["balance"] == start
    assert json.loads(rows(store, "SELECT data FROM catalog WHERE item_id = 'towel'")[0][0]) == (
        towel
    )

    # A reward costs what the catalog says, whatever the kiosk sent; staff see the difference.
    cheap = k.event(
        "redemption.create",
        "V000103",
        "10:00",
        {"redemption_id": "r-cheap", "item_id": "towel", "site_id": SC, "cost": 0},
        "r-cheap",
    )
    assert _statuses(k.push(cheap)) == ["accepted"]
    assert store.volunteer("V000103")["balance"] == start - towel["cost"]
    r = client.get("/v1/exceptions", params={"kind": "figure_recomputed"}, headers=staff)
    [x] = r.json()["exceptions"]
    assert x["event_id"] == "r-cheap" and x["detail"]["cost"] == towel["cost"]
    # Cancelling it gives back what was charged, and only staff may.
    by_volunteer = k.event(
        "redemption.cancel", "V000103", "10:05", {"redemption_id": "r-cheap", "reason": "x"}
    )
    by_staff = k.event(
        "redemption.cancel", "S0001", "10:05", {"redemption_id": "r-cheap", "reason": "x"}
    )
    assert _statuses(k.push(by_volunteer, by_staff)) == ["rejected", "accepted"]
    assert store.volunteer("V000103")["balance"] == start

    # A forgotten sign-out is credited up to the activity's end (13:00), never later.
    sign_in = k.sign_in("V000103", "12:00", activity=CANTEEN)
    late = k.close(
        "attendance.auto_close",
        "V000103",
        "20:00",
        sign_in["id"],
        (480, 480, 120),
        closed_at=at("20:00"),
        reason="activity_finished",
    )
    end = k.close(
        "attendance.auto_close",
        "V000103",
        "20:00",
        sign_in["id"],
        (60, 60, 15),
        closed_at=at("13:00"),
        reason="activity_finished",
    )
    results = k.push(sign_in, late, end)
    assert _statuses(results) == ["accepted", "rejected", "accepted"]
    assert "closed_at" in results[1]["reason"]
    assert store.volunteer("V000103")["balance"] == start + 15


def test_a_kiosk_changes_only_what_its_site_may_change_in_the_catalog(env):
    store, client, staff = env
    sc, xs = Kiosk(client, store, SC), Kiosk(client, store, XS)

    def item(item_id: str) -> dict:
        found = rows(store, "SELECT data FROM catalog WHERE item_id = ?", (item_id,))
        return json.loads(found[0][0]) if found else {}

    mug = {"item_id": "sc-mug", "names": {"zh-Hans": "杯子"}, "cost": 40, "kind": "goods"}
    assert _statuses(sc.push(sc.event("catalog.upsert", "S0001", "09:00", mug))) == ["accepted"]
    assert item("sc-mug")["site_id"] == SC  # a reward made at a kiosk is its site's
    cheap = {**mug, "cost": 0}
    [refused] = xs.push(xs.event("catalog.upsert", "S0002", "09:05", cheap))
    assert refused["status"] == "rejected" and f"belongs to {SC}" in refused["reason"]
    assert item("sc-mug")["cost"] == 40
    # A shared reward: staff of either site may edit what the kiosk's staff page edits, and
    # nothing else (not where it belongs, not fields of their own).
    towel = item("towel")
    edit = {**towel, "cost": towel["cost"] + 5, "site_id": XS, "secret": "x"}
    edit.pop("stock", None)
    assert _statuses(xs.push(xs.event("catalog.upsert", "S0002", "09:10", edit))) == ["accepted"]
    after = item("towel")
    assert after["cost"] == towel["cost"] + 5
    assert after.get("site_id") == towel.get("site_id") and "secret" not in after
