"""A fuzz test driven by the ledger's own OpenAPI: every operation it publishes, called
with path and query values drawn from its parameter schemas and a body drawn from its
request-body schema (or, where none is declared yet, any JSON at all, and raw bytes),
with the staff token, a kiosk token or none. Nothing may answer 5xx, and every 4xx
answers ``{error, message}``. Bounded: a fixed number of examples per operation.

The attack this answers: a schema-driven fuzzer found no 500 in 1,207 cases, but the
OpenAPI declared no request bodies, so it never reached them. Here a body is always
sent, so it does.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from sync.ledger.app import create_app
from sync.ledger.db.sqlite.store import SQLiteLedger
from tests.demo_ledger import make_demo_ledger

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
EXAMPLES = 60  # per operation; about 20 operations, some 20 s in all

# Any JSON value, including the awkward ones: deep nesting, huge integers, odd text.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "\ud800", "=1+1", "2026-11", "9999-12", "V000101", "towel"]),
)
any_json = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


def from_schema(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> st.SearchStrategy:
    """A strategy for (roughly) what a JSON schema allows, mixed with what it does not."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    if depth > 7:  # a push reaches its events' payload fields at depth 6
        return scalars
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return st.one_of(*[from_schema(s, spec, depth + 1) for s in schema[key]])
    kind = schema.get("type")
    if "enum" in schema:
        return st.one_of(st.sampled_from(schema["enum"]), scalars)
    if "const" in schema:  # an event's type: the discriminator of its schema
        return st.one_of(st.just(schema["const"]), scalars)
    if kind == "integer":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return st.one_of(st.integers(min_value=lo, max_value=hi), st.integers())
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.one_of(st.text(max_size=schema.get("maxLength", 40) or 40), scalars)
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), spec, depth + 1), max_size=4)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = schema.get("required", [])
        return st.fixed_dictionaries(
            {k: from_schema(props[k], spec, depth + 1) for k in required if k in props},
            optional={
                k: from_schema(v, spec, depth + 1) for k, v in props.items() if k not in required
            },
        )
    return any_json


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-openapi")
    admin = make_demo_ledger(root / "l.db", root / "demo", "2026-11-29", lambda: T0)
    store = SQLiteLedger(root / "l.db")
    client = TestClient(create_app(store, clock=lambda: T0), raise_server_exceptions=False)
    code = store.create_enrollment_code("service-center", T0)
    kiosk = client.post("/v1/enroll", json={"enrollment_code": code, "kiosk_name": "fuzz"}).json()
    spec = client.get("/openapi.json").json()
    yield store, client, spec, {"admin": admin, "kiosk": kiosk["token"]}
    store.close()


def operations() -> list[tuple[str, str]]:
    """Every (method, path) the app publishes; the spec needs no data, only an app."""
    with TemporaryDirectory() as tmp:
        s = SQLiteLedger(Path(tmp) / "spec.db")
        spec = create_app(s).openapi()
        s.close()
    return sorted((m.upper(), p) for p, ops in spec["paths"].items() for m in ops)


OPERATIONS = operations()


def test_the_fuzz_covers_every_published_operation():
    paths = {p for _, p in OPERATIONS}
    assert {"/v1/enroll", "/v1/events", "/v1/admin/stock", "/v1/admin/activities"} <= paths
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_fuzz_no_operation_answers_5xx(env, method, path):
    store, client, spec, tokens = env
    op = spec["paths"][path][method.lower()]
    params = op.get("parameters", [])
    body_schema = (
        op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    )
    body = st.one_of(
        from_schema(body_schema, spec) if body_schema else any_json,
        any_json,
    ).map(lambda v: json.dumps(v).encode())
    body = st.one_of(body, st.binary(max_size=300), st.just(b"[" * 200 + b"]" * 200))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        values=st.fixed_dictionaries(
            {p["name"]: from_schema(p.get("schema", {}), spec) for p in params}
        ),
        raw=body,
        who=st.sampled_from(["admin", "kiosk", None]),
    )
    def run(values, raw, who):
        url = path
        query = []
        for p in params:
            v = values[p["name"]]
            text = v if isinstance(v, str) else json.dumps(v)
            # Percent-encoded by hand: a lone surrogate is bytes a client can still send.
            encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", encoded or "x")
            elif p["in"] == "query":
                query.append(f"{p['name']}={encoded}")
        if query:
            url += "?" + "&".join(query)
        headers = {"Content-Type": "application/json"}
        if who:
            headers["Authorization"] = f"Bearer {tokens[who]}"
        sent = raw if method in ("POST", "PUT") else None
        r = client.request(method, url, content=sent, headers=headers)
        assert r.status_code < 500, (method, url, raw[:200], r.text[:300])
        if 400 <= r.status_code < 500 and r.headers.get("content-type", "").startswith(
            "application/json"
        ):
            reply = r.json()
            # {error, message}; or, for a file or form checked row by row, {errors: [...]}.
            assert isinstance(reply, dict), reply
            assert ("error" in reply and "message" in reply) or reply.get("errors"), reply

    run()
