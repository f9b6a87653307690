"""Invariant 5 for pushed events: a malformed event never blocks a kiosk's queue.

Any field of an event may arrive as any JSON value (list, object, number, null, a huge
integer, NaN, a lone surrogate, deep nesting...). The ledger must answer every such batch
without a 5xx: an event with a usable id and seq is recorded as ``rejected`` with a reason
and still advances ``acked_seq``; a batch holding an event without a usable id or seq is
refused as a whole with the documented 422 and nothing is stored. The well-formed events
pushed alongside malformed ones are accepted, in seq order.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from kiosk.store.ids import uuid7
from sync.ledger.app import create_app
from sync.ledger.db import open_db
from tests.demo_ledger import make_demo_ledger

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
SITE = "service-center"
ACTIVITY = "GEN-SC-20261129"  # the demo's general duty that day
FIELDS = ("id", "kiosk_id", "seq", "type", "occurred_at", "clock_offset_ms", "actor", "payload")


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    root = tmp_path_factory.mktemp("malformed")
    make_demo_ledger(root / "l.db", root / "demo", "2026-11-29", lambda: T0)
    store = open_db(root / "l.db")
    client = TestClient(create_app(store, clock=lambda: T0), raise_server_exceptions=False)
    code = store.create_enrollment_code(SITE, T0)
    enrolled = client.post(
        "/v1/enroll", json={"enrollment_code": code, "kiosk_name": "fuzz"}
    ).json()
    volunteers = [
        r[0]
        for r in store.conn.execute(
            "SELECT volunteer_id FROM volunteers WHERE kind = 'V' ORDER BY volunteer_id LIMIT 20"
        )
    ]
    state = {
        "kiosk_id": enrolled["kiosk_id"],
        "token": enrolled["token"],
        "acked": 0,
        "volunteers": volunteers,
        "n": 0,
    }
    yield store, client, state
    store.close()


def _post(client, state, events: list) -> object:
    # ensure_ascii: a lone surrogate travels as a \\udXXX escape, as any JSON encoder would send it.
    body = json.dumps({"kiosk_id": state["kiosk_id"], "events": events}, ensure_ascii=True).encode()
    return client.post(
        "/v1/events",
        content=body,
        headers={"Authorization": f"Bearer {state['token']}", "Content-Type": "application/json"},
    )


def _base(state, kind: str, seq: int, minute: int) -> list[dict]:
    """One or two well-formed events of ``kind`` (a sign-in comes with its sign-out), as an
    honest kiosk sends them: the ledger's activity, the points rule's figures."""
    kid, vols = state["kiosk_id"], state["volunteers"]
    vid = vols[minute % len(vols)]
    at = f"2026-11-29T09:{minute % 50:02d}:00.000+08:00"

    def ev(
        s: int, etype: str, actor: str, payload: dict, eid: str | None = None, later: int = 0
    ) -> dict:
        return {
            "id": eid or uuid7(),
            "kiosk_id": kid,
            "seq": s,
            "type": etype,
            "occurred_at": at.replace(f":{minute % 50:02d}:", f":{minute % 50 + later:02d}:"),
            "clock_offset_ms": 0,
            "actor": actor,
            "payload": payload,
        }

    if kind == "shift":
        sid = uuid7()
        return [
            ev(
                seq,
                "attendance.sign_in",
                vid,
                {"session_id": sid, "activity_id": ACTIVITY, "site_id": SITE},
                sid,
            ),
            # Under the rule's minimum: nothing credited, whatever the day's cap has left.
            ev(
                seq + 1,
                "attendance.sign_out",
                vid,
                {"session_id": sid, "minutes": 9, "credited_minutes": 0, "points": 0},
                later=9,
            ),
        ]
    if kind == "redeem":
        rid = uuid7()
        return [
            ev(
                seq,
                "redemption.create",
                vid,
                {
                    "redemption_id": rid,
                    "item_id": "towel",
                    "site_id": SITE,
                    "cost": 1,
                    "stocked": True,
                },
                rid,
            )
        ]
    if kind == "adjust":
        return [
            ev(seq, "points.adjust", "S0001", {"volunteer_id": vid, "delta": 2, "reason": "fuzz"})
        ]
    return [ev(seq, "stock.restock", "S0001", {"site_id": SITE, "item_id": "towel", "qty": 1})]


_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.one_of(_surrogates, st.characters()), max_size=6),
    st.sampled_from(
        [
            "",
            "attendance.sign_in",
            "stock.restock",
            "2026-11-29T09:00:00",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59.999-12:00",
            "2026-11-29\ud80009:00:00+08:00",
            "x" * 5000,
            "\x00",
            "志愿者",
            "K-SC-01",
        ]
    ),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**300), max_value=10**300),
    st.sampled_from([0, -1, 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    _text,
)
json_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
    max_leaves=12,
)


def _usable_seq(v) -> bool:
    return type(v) is int and 1 <= v < 2**63


# One change to an otherwise well-formed event.
mutation = st.one_of(
    st.tuples(st.just("set"), st.sampled_from([f for f in FIELDS if f != "seq"]), json_values),
    st.tuples(st.just("set"), st.just("seq"), json_values.filter(lambda v: not _usable_seq(v))),
    st.tuples(st.just("drop"), st.sampled_from(FIELDS), st.none()),
    st.tuples(st.just("extra"), _text.filter(lambda k: k not in FIELDS), json_values),
    st.tuples(
        st.just("payload"),
        st.sampled_from(
            [
                "session_id",
                "site_id",
                "item_id",
                "qty",
                "cost",
                "minutes",
                "points",
                "credited_minutes",
                "volunteer_id",
                "delta",
                "closed_at",
                "signed_out_at",
                "redemption_id",
                "activity_id",
                "stocked",
                "offline",
            ]
        ),
        json_values,
    ),
)

item = st.one_of(
    st.tuples(
        st.just("valid"), st.sampled_from(["shift", "redeem", "adjust", "restock"]), st.just(())
    ),
    st.tuples(
        st.just("bad"),
        st.sampled_from(["shift", "redeem", "adjust", "restock"]),
        st.lists(mutation, min_size=1, max_size=3),
    ),
)


def _usable(ev) -> bool:
    """What the protocol calls a usable slot: a string id (1..64 characters of real text) and seq >= 1."""
    if not isinstance(ev, dict):
        return False
    eid = ev.get("id")
    if type(eid) is not str or not 0 < len(eid) <= 64:
        return False
    try:
        eid.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return _usable_seq(ev.get("seq"))


def _mutate(ev: dict, changes: list) -> dict:
    ev = json.loads(json.dumps(ev))
    for op, name, value in changes:
        if op == "set":
            ev[name] = value
        elif op == "drop":
            ev.pop(name, None)
        elif op == "extra":
            ev[name] = value
        elif op == "payload" and isinstance(ev.get("payload"), dict):
            ev["payload"][name] = value
    return ev


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    items=st.lists(item, min_size=1, max_size=8),
    whole=st.sampled_from([None, [], {}, 7, "x", None]),
)
def test_malformed_events_never_5xx_and_never_block_the_queue(ledger, items, whole):
    store, client, state = ledger
    seq = state["acked"] + 1
    events: list = []
    valid_ids: list[str] = []
    for kind, template, changes in items:
        state["n"] += 1
        made = _base(state, template, seq, state["n"])
        if kind == "bad":
            made = [_mutate(made[0], changes)]
        if kind == "bad" and whole is not None and state["n"] % 7 == 0:
            made = [whole]  # not even an object
        for ev in made:
            if isinstance(ev, dict) and "seq" in ev and _usable_seq(ev["seq"]):
                ev["seq"] = seq  # a mutation never moves the slot: only its content is bad
            seq += 1
        if kind == "valid":
            valid_ids += [e["id"] for e in made]
        events += made
    before = store.counts()["events"]
    r = _post(client, state, events)
    assert r.status_code < 500, r.text
    if not all(_usable(ev) for ev in events):
        assert r.status_code == 422 and r.json()["error"] == "invalid_event", r.text
        assert store.counts()["events"] == before  # nothing stored
        return
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["acked_seq"] == seq - 1, body  # every slot is held: the queue moves on
    results = body["results"]
    assert [x["seq"] for x in results] == list(range(state["acked"] + 1, seq))
    by_id = {x["id"]: x for x in results}
    for eid in valid_ids:
        assert by_id[eid]["status"] == "accepted", (by_id[eid], events)
    for x in results:
        assert x["status"] in ("accepted", "rejected", "conflict"), x
        if x["status"] == "rejected":
            assert isinstance(x["reason"], str) and 0 < len(x["reason"]) <= 300, x
    assert store.counts()["events"] >= before + sum(x["status"] != "conflict" for x in results)
    state["acked"] = seq - 1
    # The same batch again changes nothing (a retry after a lost answer).
    again = _post(client, state, events)
    assert again.status_code == 200 and again.json()["acked_seq"] == seq - 1, again.text
    assert all(x["status"] in ("duplicate", "conflict") for x in again.json()["results"]), (
        again.text
    )
    assert store.journal_balances() == {
        k: v for k, v in store.balances().items() if k in store.journal_balances()
    }


@pytest.mark.parametrize("DEPTH", [40, 400, 900, 940, 990])
def test_deeply_nested_and_oversized_values_get_an_answer(ledger, DEPTH):
    store, client, state = ledger
    seq = state["acked"] + 1
    deep = "[" * DEPTH + '"x"' + "]" * DEPTH  # JSON text: near the parser's nesting limit
    events = []
    for field in ("type", "actor", "payload", "occurred_at"):
        for value in (
            deep,
            '{"a": ' + deep + "}",
            json.dumps("y" * 100_000),
            json.dumps([0] * 10_000),
        ):
            ev = _base(state, "restock", seq, seq)[0]
            ev[field] = "@@"
            events.append(json.dumps(ev).replace('"@@"', value))
            seq += 1
    ok = _base(state, "restock", seq, seq)[0]
    events.append(json.dumps(ok))
    for first, part in ((state["acked"] + 1, events[:8]), (state["acked"] + 9, events[8:])):
        body = (
            '{"kiosk_id": "' + state["kiosk_id"] + '", "events": [' + ",".join(part) + "]}"
        ).encode()
        r = client.post(
            "/v1/events", content=body, headers={"Authorization": f"Bearer {state['token']}"}
        )
        assert r.status_code in (200, 400), r.text[:500]
        if r.status_code == 200:
            assert r.json()["acked_seq"] == first + len(part) - 1, r.text[:500]
            state["acked"] = first + len(part) - 1
        else:
            assert DEPTH > 900 and r.json()["error"] == "malformed_json", r.text[
                :300
            ]  # beyond the parser
            break
    else:
        assert r.json()["results"][-1]["status"] == "accepted"
    # Whatever could not even be parsed as JSON (nesting beyond the parser's limit, integers of
    # thousands of digits) is a clear 400, not a 500.
    for raw in (
        b'{"kiosk_id": "%s", "events": [' % state["kiosk_id"].encode()
        + b"[" * 100_000
        + b"]" * 100_000
        + b"]}",
        b'{"kiosk_id": "%s", "events": [{"id": "a", "seq": 1%s}]}'
        % (state["kiosk_id"].encode(), b"0" * 5000),
    ):
        r = client.post(
            "/v1/events", content=raw, headers={"Authorization": f"Bearer {state['token']}"}
        )
        assert r.status_code == 400 and r.json()["error"] == "malformed_json", r.text[:300]


def test_type_as_list_or_object_is_rejected_and_the_queue_moves_on(ledger):
    """The original failure: ``type`` as a list made the check raise, so the batch was a 500 forever."""
    store, client, state = ledger
    seq = state["acked"] + 1
    events = []
    for field, value in (
        ("type", ["stock.restock"]),
        ("type", {"a": 1}),
        ("id", uuid7()),
        ("seq", None),
        ("occurred_at", ["x"]),
        ("actor", {"v": "V1"}),
        ("payload", [1]),
        ("clock_offset_ms", 10**30),
        ("clock_offset_ms", float("nan")),
    ):
        if field in ("id", "seq"):
            continue
        ev = _base(state, "restock", seq, seq)[0]
        ev[field] = value
        events.append(ev)
        seq += 1
    events.append(_base(state, "restock", seq, seq)[0])
    r = _post(client, state, events)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected"] * (len(events) - 1) + ["accepted"]
    assert r.json()["acked_seq"] == seq
    assert results[0]["reason"] == "type must be a string, not a list"
    state["acked"] = seq
