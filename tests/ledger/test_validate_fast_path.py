"""``validate.check`` has a fast path for the shapes kiosks send all day: it must decide exactly
as the full checker does (same accept/reject, same reason) for any event, near-valid or not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.ledger.rules.validate import MAX_AMOUNT, MAX_CLOCK_OFFSET_MS, _fast_ok, check, check_full

KIOSK = "K-SC-01"
TYPES = [
    "attendance.sign_in",
    "attendance.sign_out",
    "attendance.auto_close",
    "attendance.correct",
    "redemption.create",
    "redemption.cancel",
    "stock.restock",
    "stock.adjust",
    "points.adjust",
    "catalog.upsert",
    "no.such_type",
]

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=70),
    st.sampled_from(
        [
            "",
            "x" * 64,
            "x" * 65,
            "2026-11-29T09:00:00+08:00",
            "2026-11-29T09:00:00",
            "nope",
            "\ud800",
            KIOSK,
            "S1",
        ]
    ),
    st.sampled_from(
        [
            0,
            -1,
            1,
            MAX_AMOUNT,
            MAX_AMOUNT + 1,
            -MAX_AMOUNT,
            MAX_CLOCK_OFFSET_MS,
            MAX_CLOCK_OFFSET_MS + 1,
            -MAX_CLOCK_OFFSET_MS - 1,
            2**70,
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
good_str = st.sampled_from(["S1", "V0001", "service-center", "towel", "x" * 64])
good_amount = st.integers(min_value=0, max_value=MAX_AMOUNT)


def maybe(good):
    return st.one_of(good, good, good, odd)


PAYLOAD_FIELDS = {
    "session_id": good_str,
    "activity_id": good_str,
    "site_id": good_str,
    "item_id": good_str,
    "redemption_id": good_str,
    "volunteer_id": good_str,
    "minutes": good_amount,
    "credited_minutes": good_amount,
    "points": good_amount,
    "cost": good_amount,
    "qty": st.integers(min_value=1, max_value=MAX_AMOUNT),
    "delta": st.integers(-5, 5),
    "closed_at": st.sampled_from(["2026-11-29T12:00:00+08:00", None]),
    "signed_out_at": st.sampled_from(["2026-11-29T12:00:00+08:00", None]),
    "stocked": st.booleans(),
    "kind": st.sampled_from(["goods", "ticket", "other"]),
}


NEEDS = {
    "attendance.sign_in": ["session_id", "activity_id", "site_id"],
    "attendance.sign_out": [
        "session_id",
        "minutes",
        "credited_minutes",
        "points",
        "closed_at",
        "signed_out_at",
    ],
    "attendance.auto_close": ["session_id", "minutes", "credited_minutes", "points", "closed_at"],
    "attendance.correct": ["session_id", "minutes", "credited_minutes", "points"],
    "redemption.create": ["redemption_id", "item_id", "site_id", "cost", "stocked"],
    "redemption.cancel": ["redemption_id"],
    "stock.restock": ["site_id", "item_id", "qty"],
    "stock.adjust": ["site_id", "item_id", "delta"],
    "points.adjust": ["volunteer_id", "delta"],
    "catalog.upsert": ["item_id", "cost", "kind"],
}


@st.composite
def events(draw):
    """Mostly well formed (so the fast path is taken), with a few fields broken, dropped or added."""
    etype = draw(st.sampled_from(TYPES))
    eid = draw(st.sampled_from(["E1", "S1"]))
    payload = {name: draw(PAYLOAD_FIELDS[name]) for name in NEEDS.get(etype, [])}
    if "session_id" in payload and etype == "attendance.sign_in" and draw(st.booleans()):
        payload["session_id"] = eid
    ev = {
        "id": eid,
        "seq": 1,
        "kiosk_id": KIOSK,
        "type": etype,
        "occurred_at": draw(
            st.sampled_from(["2026-11-29T09:00:00+08:00", "2026-11-29T01:00:00.123+00:00"])
        ),
        "clock_offset_ms": draw(st.integers(-(10**6), 10**6)),
        "actor": draw(good_str),
        "payload": payload,
    }
    for _ in range(draw(st.integers(0, 2))):  # break a few things
        where = draw(
            st.sampled_from(["event", "payload", "drop", "extra", "payload_drop", "payload_extra"])
        )
        if where == "event":
            ev[
                draw(
                    st.sampled_from(
                        ["kiosk_id", "type", "occurred_at", "clock_offset_ms", "actor", "payload"]
                    )
                )
            ] = draw(odd)
        elif where == "drop":
            ev.pop(
                draw(
                    st.sampled_from(
                        ["kiosk_id", "type", "occurred_at", "clock_offset_ms", "actor", "payload"]
                    )
                ),
                None,
            )
        elif where == "extra":
            ev[draw(st.sampled_from(["extra", "note"]))] = 1
        elif type(ev.get("payload")) is dict:
            p = ev["payload"]
            if where == "payload" and p:
                p[draw(st.sampled_from(sorted(p)))] = draw(odd)
            elif where == "payload_drop" and p:
                p.pop(draw(st.sampled_from(sorted(p))))
            else:
                name = draw(st.sampled_from(sorted(PAYLOAD_FIELDS)))
                p[name] = draw(maybe(PAYLOAD_FIELDS[name]))
    return ev


@settings(max_examples=3000, deadline=None)
@given(events())
def test_fast_path_agrees_with_full_checker(ev):
    assert check(ev, KIOSK) == check_full(ev, KIOSK)
    if _fast_ok(ev, KIOSK):
        assert check_full(ev, KIOSK) is None


def test_fast_path_takes_the_common_shapes():
    base = {
        "id": "S1",
        "seq": 1,
        "kiosk_id": KIOSK,
        "occurred_at": "2026-11-29T09:00:00+08:00",
        "clock_offset_ms": 0,
        "actor": "V0001",
    }
    shapes = [
        (
            "attendance.sign_in",
            {"session_id": "S1", "activity_id": "A1", "site_id": "service-center"},
        ),
        (
            "attendance.sign_out",
            {"session_id": "S1", "minutes": 60, "credited_minutes": 60, "points": 6},
        ),
        (
            "redemption.create",
            {"redemption_id": "R1", "item_id": "towel", "site_id": "service-center", "cost": 5},
        ),
        ("stock.restock", {"item_id": "towel", "site_id": "service-center", "qty": 3}),
    ]
    for etype, payload in shapes:
        ev = {**base, "type": etype, "payload": payload}
        assert _fast_ok(ev, KIOSK) and check_full(ev, KIOSK) is None
