"""我的记录 from what the kiosk knows, and the ledger's record with the kiosk's unsent events."""

from __future__ import annotations

from kiosk.config import KioskConfig
from kiosk.record import local_record, merged_record
from kiosk.service import Kiosk


def test_offline_the_record_is_this_kiosks_own(tmp_path, store_factory, clock, roster):
    store = store_factory(tmp_path)
    k = Kiosk(store, KioskConfig(), clock=clock)
    base_minutes = store.minutes_total("V000103")
    k.scan(roster["V000103"]["code"])
    clock.advance(hours=2)
    out = k.scan(roster["V000103"]["code"])
    assert out.kind == "signed_out"
    k.adjust_points("S0001", "V000103", 5, "bonus")
    rec = local_record(store, "V000103", clock.now)
    assert rec["source"] == "kiosk" and rec["name"] == "陈*文"
    assert rec["periods"]["month"] == {"minutes": 120, "points": out.points}
    assert rec["periods"]["total"]["minutes"] == base_minutes + 120
    assert rec["balance"] == out.balance + 5
    assert [s["credited_minutes"] for s in rec["sessions"]] == [120]
    assert [(m["kind"], m["delta"], m.get("reason")) for m in rec["moves"]] == [
        ("adjusted", 5, "bonus"),
        ("earned", out.points, None),
    ]


def test_the_ledgers_record_gains_what_the_kiosk_has_not_sent(
    tmp_path, store_factory, clock, roster
):
    store = store_factory(tmp_path)
    k = Kiosk(store, KioskConfig(), clock=clock)
    k.scan(roster["V000103"]["code"])
    clock.advance(hours=1)
    k.scan(roster["V000103"]["code"])
    month, year = clock.now.strftime("%Y-%m"), clock.now.strftime("%Y")
    ledger = {
        "periods": {
            "month": {"minutes": 300, "points": 50},
            "year": {"minutes": 900, "points": 150},
            "total": {"minutes": 6000, "points": 1000},
        },
        "period_keys": {"month": month, "year": year},
        "sessions": [{"session_id": "older", "credited_minutes": 300, "points": 50, "day": "x"}],
        "moves": [],
        "as_of": clock.now.isoformat(),
    }
    rec = merged_record(store, "V000103", ledger, clock.now)
    assert rec["source"] == "ledger"
    assert rec["periods"]["month"]["minutes"] == 360 and rec["periods"]["total"]["minutes"] == 6060
    assert [s["session_id"] for s in rec["sessions"]][1:] == ["older"]
    assert rec["stars"] == 1  # 101 hours: one star at the default thresholds
    store.mark_acked(store.last_seq())  # the ledger has it now: not counted twice
    again = merged_record(store, "V000103", ledger, clock.now)
    assert again["periods"]["total"]["minutes"] == 6000
