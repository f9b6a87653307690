"""One schema for the wire and for stored payloads (``sync.protocol``): a pydantic model per
event type. The ledger validates with it (``validate.check``), the agent checks what it
sends with it, and the OpenAPI publishes it, so a schema-driven client or fuzzer sees every
event type's payload."""

from __future__ import annotations

import copy
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.text import line_ok
from sync.ledger.app import create_app
from sync.ledger.db import open_db
from sync.ledger.rules.validate import check
from sync.protocol import EVENT_MODELS, EVENT_TYPES, MAX_AMOUNT, schema_fault

KIOSK = "K-SC-01"
AT = "2026-11-29T09:00:00.000+08:00"
PAYLOADS = {
    "attendance.sign_in": {"session_id": "E1", "activity_id": "A1", "site_id": "sc"},
    "attendance.sign_out": {
        "session_id": "S1",
        "activity_id": "A1",
        "minutes": 60,
        "credited_minutes": 60,
        "points": 10,
    },
    "attendance.auto_close": {
        "session_id": "S1",
        "closed_at": AT,
        "minutes": 60,
        "credited_minutes": 60,
        "points": 10,
        "reason": "earlier_day",
    },
    "attendance.correct": {
        "session_id": "S1",
        "volunteer_id": "V1",
        "signed_out_at": AT,
        "minutes": 60,
        "credited_minutes": 60,
        "points": 10,
        "reason": "wrong_time",
    },
    "redemption.create": {
        "redemption_id": "R1",
        "item_id": "towel",
        "site_id": "sc",
        "cost": 30,
        "pickup_no": "001",
        "offline": False,
        "stocked": True,
    },
    "redemption.cancel": {"redemption_id": "R1", "reason": "x", "stocked": True},
    "stock.restock": {"site_id": "sc", "item_id": "towel", "qty": 3, "reason": ""},
    "stock.adjust": {"site_id": "sc", "item_id": "towel", "delta": -2, "reason": "count"},
    "points.adjust": {"volunteer_id": "V1", "delta": 5, "reason": "help"},
    "catalog.upsert": {
        "item_id": "towel",
        "names": {"zh-Hans": "毛巾"},
        "cost": 30,
        "kind": "goods",
        "monthly_limit": 0,
        "active": True,
    },
    "staff.session_open": {"session_id": "Z1", "card_version": 1},
    "staff.session_close": {"session_id": "Z1", "reason": "idle"},
    "signup.add": {"activity_id": "A1", "site_id": "sc", "waitlisted": False},
    "signup.withdraw": {"activity_id": "A1", "site_id": "sc"},
}


def event(etype: str, **payload) -> dict:
    return {
        "id": "E1",
        "kiosk_id": KIOSK,
        "seq": 1,
        "type": etype,
        "occurred_at": AT,
        "clock_offset_ms": -420,
        "actor": "V1",
        "payload": {**PAYLOADS[etype], **payload},
    }


def test_there_is_a_model_for_every_event_type_and_kiosk_events_fit_them():
    assert set(EVENT_MODELS) == set(EVENT_TYPES) == set(PAYLOADS)
    for etype in EVENT_TYPES:
        ev = event(etype)
        assert schema_fault(ev) is None and check(ev, KIOSK) is None, etype
        EVENT_MODELS[etype].model_validate(ev)
        # A field a later kiosk adds is not refused (the event is stored as sent).
        assert check(event(etype, added_later="x"), KIOSK) is None


def test_what_does_not_fit_is_refused_with_the_field_named():
    cases = {
        "payload.minutes is missing": {**event("attendance.sign_out")},
        "payload.qty": event("stock.restock", qty=True),  # a bool is not a count
        "payload.cost": event("redemption.create", cost=30.0),
        "payload.delta": event("points.adjust", delta=MAX_AMOUNT + 1),
        "payload.kind": event("catalog.upsert", kind="cash"),
        "payload.reason": event("staff.session_close", reason="bored"),
        "payload.session_id must be the sign-in event id": event(
            "attendance.sign_in", session_id="other"
        ),
        "payload.closed_at": event("attendance.auto_close", closed_at="yesterday"),
    }
    del cases["payload.minutes is missing"]["payload"]["minutes"]
    naive = event("stock.restock")
    naive["occurred_at"] = "2026-11-29T09:00:00"
    cases["occurred_at"] = naive
    for words, ev in cases.items():
        reason = check(ev, KIOSK)
        assert reason is not None and words in reason, (words, reason)
        assert schema_fault(ev) is not None


odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=70),
    st.sampled_from(["", "x" * 65, "2026-11-29T09:00:00", "\ud800", "=1+1", AT]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    etype=st.sampled_from(EVENT_TYPES),
    top=st.sampled_from(["id", "seq", "occurred_at", "clock_offset_ms", "actor", None]),
    field=st.text(max_size=20),
    value=odd,
    pick=st.integers(min_value=0),
)
def test_any_value_in_any_field_gets_an_answer_and_agrees_with_the_model(
    etype, top, field, value, pick
):
    ev = copy.deepcopy(event(etype))
    if top is not None:
        ev[top] = value
    else:
        names = sorted(ev["payload"]) + [field]
        ev["payload"][names[pick % len(names)]] = value
    reason = check(ev, KIOSK)  # never raises
    assert reason is None or 0 < len(reason) <= 300
    if reason is None:
        # What the ledger accepts, the model accepts: one schema.
        EVENT_MODELS[etype].model_validate(ev)


def test_the_openapi_publishes_every_event_type_s_payload():
    with TemporaryDirectory() as tmp:
        store = open_db(Path(tmp) / "spec.db")
        spec = create_app(store).openapi()
        store.close()
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    schemas = spec["components"]["schemas"]
    push = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]
    items = push["properties"]["events"]["items"]
    assert items["discriminator"]["propertyName"] == "type"
    assert set(items["discriminator"]["mapping"]) == set(EVENT_TYPES)
    for etype, model in EVENT_MODELS.items():
        published = schemas[model.__name__]
        payload = schemas[published["properties"]["payload"]["$ref"].rsplit("/", 1)[1]]
        required = set(payload.get("required", []))
        assert required <= set(payload["properties"]), etype
        # The payload fields kiosks send are the ones declared (named once, in the model).
        assert set(PAYLOADS[etype]) <= set(payload["properties"]), etype


def test_the_agent_checks_what_it_sends_and_sends_it_all_the_same(caplog):
    """A kiosk event that does not fit (an old bug, a hand-edited store) is logged by the
    agent and still sent: the ledger records it as rejected and the queue moves on."""
    from sync.agent.rounds import _check_outgoing

    good, bad = event("stock.restock"), event("stock.restock", qty=0)
    bad["seq"] = 2
    with caplog.at_level("WARNING", logger="sync"):
        assert _check_outgoing([good, bad], 0) == 2
        assert _check_outgoing([good, bad], 2) == 2  # a resent batch is not logged again
    [record] = [r for r in caplog.records if "does not fit the protocol" in r.getMessage()]
    assert "seq=2" in record.getMessage() and "payload.qty" in record.getMessage()


def test_a_field_the_wire_does_not_have_is_refused_whichever_fields_are_there():
    """The shape check lets unknown fields through and counts the event's fields instead:
    an unknown one in place of the one field that may be left out is still found."""
    for etype in EVENT_TYPES:
        beside = event(etype)
        beside["extra"] = 1
        instead = event(etype)
        del instead["clock_offset_ms"]
        instead["extra"] = 1
        left_out = event(etype)
        del left_out["clock_offset_ms"]
        assert check(left_out, KIOSK) is None and schema_fault(left_out) is None, etype
        for ev in (beside, instead):
            assert check(ev, KIOSK) == "unknown fields: 'extra'", (etype, ev)
            assert "extra" in (schema_fault(ev) or ""), (etype, ev)


def test_printable_text_is_text_that_may_be_stored():
    """``check`` takes printable text without the text rule's regular expression: every
    character the rule refuses must be one Python does not call printable."""
    for code in range(0x110000):
        c = chr(code)
        if c.isprintable():
            assert line_ok(c), f"U+{code:04X}"
    # And what is not printable still goes to the rule, which takes what it allows.
    chinese = event("points.adjust", reason="补录\u3000活动积分")  # an ideographic space
    chinese["actor"] = "S\u00a0001"  # a no-break space: allowed, though not printable
    assert check(chinese, KIOSK) is None
    for bad in ("\u202e", "\u2028", "\x85", "\ufffe", "\t"):
        assert "control character" in (check(event("points.adjust", reason=bad), KIOSK) or "")
