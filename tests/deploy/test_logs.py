"""Structured, redacted logging: journal detection, rotating files, no personal data."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from kiosk.logs import REDACTED, RedactFilter, setup_logging, under_journal

CARD = "VK1.V.V000123.2.Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg"


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
        if h not in handlers:
            h.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


@pytest.mark.parametrize(
    "text",
    [
        "signed in 张明 at the door",
        "volunteer 欧阳·娜娜 scanned",
        "call 13812345678 back",
        "call 138 1234 5678 back",
        "电话13812345678",
        "phone +86 138-1234-5678",
        "Macau +853 6612 3456",
        "HK 9123 4567",
        "office 0760-88881234",
        "id 44200019900101123X",
        "mail zhang.ming@example.com",
        "rare surname 喆 and 𠀋",
    ],
)
def test_personal_data_is_redacted(text):
    out = RedactFilter().redact(text)
    assert REDACTED in out
    assert not any(ch.isdigit() for ch in out.split(REDACTED, 1)[1][:4])  # nothing left of it
    for token in ("张明", "娜娜", "1234", "zhang", "喆", "𠀋", "123X", "3456"):
        assert token not in out


@pytest.mark.parametrize(
    "text",
    [
        "V000123 signed in, seq 17, 1250 ms",
        "acked_seq=4096 events=500 status=accepted",
        "at 2026-11-29T08:01:02.123+08:00 clock_offset_ms=-420",
        "POST https://ledger.example.org/v1/events -> 200",
        "kiosk K-XS-01 site service-center",
    ],
)
def test_operational_facts_survive(text):
    assert RedactFilter().redact(text) == text


def test_card_codes_keep_the_id_and_lose_the_signature():
    out = RedactFilter().redact(f"scan {CARD} refused: version")
    assert out == "scan VK1.V.V000123.2.<sig> refused: version"


def test_latin_names_from_the_roster():
    f = RedactFilter(["Maria Santos", "Li"])
    assert f.redact("hello maria santos and Li Wei") == f"hello {REDACTED} and Li Wei"
    f.add_names(["John Doe"])
    assert f.redact("John Doe, Maria Santos") == f"{REDACTED}, {REDACTED}"


def test_bearer_tokens_are_not_logged():
    out = RedactFilter().redact("Authorization: Bearer abcdEFGH1234.xyz")
    assert "abcdEFGH" not in out


def _lines(buf: io.StringIO) -> list[str]:
    return [line for line in buf.getvalue().splitlines() if line]


def test_json_lines_with_extra_fields_and_traceback_redacted():
    buf = io.StringIO()
    setup_logging("DEBUG", "stderr", fmt="json", stream=buf)
    log = logging.getLogger("kiosk.test")
    log.info(
        "signed in %s (%s)",
        "V000123",
        "张明",
        extra={
            "volunteer_id": "V000123",
            "display_name": "Maria",
            "minutes": 75,
            "note": "tel 13812345678",
        },
    )
    try:
        raise ValueError("no such volunteer 李雷 phone 13900001111")
    except ValueError:
        log.exception("lookup failed for %s", CARD)
    first, second = (json.loads(line) for line in _lines(buf))
    assert first["msg"] == f"signed in V000123 ({REDACTED})"
    assert first["volunteer_id"] == "V000123"
    assert first["display_name"] == REDACTED
    assert first["minutes"] == 75
    assert first["note"] == f"tel {REDACTED}"
    assert first["level"] == "INFO" and first["logger"] == "kiosk.test" and "ts" in first
    assert second["msg"] == "lookup failed for VK1.V.V000123.2.<sig>"
    assert "ValueError" in second["exc"]
    assert "李雷" not in second["exc"] and "13900001111" not in second["exc"]


def test_key_value_lines_are_one_line_each():
    buf = io.StringIO()
    setup_logging("INFO", "stderr", stream=buf)
    log = logging.getLogger("kiosk.test")
    log.debug("not shown")
    log.warning('two\nlines "quoted"', extra={"events": 3})
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        log.error("boom", exc_info=True)
    lines = _lines(buf)
    assert len(lines) == 2
    assert lines[0].startswith("ts=")
    assert 'level=WARNING logger=kiosk.test msg="two\\nlines \\"quoted\\"" events=3' in lines[0]
    assert "ZeroDivisionError" in lines[1] and "level=ERROR" in lines[1]


def test_journal_lines_carry_syslog_priority_and_no_timestamp():
    buf = io.StringIO()
    setup_logging("INFO", "journal", stream=buf)
    logging.getLogger("kiosk.sync").error("ledger unreachable")
    logging.getLogger("kiosk.sync").info("pushed", extra={"events": 2})
    err, info = _lines(buf)
    assert err == '<3>level=ERROR logger=kiosk.sync msg="ledger unreachable"'
    assert info == "<6>level=INFO logger=kiosk.sync msg=pushed events=2"


def test_journal_stream_detection(tmp_path):
    with open(tmp_path / "err", "w") as stream:
        st = os.fstat(stream.fileno())
        assert under_journal(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        assert not under_journal(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"})
        assert not under_journal(stream, {})
        assert not under_journal(stream, {"JOURNAL_STREAM": "garbage"})
        assert not under_journal(io.StringIO(), {"JOURNAL_STREAM": "1:2"})


def test_auto_target_under_systemd_uses_the_journal_format(tmp_path):
    """A fresh process whose stderr is the stream JOURNAL_STREAM names, as under systemd."""
    err = tmp_path / "stderr"
    code = (
        "import logging; from kiosk.logs import setup_logging; setup_logging('INFO', 'auto');"
        "logging.getLogger('kiosk').warning('call 13812345678')"
    )
    with open(err, "w") as fh:
        st = os.fstat(fh.fileno())
        env = {**os.environ, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        subprocess.run([sys.executable, "-c", code], stderr=fh, env=env, check=True, timeout=30)
    assert err.read_text() == f'<4>level=WARNING logger=kiosk msg="call {REDACTED}"\n'


def test_rotating_files(tmp_path):
    target = tmp_path / "logs" / "kiosk.log"
    handler = setup_logging("INFO", target, max_bytes=2000, backups=2)
    log = logging.getLogger("kiosk.test")
    for i in range(200):
        log.info("event %d for 王小二", i, extra={"seq": i})
    handler.flush()
    files = sorted(p.name for p in target.parent.iterdir())
    assert files == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    for path in target.parent.iterdir():
        text = path.read_text(encoding="utf-8")
        assert len(text) <= 2000
        assert "王" not in text
        for line in text.splitlines():
            assert json.loads(line)["msg"].startswith("event ")
    last = json.loads(target.read_text(encoding="utf-8").splitlines()[-1])
    assert last["seq"] == 199


def test_bad_format_is_refused():
    with pytest.raises(ValueError, match="log format"):
        setup_logging("INFO", "stderr", fmt="xml", stream=io.StringIO())
