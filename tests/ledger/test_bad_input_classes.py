"""Attack 5 and its kin: every class of bad input gets a 4xx with ``{error, message}``
(Chinese first), never a 500: deeply nested JSON on the admin activity, catalog and
stock endpoints, a 5,000-digit integer, Infinity and NaN, export months off the
calendar, a lone surrogate or a control character in a kiosk name, a query parameter
out of range."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from sync.ledger.app import create_app
from sync.ledger.db import open_db
from tests.demo_ledger import make_demo_ledger

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
DEEP = "[" * 100_000 + "]" * 100_000
ACT = '{"title":"x","site":"service-center","start":"2026-11-29 09:00","end":"10:00"'


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-input")
    admin = make_demo_ledger(root / "l.db", root / "demo", "2026-11-29", lambda: T0)
    store = open_db(root / "l.db")
    client = TestClient(create_app(store, clock=lambda: T0), raise_server_exceptions=False)
    yield store, client, admin
    store.close()


CASES = [
    ("POST", "/v1/admin/activities", DEEP, 400, "malformed_json"),
    ("POST", "/v1/admin/catalog/towel", DEEP, 400, "malformed_json"),
    ("POST", "/v1/admin/stock", DEEP, 400, "malformed_json"),
    (
        "POST",
        "/v1/admin/activities",
        ACT + ',"capacity":' + "9" * 5000 + "}",
        422,
        "number_out_of_range",
    ),
    (
        "POST",
        "/v1/admin/activities",
        ACT + ',"points_per_hour":' + "9" * 40 + "}",
        422,
        "number_out_of_range",
    ),
    (
        "POST",
        "/v1/admin/stock",
        '{"item_id":"towel","site_id":"service-center","qty":Infinity}',
        422,
        "number_out_of_range",
    ),
    (
        "POST",
        "/v1/admin/stock",
        '{"item_id":"towel","site_id":"service-center","qty":NaN}',
        422,
        "number_out_of_range",
    ),
    ("POST", "/v1/admin/catalog/towel", '{"cost":1e999}', 422, "number_out_of_range"),
    ("POST", "/v1/admin/catalog/towel", '{"names":{"zh-Hans":"毛巾\\u0007"}}', 422, "invalid_text"),
    ("POST", "/v1/admin/activities", ACT.replace('"x"', '"a\\u0000b"') + "}", 422, "invalid_text"),
    ("POST", "/v1/admin/stock", "{not json", 400, "malformed_json"),
    ("GET", "/v1/admin/export?month=9999-12", None, 422, "bad_month"),
    ("GET", "/v1/admin/export?month=0001-01", None, 422, "bad_month"),
    ("GET", "/v1/admin/export-ivolunteer?month=9999-12", None, 422, "bad_month"),
    ("GET", "/v1/changes?limit=99999999999999999999", None, 422, "invalid_request"),
    ("POST", "/v1/enroll", DEEP[:20_000], 413, "body_too_large"),
    ("POST", "/v1/enroll", "[]", 422, "invalid_request"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), CASES)
def test_each_bad_input_gets_its_4xx_with_error_and_message(env, method, path, body, status, code):
    _, client, admin = env
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    r = client.request(method, path, content=body.encode() if body else None, headers=headers)
    assert r.status_code == status, r.text[:300]
    reply = r.json()
    assert reply["error"] == code
    chinese = re.search("[\u4e00-\u9fff]", reply["message"])
    assert chinese and "/" in reply["message"][chinese.start() :]  # Chinese, then English


@pytest.mark.parametrize("name", ["\\ud800", "k\\u0000", "k\\u202e"])
def test_an_enrollment_with_a_bad_kiosk_name_is_refused_and_the_code_kept(env, name):
    store, client, _ = env
    code = store.create_enrollment_code("service-center", T0)
    body = '{"enrollment_code":"' + code + '","kiosk_name":"' + name + '"}'
    r = client.post(
        "/v1/enroll", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_text", r.text
    ok = client.post("/v1/enroll", json={"enrollment_code": code, "kiosk_name": "front"})
    assert ok.status_code == 200  # the code was not used up by the refused attempt
