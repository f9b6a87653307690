"""Overlapping sessions (the same volunteer on duty at two kiosks at once) are found by
reading only the volunteer's sessions that began in the day before, plus the open and
longer ones (``effects._OVERLAP_SQL``), and single-kiosk volunteers through the
``volunteer_kiosks`` table. Checked here against the plain definition, computed in Python
over every session the ledger holds, with sessions from minutes to days long, open ones,
touching ones and kiosk clocks that are off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.ledger.db import LedgerDB, open_db
from sync.ledger.db.schema import MIGRATIONS
from sync.ledger.db.sqlite.ingest import LONG_SESSION_MS
from tests.deploy.schema_fill import build_at_version

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
BASE = datetime(2026, 11, 20, 8, 0, tzinfo=timezone(timedelta(hours=8)))
SITES = ("service-center", "xiangshan-study")


# Every minute counts and earns nothing (no minimum, no rounding, no cap to speak of): the
# sessions' figures are their lengths, whatever else that volunteer did that day.
RULE = {"points_per_hour": 0, "round_minutes": 1, "min_minutes": 0, "daily_cap_minutes": 10**9}


def _activity(site: str) -> dict:
    return {
        "activity_id": f"A-{site}",
        "site_id": site,
        "start": "2026-01-01T00:00:00+08:00",
        "end": "2027-12-31T23:59:00+08:00",
        "general": True,
        "rule": RULE,
    }


def _ledger(path) -> tuple[LedgerDB, list[str]]:
    store = open_db(path)
    store.load_reference(
        [{"kind": "site", "key": s, "data": {"site_id": s}} for s in SITES]
        + [{"kind": "volunteer", "key": v, "data": {"display_name": v}} for v in ("V1", "V2", "V3")]
        + [{"kind": "volunteer", "key": "S0001", "data": {"kind": "S", "display_name": "staff"}}]
        + [{"kind": "activity", "key": f"A-{s}", "data": _activity(s)} for s in SITES],
        NOW,
    )
    kiosks = []
    for site in (SITES[0], SITES[1], SITES[0]):
        kiosks.append(store.enroll(store.create_enrollment_code(site, NOW), "k", NOW).kiosk_id)
    return store, kiosks


# One session: (volunteer, kiosk index, start minute, length in minutes or None for never closed,
# the kiosk clock's offset in ms). Lengths reach past a day so that the long-session path is used.
# Some spans pass two weeks (the day-range read instead of one seek per day); an offset of
# -1.9e12 ms puts a session before 1970, where SQLite's integer division rounds toward zero.
SESSION = st.tuples(
    st.sampled_from(["V1", "V2", "V3"]),
    st.integers(0, 2),
    st.integers(0, 6 * 24 * 60),
    st.one_of(st.none(), st.integers(0, 4 * 24 * 60), st.integers(0, 20 * 24 * 60)),
    st.sampled_from([0, -420, 3_600_000, -1_900_000_000_000]),
)


def _events(kiosk: str, site: str, sessions: list[tuple]) -> list[dict]:
    """A kiosk's events in time order (sign-ins and sign-outs), seq from 1."""
    timed = []
    for n, (vid, _, start, length, offset) in enumerate(sessions):
        sid = f"{kiosk}-s{n}"
        t_in = BASE + timedelta(minutes=start)
        timed.append(
            (
                t_in,
                0,
                {
                    "type": "attendance.sign_in",
                    "actor": vid,
                    "clock_offset_ms": offset,
                    "payload": {"session_id": sid, "activity_id": f"A-{site}", "site_id": site},
                    "id": sid,
                },
            )
        )
        if length is not None:
            timed.append(
                (
                    t_in + timedelta(minutes=length),
                    1,
                    {
                        "type": "attendance.sign_out",
                        "actor": vid,
                        "clock_offset_ms": offset,
                        "payload": {
                            "session_id": sid,
                            "activity_id": f"A-{site}",
                            "minutes": length,
                            "credited_minutes": length,
                            "points": 0,
                        },
                        "id": f"{sid}-out",
                    },
                )
            )
    timed.sort(key=lambda x: (x[0], x[1]))
    out = []
    for seq, (at, _, ev) in enumerate(timed, 1):
        out.append(
            {
                **ev,
                "kiosk_id": kiosk,
                "seq": seq,
                "occurred_at": at.isoformat(timespec="milliseconds"),
            }
        )
    return out


def _ms(ev: dict) -> int:
    return int(datetime.fromisoformat(ev["occurred_at"]).timestamp() * 1000) + ev["clock_offset_ms"]


def _expected_pairs(applied: list[dict]) -> set[tuple[str, str]]:
    """The definition: when a session closes, every session of the same volunteer at another
    kiosk, already held, whose [in, out) (out open-ended if still open) meets its [in, out)."""
    sessions: dict[str, dict] = {}
    pairs = set()
    for ev in applied:
        sid = ev["payload"]["session_id"]
        if ev["type"] == "attendance.sign_in":
            sessions[sid] = {
                "vid": ev["actor"],
                "kiosk": ev["kiosk_id"],
                "in": _ms(ev),
                "out": None,
            }
            continue
        s = sessions[sid]
        s["out"] = _ms(ev)
        for other, o in sessions.items():
            o_out = o["out"] if o["out"] is not None else 1 << 62
            if (
                other != sid
                and o["vid"] == s["vid"]
                and o["kiosk"] != s["kiosk"]
                and o["in"] < s["out"]
                and o_out > s["in"]
            ):
                pairs.add(tuple(sorted((sid, other))))
    return pairs


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sessions=st.lists(SESSION, min_size=1, max_size=24), batch=st.integers(1, 7), seed=st.randoms()
)
def test_overlaps_found_match_the_definition(tmp_path_factory, sessions, batch, seed):
    store, kiosks = _ledger(tmp_path_factory.mktemp("overlap") / "l.db")
    try:
        per_kiosk = [
            _events(k, SITES[i == 1], [s for s in sessions if s[1] == i])
            for i, k in enumerate(kiosks)
        ]
        batches = [
            (k, evs[j : j + batch])
            for k, evs in zip(kiosks, per_kiosk, strict=True)
            for j in range(0, len(evs), batch)
        ]
        # Each kiosk's batches stay in order; the kiosks take turns at random.
        queues = [[b for b in batches if b[0] == k] for k in kiosks]
        applied = []
        while any(queues):
            q = seed.choice([q for q in queues if q])
            kiosk, evs = q.pop(0)
            results, _ = store.ingest(kiosk, evs, NOW)
            assert all(r["status"] == "accepted" for r in results), results
            applied.extend(evs)
        found = {tuple(x["detail"]["sessions"]) for x in store.exceptions("overlapping_sessions")}
        assert found == _expected_pairs(applied)
        pairs = set(store.conn.execute("SELECT volunteer_id, kiosk_id FROM volunteer_kiosks"))
        assert pairs == set(
            store.conn.execute("SELECT DISTINCT volunteer_id, kiosk_id FROM sessions")
        )
    finally:
        store.close()


def test_a_session_longer_than_a_day_at_another_kiosk_is_still_found(tmp_path):
    """The day-window read alone would miss it: it began three days before the new session."""
    store, (a, b, _) = _ledger(tmp_path / "l.db")
    long_one = [("V1", 0, 0, 5 * 24 * 60, 0)]
    assert LONG_SESSION_MS < 5 * 24 * 60 * 60_000
    store.ingest(a, _events(a, SITES[0], long_one), NOW)
    store.ingest(b, _events(b, SITES[1], [("V1", 1, 3 * 24 * 60, 60, 0)]), NOW)
    [x] = store.exceptions("overlapping_sessions")
    assert set(x["detail"]["sessions"]) == {f"{a}-s0", f"{b}-s0"}
    store.close()


def test_upgrade_fills_volunteer_kiosks_from_existing_sessions(tmp_path):
    """A ledger at schema 3 (before the table existed) gets it filled when it opens."""
    path = tmp_path / "old.db"
    conn = build_at_version(path, [m.sqlite for m in MIGRATIONS], 3)
    rows = [
        (f"s{i}", f"V{i % 4}", f"K-{i % 3}", "site", "A", "2026-11-20T08:00:00+08:00", 1000 * i)
        for i in range(30)
    ]
    conn.executemany(
        "INSERT INTO sessions (session_id, volunteer_id, kiosk_id, site_id, activity_id, signed_in_at,"
        " t_in_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.close()
    store = open_db(path)
    held = set(store.conn.execute("SELECT volunteer_id, kiosk_id FROM volunteer_kiosks"))
    assert held == {(v, k) for _, v, k, *_ in rows} and len(held) == 12
    store.close()


def test_open_sessions_are_counted_from_the_partial_index(tmp_path):
    """``/v1/volunteers/{id}`` counts open sessions through sessions_long: closed ones, long
    or short, are not counted; an open one at either kiosk is."""
    store, (a, b, _) = _ledger(tmp_path / "l.db")
    store.ingest(
        a,
        _events(
            a,
            SITES[0],
            [("V1", 0, 0, 3 * 24 * 60, 0), ("V1", 0, 5000, 30, 0), ("V1", 0, 6000, None, 0)],
        ),
        NOW,
    )
    store.ingest(b, _events(b, SITES[1], [("V1", 1, 100, None, 0), ("V2", 1, 100, 60, 0)]), NOW)
    assert store.volunteer("V1")["open_sessions"] == 2
    assert store.volunteer("V2")["open_sessions"] == 0
    store.close()


def test_a_correction_that_moves_the_sign_out_is_checked_at_the_new_time(tmp_path):
    """Staff move a sign-out at kiosk a from 10:00 to 11:30: it now overlaps the volunteer's
    11:00-12:00 session at kiosk b, and the ledger lists that."""
    store, (a, b, _) = _ledger(tmp_path / "l.db")
    store.ingest(a, _events(a, SITES[0], [("V1", 0, 9 * 60, 60, 0)]), NOW)
    store.ingest(b, _events(b, SITES[1], [("V1", 1, 11 * 60, 60, 0)]), NOW)
    assert store.exceptions("overlapping_sessions") == []
    out = (BASE + timedelta(minutes=11 * 60 + 30)).isoformat(timespec="milliseconds")
    fix = {
        "id": f"{a}-fix",
        "kiosk_id": a,
        "seq": 3,
        "type": "attendance.correct",
        "actor": "S0001",
        "occurred_at": (BASE + timedelta(days=1)).isoformat(timespec="milliseconds"),
        "clock_offset_ms": 0,
        "payload": {
            "session_id": f"{a}-s0",
            "signed_out_at": out,
            "minutes": 150,
            "credited_minutes": 150,
            "points": 0,
            "reason": "wrong_time",
        },
    }
    [result], _ = store.ingest(a, [fix], NOW)
    assert result["status"] == "accepted", result
    [x] = store.exceptions("overlapping_sessions")
    assert set(x["detail"]["sessions"]) == {f"{a}-s0", f"{b}-s0"}
    assert store.conn.execute(
        "SELECT t_out_ms FROM sessions WHERE session_id = ?", (f"{a}-s0",)
    ).fetchone()[0] == int(datetime.fromisoformat(out).timestamp() * 1000)
    store.close()
