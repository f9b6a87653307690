"""Replay rebuilds every projection from the events: after any sequence of actions it
equals the live projections, and every balance is the sum of its entries."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import KioskConfig
from kiosk.service import Kiosk

VOLUNTEERS = ["V000101", "V000102", "V000103", "V000105", "V000110"]
ITEMS = ["rice-5kg", "oil-1l", "towel", "notebook", "room-priority", "film-ticket"]

action = st.one_of(
    st.tuples(st.just("scan"), st.sampled_from(VOLUNTEERS), st.integers(0, 400)),
    st.tuples(st.just("redeem"), st.sampled_from(VOLUNTEERS), st.sampled_from(ITEMS)),
    st.tuples(st.just("restock"), st.sampled_from(ITEMS[:4]), st.integers(1, 5)),
    st.tuples(st.just("adjust_stock"), st.sampled_from(ITEMS[:4]), st.integers(-3, 3)),
    st.tuples(st.just("adjust_points"), st.sampled_from(VOLUNTEERS), st.integers(-20, 20)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("close_forgotten"), st.integers(0, 900)),
    st.tuples(st.just("offline"), st.booleans()),
    st.tuples(
        st.just("correct"), st.integers(0, 9), st.integers(-5, 105)
    ),  # % of the time since sign-in
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(action, min_size=1, max_size=30))
def test_replay_equals_live_projections(store_factory, roster, actions):
    from tests.conftest import TZ, FakeClock

    with tempfile.TemporaryDirectory() as tmp:
        store = store_factory(Path(tmp))
        clock = FakeClock(datetime(2026, 11, 30, 8, 0, tzinfo=TZ))
        kiosk = Kiosk(store, KioskConfig(), clock=clock)
        opening = {v: store.balance(v) for v in VOLUNTEERS}
        redemptions: list[str] = []
        for act in actions:
            kind = act[0]
            if kind == "scan":
                clock.advance(minutes=act[2])
                kiosk.scan(roster[act[1]]["code"])
            elif kind == "redeem":
                out = kiosk.redeem(roster[act[1]]["code"], act[2])
                redemptions += out.event_ids
            elif kind == "restock":
                kiosk.restock("S0001", act[1], act[2], "delivery")
            elif kind == "adjust_stock":
                kiosk.adjust_stock("S0001", act[1], act[2], "count")
            elif kind == "adjust_points":
                kiosk.adjust_points("S0001", act[1], act[2], "correction")
            elif kind == "cancel" and redemptions:
                kiosk.cancel_redemption("S0001", redemptions[act[1] % len(redemptions)], "mistake")
            elif kind == "close_forgotten":
                clock.advance(minutes=act[1])
                kiosk.close_forgotten_sessions()
            elif kind == "correct":
                sessions = store.recent_sessions("2026-11-30")
                if sessions:
                    s = sessions[act[1] % len(sessions)]
                    start = s["signed_in_at"].replace(second=0, microsecond=0)
                    out_at = start + (clock.now - start) * act[2] // 100
                    kiosk.correct_attendance("S0001", s["session_id"], out_at, "wrong_time")
            elif kind == "offline":
                store.set_settings(
                    ledger_url="http://127.0.0.1:9" if act[1] else None,
                    last_contact_at=clock.now.replace(year=2020).isoformat(),
                )

        assert store.replay_matches()
        # balance = opening + points earned - redeemed +/- adjustments, from the events alone
        earned = {v: 0 for v in VOLUNTEERS}
        refund: dict[str, int] = {}
        session_points: dict[str, int] = {}  # a correction replaces a session's points
        for e in store.events_after(0, 10_000):
            p = e.payload
            if e.type in ("attendance.sign_out", "attendance.auto_close"):
                earned[e.actor] += p["points"]
                session_points[p["session_id"]] = p["points"]
            elif e.type == "attendance.correct":
                earned[p["volunteer_id"]] += p["points"] - session_points.get(p["session_id"], 0)
                session_points[p["session_id"]] = p["points"]
            elif e.type == "redemption.create":
                earned[e.actor] -= p["cost"]
                refund[p["redemption_id"]] = (e.actor, p["cost"])
            elif e.type == "redemption.cancel":
                vid, cost = refund[p["redemption_id"]]
                earned[vid] += cost
            elif e.type == "points.adjust":
                earned[p["volunteer_id"]] += p["delta"]
        for v in VOLUNTEERS:
            assert store.balance(v) == opening[v] + earned[v]
        for item in ITEMS[:4]:
            assert store.stock("service-center", item) >= 0
        rows = json.loads(
            json.dumps(store.conn.execute("SELECT seq FROM events ORDER BY seq").fetchall())
        )
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        store.close()
