"""The `kiosk` command as a person or a script uses it: one JSON object per outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.clock import env_for as clock_env
from tests.conftest import TZ

ROOT = Path(__file__).resolve().parents[1]
# The kiosk's clock in these commands: the morning of the demo day, whatever the date.
AT = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)


def kiosk(*args: str, env: dict | None = None) -> tuple[int, list[dict], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), **clock_env(AT), **(env or {})},
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, lines, proc.stderr


@pytest.fixture
def loaded(tmp_path, demo_dir):
    data = tmp_path / "k"
    rc, out, err = kiosk(
        "load", "--data-dir", str(data), str(demo_dir / "snapshot.json"), "--site", "service-center"
    )
    assert rc == 0 and out[0]["loaded"] > 20, err
    return data


def test_scan_signs_a_demo_volunteer_in_and_out(loaded, roster):
    code = roster["V000103"]["code"]
    rc, out, _ = kiosk("scan", "--data-dir", str(loaded), code, "--at", "2026-11-30T08:30")
    assert rc == 0 and out[0]["kind"] == "signed_in" and out[0]["name"] == "陈*文"
    rc, out, _ = kiosk("scan", "--data-dir", str(loaded), code, "--at", "2026-11-30T08:31")
    assert out[0]["kind"] == "already_signed_in"
    rc, out, _ = kiosk("scan", "--data-dir", str(loaded), code, "--at", "2026-11-30T10:15")
    assert rc == 0 and out[0]["kind"] == "signed_out"
    assert (out[0]["minutes"], out[0]["points"], out[0]["balance"]) == (105, 15, 60)
    rc, out, _ = kiosk("status", "--json", "--data-dir", str(loaded))
    assert out[0]["pending_events"] == 2 and out[0]["acked_seq"] == 0 and out[0]["last_seq"] == 2
    assert out[0]["versions"]["store_schema"] >= 1
    rc, out, _ = kiosk("check", "--data-dir", str(loaded))
    assert rc == 0 and out[0]["replay_matches"] and out[0]["integrity"]


def test_verify_and_redeem(loaded, roster):
    rc, out, _ = kiosk("verify", "--data-dir", str(loaded), roster["V000110"]["code"])
    assert rc == 0 and out[0]["kind"] == "card_ok" and out[0]["balance"] == 500
    rc, out, _ = kiosk("verify", "--data-dir", str(loaded), "https://u.wechat.com/abc")
    assert rc == 1 and out[0]["reason"] == "not_ours"
    rc, out, _ = kiosk("verify", "--data-dir", str(loaded), roster["V000108"]["code"])
    assert rc == 1 and out[0]["reason"] == "suspended"
    rc, out, _ = kiosk("redeem", "--data-dir", str(loaded), roster["V000110"]["code"], "rice-5kg")
    assert (
        rc == 0
        and out[0]["kind"] == "redeemed"
        and out[0]["balance"] == 300
        and out[0]["pickup_no"] == "001"
    )
    rc, out, _ = kiosk("redeem", "--data-dir", str(loaded), roster["V000105"]["code"], "rice-5kg")
    assert rc == 1 and out[0]["reason"] == "insufficient_balance"


def test_data_dir_from_the_environment(loaded, roster):
    rc, out, _ = kiosk("verify", roster["V000101"]["code"], env={"KIOSK_DATA_DIR": str(loaded)})
    assert rc == 0 and out[0]["volunteer_id"] == "V000101"


def test_a_kiosk_that_was_never_set_up_says_so(tmp_path, roster):
    rc, out, _ = kiosk("scan", "--data-dir", str(tmp_path / "new"), roster["V000101"]["code"])
    assert rc == 2 and out[0]["error"] == "missing" and "kiosk load" in out[0]["message"]
    assert not (tmp_path / "new").exists()


def test_corrupt_store_is_reported_not_replaced(tmp_path, roster):
    (tmp_path / "kiosk.db").write_bytes(b"garbage" * 1000)
    rc, out, err = kiosk("status", "--data-dir", str(tmp_path))
    assert rc == 2 and out[0]["error"] == "corrupt" and "corrupt" in err
    assert (tmp_path / "kiosk.db").read_bytes() == b"garbage" * 1000


def test_bad_config_names_the_key(tmp_path, loaded):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("debounce_secs = 5\n")
    rc, out, _ = kiosk("status", "--data-dir", str(loaded), "--config", str(cfg))
    assert rc == 2 and "debounce_secs" in out[0]["message"]
    cfg.write_text("[kiosk]\ndebounce_seconds = 'soon'\n")
    rc, out, _ = kiosk("status", "--data-dir", str(loaded), "--config", str(cfg))
    assert rc == 2 and "debounce_seconds" in out[0]["message"]
    rc, out, _ = kiosk("status", "--data-dir", str(loaded), env={"KIOSK_TIMEZONE": "Mars/Olympus"})
    assert rc == 2 and "timezone" in out[0]["message"]


def test_load_refuses_a_file_that_is_not_a_snapshot(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    rc, out, _ = kiosk("load", "--data-dir", str(tmp_path / "k"), str(bad))
    assert rc == 2 and out[0]["error"] == "bad_file"
    bad.write_text(json.dumps({"format": "something-else"}))
    rc, out, _ = kiosk("load", "--data-dir", str(tmp_path / "k"), str(bad))
    assert rc == 2 and "vk-snapshot-1" in out[0]["message"]


def test_bad_paper_time(loaded, roster):
    rc, out, _ = kiosk(
        "scan", "--data-dir", str(loaded), roster["V000101"]["code"], "--at", "yesterday"
    )
    assert rc == 2 and out[0]["error"] == "bad_time"


def test_a_kiosk_can_be_seeded_from_a_saved_ledger_feed(tmp_path, demo_data, roster):
    """`kiosk load` also takes a saved full answer of the ledger's /v1/changes."""
    from fastapi.testclient import TestClient

    from sync.ledger.app import create_app
    from sync.ledger.db import open_db

    ledger = open_db(tmp_path / "ledger.db")
    ledger.set_admin_token("staff-token-for-test")
    ledger.load_reference(demo_data.snapshot["changes"], AT)
    ledger.set_keys(demo_data.keys.public_key, str(tmp_path / "key"))
    feed = TestClient(create_app(ledger, clock=lambda: AT)).get(
        "/v1/changes", headers={"Authorization": "Bearer staff-token-for-test"}
    )
    assert feed.status_code == 200
    (tmp_path / "feed.json").write_text(feed.text, encoding="utf-8")
    data = tmp_path / "k"
    rc, out, err = kiosk(
        "load", "--data-dir", str(data), str(tmp_path / "feed.json"), "--site", "xiangshan-study"
    )
    assert rc == 0, err
    rc, out, _ = kiosk("verify", "--data-dir", str(data), roster["V000107"]["code"])
    assert rc == 0 and out[0]["balance"] == 300


def test_verify_tells_a_genuine_certificate_from_a_forged_one(loaded, demo_data):
    from datetime import date

    from kiosk.core import certificate as cert

    fig = cert.CertificateFigures(
        "VC-2026-000001", "V000102", "王秀英", date(2026, 1, 1), date(2026, 11, 30), 750, 9,
        date(2026, 11, 30),
    )  # fmt: skip
    text = cert.sign(demo_data.keys.private_key, fig)
    rc, out, _ = kiosk("verify", "--data-dir", str(loaded), text)
    assert rc == 0 and out[0]["kind"] == "certificate"
    assert out[0]["certificate"]["hours"] == "12.5" and out[0]["certificate"]["name"] == "王秀英"
    forged = text.replace(".750.", ".7500.")
    rc, out, _ = kiosk("verify", "--data-dir", str(loaded), forged)
    assert rc == 1 and out[0]["reason"] == "certificate_forged"
    rc, out, _ = kiosk("scan", "--data-dir", str(loaded), text)  # shown at the home screen
    assert rc == 0 and out[0]["kind"] == "certificate"
    rc, out, _ = kiosk("status", "--json", "--data-dir", str(loaded))
    assert out[0]["events"] == 0  # checking a certificate records nothing
