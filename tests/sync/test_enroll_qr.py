"""The enrollment QR code the console shows, as the kiosk reads it: its text, and what
`kiosk enroll` does with anything else (the whole flow is in the browser tests)."""

from __future__ import annotations

import json

import pytest
import segno

from kiosk.cli import main as kiosk_main
from sync.protocol import enrollment_qr_text, parse_enrollment_qr


def test_the_qr_text_round_trips_and_is_never_a_card():
    text = enrollment_qr_text("https://ledger.example/", "ABCD-EFGH-JKMN")
    assert not text.startswith("VK1.")
    assert parse_enrollment_qr(text) == ("https://ledger.example", "ABCD-EFGH-JKMN")


@pytest.mark.parametrize(
    "text",
    [
        "VK1.V.V000101.1.abc",  # a card
        "https://ledger.example",  # a URL
        "VKENROLL1|ftp://ledger.example|CODE",  # not the ledger's scheme
        "VKENROLL1|https://ledger.example|",  # no code
        "VKENROLL1|https://ledger.example|A|B",  # more parts than it has
        "VKENROLL1|https://ledger.example|CO\x00DE",  # control characters
        "VKENROLL2|https://ledger.example|CODE",  # another version
    ],
)
def test_anything_else_is_not_an_enrollment_code(text):
    assert parse_enrollment_qr(text) is None


def _run(tmp_path, capsys, *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = kiosk_main(["enroll", *args, "--data-dir", str(tmp_path / "kiosk")])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_a_card_typed_as_the_qr_text_is_refused_with_words(tmp_path, capsys):
    code, out = _run(tmp_path, capsys, "VK1.V.V000101.1.abc")
    assert code == 2 and out["error"] == "bad_enrollment_code"
    assert "不是登记二维码" in out["message"]


def test_a_camera_that_never_shows_the_code_times_out(tmp_path, capsys):
    camera = tmp_path / "camera"
    camera.mkdir()
    segno.make("https://example.com/pay?x=1").save(str(camera / "pay.png"), scale=8)
    code, out = _run(tmp_path, capsys, "--scan", "--camera", str(camera), "--timeout", "0.3")
    assert code == 2 and out["error"] == "no_enrollment_code"
    assert "没有看到登记二维码" in out["message"]
    assert not (tmp_path / "kiosk" / "kiosk.db").exists()  # nothing set up


def test_no_camera_is_a_clear_answer(tmp_path, capsys):
    code, out = _run(tmp_path, capsys, "--scan", "--camera", str(tmp_path / "no-such-folder"))
    assert code == 2 and out["error"] == "no_camera"
