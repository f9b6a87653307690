"""The district generator (bench/district.py) sends what an honest kiosk sends: the ledger
recounts every sign-out from the times it reads, so the generator must count from the same."""

from __future__ import annotations

from datetime import datetime

from bench import district
from kiosk.core.attendance import whole_minutes


def _days(kiosk: int, n: int) -> list[dict]:
    gen = district.KioskDay(district.Scale.of(0.01), kiosk, f"K-T-{kiosk:02d}")
    return [ev for d in range(n) for ev in gen.day(d)]


def test_every_time_is_whole_milliseconds_as_a_kiosks_clock_gives(monkeypatch):
    stamped: list[datetime] = []
    real = district._iso

    def spy(at: datetime) -> str:
        stamped.append(at)
        return real(at)

    monkeypatch.setattr(district, "_iso", spy)
    _days(3, 5)
    assert len(stamped) > 500
    # a microsecond the ISO text drops is a minute the ledger may count and the kiosk not
    assert [t for t in stamped if t.microsecond % 1000] == []


def test_each_shifts_minutes_are_counted_between_the_times_sent():
    events = _days(5, 20)
    signed_in = {ev["id"]: ev["occurred_at"] for ev in events if ev["type"] == "attendance.sign_in"}
    closes = [ev for ev in events if ev["type"] in ("attendance.sign_out", "attendance.auto_close")]
    assert len(closes) > 500
    for ev in closes:
        p = ev["payload"]
        out = p.get("closed_at") or ev["occurred_at"]
        since = datetime.fromisoformat(signed_in[p["session_id"]])
        assert p["minutes"] == whole_minutes(since, datetime.fromisoformat(out)), ev
