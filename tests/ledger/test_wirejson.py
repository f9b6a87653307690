"""The ingest path's JSON (orjson where it is exact) gives the standard library's bytes:
event digests and stored payload text must not change with it."""

from __future__ import annotations

import hashlib
import json
import random

from sync.ledger import wirejson
from sync.ledger.rules.validate import WIRE_FIELDS, event_digest

TRICKY = [
    0,
    -1,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    10**30,
    True,
    False,
    None,
    "",
    'a\x00\x1f\x7f"\\/',
    "\u2028\u2029",
    "张*明",
    "😀",
    "\udead",
    0.1,
    1.5e-05,
    1e16,
    100.0,
    -0.0,
    float("nan"),
    float("inf"),
    [],
    {},
    [1, [2, [3]]],
    {"b": 1, "a": {"d": None, "c": "x"}},
    {"é": 1, "e": 2, "😀": 3, "\uffff": 4},
    {1: "int key"},
    ("a", "tuple"),
]


def _std_sorted(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _same(fast, slow):
    try:
        expected = slow()
    except Exception as exc:
        try:
            fast()
        except type(exc):
            return
        raise AssertionError(f"expected {type(exc).__name__}") from None
    assert fast() == expected


def test_wirejson_matches_the_standard_library():
    rng = random.Random(7)
    values = TRICKY + [{"k": v, "list": [v, v]} for v in TRICKY if not isinstance(v, dict)]
    for _ in range(300):
        values.append({f"k{i}": rng.choice(TRICKY) for i in range(rng.randint(0, 6))})
    for v in values:
        _same(lambda v=v: wirejson.dumps_sorted(v), lambda v=v: _std_sorted(v))
        _same(
            lambda v=v: wirejson.dumps_wire(v),
            lambda v=v: json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        )
        _same(
            lambda v=v: wirejson.digest_bytes([v, "x"]),
            lambda v=v: json.dumps(
                [v, "x"], ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
            ).encode("utf-8"),
        )
        # The digest and the payload text of an event from one serialisation of the payload.
        head = [
            "e1",
            "K-SC-01",
            3,
            rng.choice(TRICKY),
            "2026-11-29T09:00:00.000+08:00",
            rng.choice(TRICKY),
            "V1",
        ]
        _same(
            lambda v=v, h=head: wirejson.event_bytes(h, v),
            lambda v=v, h=head: (
                json.dumps(
                    [*h, v], ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
                ).encode("utf-8"),
                _std_sorted(v),
            ),
        )


def test_event_digest_is_the_canonical_json_of_the_wire_fields():
    ev = {
        "id": "e1",
        "kiosk_id": "K-SC-01",
        "seq": 3,
        "type": "redemption.create",
        "occurred_at": "2026-11-29T09:00:00.000+08:00",
        "clock_offset_ms": -420,
        "actor": "V000101",
        "payload": {
            "redemption_id": "e1",
            "item_id": "毛巾",
            "site_id": "service-center",
            "cost": 5,
            "offline": True,
            "note": None,
        },
    }
    canon = _std_sorted([ev.get(k) for k in WIRE_FIELDS])
    assert event_digest(ev) == hashlib.sha256(canon.encode("utf-8")).hexdigest()
    ev["payload"]["weight"] = 1.5e-05  # a float: digested by the standard library
    canon = _std_sorted([ev.get(k) for k in WIRE_FIELDS])
    assert event_digest(ev) == hashlib.sha256(canon.encode("utf-8")).hexdigest()
