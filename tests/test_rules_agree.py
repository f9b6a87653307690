"""Each domain rule has one definition (kiosk.core), and the kiosk, the ledger and the 台账
count by it: the same generated stream of kiosk actions, replayed through the kiosk's
projection and through the ledger's ingest, gives the same balances, minutes and stock, and
the month's 台账 lists the same points and stock moves.

The stream is made by the real kiosk (``Kiosk`` on a real store, a test clock), so every
event is one a kiosk really sends; a few staff cancels say the goods are not coming back
(``restock: false``), which only a staff tool sends, and staff may turn a reward from goods
into a privilege or back between a redemption and its cancel. The ledger is a real SQLite ledger,
called in-process (the wire is tested elsewhere).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import Store
from sync.ledger.db import open_db
from sync.ledger.staff.exports import month_tables
from tests.conftest import TZ, FakeClock, make_store

SITE = "service-center"
VOLUNTEERS = ["V000101", "V000102", "V000103", "V000105", "V000110"]
ITEMS = ["rice-5kg", "oil-1l", "towel", "notebook", "room-priority", "film-ticket"]
START = datetime(2026, 11, 30, 8, 0, tzinfo=TZ)  # the month's last day: ticks cross into December

action = st.one_of(
    st.tuples(st.just("scan"), st.sampled_from(VOLUNTEERS), st.sampled_from([0, 3, 20, 95, 400])),
    st.tuples(st.just("redeem"), st.sampled_from(VOLUNTEERS), st.sampled_from(ITEMS)),
    st.tuples(st.just("restock"), st.sampled_from(ITEMS[:4]), st.integers(1, 5)),
    st.tuples(st.just("adjust_stock"), st.sampled_from(ITEMS[:4]), st.integers(-3, 3)),
    st.tuples(st.just("adjust_points"), st.sampled_from(VOLUNTEERS), st.integers(-30, 30)),
    st.tuples(st.just("cancel"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("close_forgotten"), st.sampled_from([0, 120, 900])),
    st.tuples(st.just("offline"), st.booleans()),
    st.tuples(st.just("correct"), st.integers(0, 9), st.integers(-5, 105)),  # % since sign-in
    # Staff make a reward goods or a privilege: a cancel after that puts back what its
    # redemption took, whatever the item is now (the kiosk says what it is now).
    st.tuples(
        st.just("recatalog"), st.sampled_from(ITEMS), st.sampled_from(["goods", "privilege"])
    ),
)
# The cancels the two sides once counted apart (the kiosk by the cancel, the ledger by the
# redemption): goods that became a privilege, and a privilege that became goods.
KIND_CHANGED = [
    [("redeem", "V000101", "towel"), ("recatalog", "towel", "privilege"), ("cancel", 0, True)],
    [
        ("redeem", "V000101", "film-ticket"),
        ("recatalog", "film-ticket", "goods"),
        ("cancel", 0, True),
    ],
]


def act(kiosk: Kiosk, store: Store, clock: FakeClock, roster: dict, step: tuple) -> None:
    kind = step[0]
    if kind == "scan":
        clock.advance(minutes=step[2])
        kiosk.scan(roster[step[1]]["code"])
    elif kind == "redeem":
        kiosk.redeem(roster[step[1]]["code"], step[2])
    elif kind == "restock":
        kiosk.restock("S0001", step[1], step[2], "delivery")
    elif kind == "adjust_stock":
        kiosk.adjust_stock("S0001", step[1], step[2], "count_correction")
    elif kind == "adjust_points":
        kiosk.adjust_points("S0001", step[1], step[2], "bonus")
    elif kind == "cancel":
        done = [r for r in store.recent_redemptions(10) if r["status"] == "done"]
        if not done:
            return
        rid = done[step[1] % len(done)]["redemption_id"]
        if step[2]:
            kiosk.cancel_redemption("S0001", rid, "mistake")
        else:  # the goods were eaten or broken: points back, nothing back on the shelf
            row = store.redemption(rid)
            item = store.catalog_item(row["item_id"])
            payload = {"redemption_id": rid, "reason": "damaged", "restock": False}
            payload["stocked"] = bool(item and item.stocked)
            with store.transaction() as conn:
                store.append(
                    conn,
                    "redemption.cancel",
                    "S0001",
                    payload,
                    occurred_at=clock.now,
                    now=clock.now,
                )
    elif kind == "recatalog":
        item = store.catalog_item(step[1])
        kiosk.upsert_catalog_item(
            "S0001", step[1], dict(item.names), item.cost, kind=step[2], active=item.active
        )
    elif kind == "close_forgotten":
        clock.advance(minutes=step[1])
        kiosk.close_forgotten_sessions()
    elif kind == "offline":
        store.set_settings(
            ledger_url="http://127.0.0.1:9" if step[1] else None,
            last_contact_at=(clock.now - timedelta(days=1)).isoformat(),
        )
    elif kind == "correct":
        sessions = store.recent_sessions("2026-11-01")
        if sessions:
            s = sessions[step[1] % len(sessions)]
            start = s["signed_in_at"].replace(second=0, microsecond=0)
            out_at = start + (clock.now - start) * step[2] // 100
            kiosk.correct_attendance("S0001", s["session_id"], out_at, "wrong_time")


def months(first: datetime, last: datetime) -> list[str]:
    out, t = [], first
    while t.strftime("%Y-%m") <= last.strftime("%Y-%m"):
        out.append(t.strftime("%Y-%m"))
        t = (t.replace(day=1) + timedelta(days=32)).replace(day=1)
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(action, min_size=1, max_size=30),
    batch=st.sampled_from([1, 7, 500]),
)
@example(steps=KIND_CHANGED[0], batch=500)
@example(steps=KIND_CHANGED[1], batch=1)
def test_kiosk_ledger_and_exports_count_alike(demo_data, roster, steps, batch):
    with tempfile.TemporaryDirectory() as tmp:
        ledger = open_db(Path(tmp) / "ledger.db", synchronous="OFF")
        ledger.set_keys(demo_data.keys.public_key, "")
        ledger.load_reference(demo_data.snapshot["changes"], START)
        code = ledger.create_enrollment_code(SITE, START, timedelta(hours=1))
        kiosk_id = ledger.enroll(code, "k", START).kiosk_id
        store = make_store(Path(tmp) / "kiosk", demo_data, SITE, kiosk_id)
        clock = FakeClock(START)
        kiosk = Kiosk(store, KioskConfig(), clock=clock)
        try:
            opening_stock = {i: store.stock(SITE, i) for i in ITEMS}
            for step in steps:
                act(kiosk, store, clock, roster, step)
            assert store.replay_matches()

            events = [e.wire(kiosk_id) for e in store.events_after(0, 1 << 30)]
            acked = 0
            for i in range(0, len(events), batch):
                results, acked = ledger.ingest(kiosk_id, events[i : i + batch], clock.now)
                assert all(r["status"] == "accepted" for r in results), results
            assert acked == len(events)

            # Balances, minutes and stock: the kiosk's projection (its base from the snapshot
            # plus its own moves) and the ledger (its opening plus what it ingested).
            for v in VOLUNTEERS:
                held = ledger.volunteer(v)
                assert (store.balance(v), store.minutes_total(v)) == (
                    held["balance"],
                    held["minutes_total"],
                ), v
            levels = ledger.stock_levels()
            for item in ITEMS:
                assert store.stock(SITE, item) == levels.get((SITE, item), 0), item

            # The 台账: its points and stock moves over the months the stream spans add up to
            # the same figures (the opening balance is an entry of the first month).
            net: Counter = Counter()
            shelf: Counter = Counter()
            for month in months(START, clock.now):
                tables = {t.name: t for t in month_tables(ledger, month)}
                for row in tables["志愿者汇总"].rows:
                    if row[0] in VOLUNTEERS:
                        net[row[0]] += row[11]
                for row in tables["库存变动"].rows:
                    shelf[row[2]] += row[4]
            for v in VOLUNTEERS:
                assert net[v] == store.balance(v), v
            for item in ITEMS:
                assert opening_stock[item] + shelf[item] == store.stock(SITE, item), item

        finally:
            store.close()
            ledger.close()
