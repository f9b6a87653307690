"""Attack 9: command options are checked (positive, finite, bounded) with a one-line
error, Chinese then English; ``enroll-code --ttl-hours -5`` no longer prints an expired
code, and ``nan`` or ``1e12`` no longer give a traceback."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from sync.ledger.ops.cli import main as ledger_main


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["enroll-code", "--site", "service-center", "--ttl-hours", "-5"], "out of range"),
        (["enroll-code", "--site", "service-center", "--ttl-hours", "0"], "out of range"),
        (["enroll-code", "--site", "service-center", "--ttl-hours", "nan"], "not a finite number"),
        (["enroll-code", "--site", "service-center", "--ttl-hours", "inf"], "not a finite number"),
        (["enroll-code", "--site", "service-center", "--ttl-hours", "1e12"], "out of range"),
        (["enroll-code", "--site", "service-center", "--ttl-hours", "soon"], "not a number"),
        (["catalog", "add", "towel", "--cost", "-3"], "out of range"),
        (["catalog", "add", "towel", "--cost", "9" * 5000], "not a whole number"),
        (["catalog", "set-stock", "towel", "1e12", "--site", "service-center"], "not a whole"),
        (["catalog", "set-stock", "towel", "9" * 12, "--site", "service-center"], "out of range"),
        (["backup", "--keep", "0", "--dest", "b"], "out of range"),
        (["serve", "--port", "70000"], "out of range"),
    ],
)
def test_bad_option_values_get_one_line(ledger, args, says):
    out, errs = io.StringIO(), io.StringIO()
    with (
        pytest.raises(SystemExit) as exc,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(errs),
    ):
        ledger_main([*args, "--db", str(ledger.db)], clock=ledger.clock)
    assert exc.value.code == 2 and out.getvalue() == ""  # no code printed, expired or not
    err = errs.getvalue()
    [line] = [ln for ln in err.splitlines() if "error:" in ln]
    assert says in line and "/" in line and "Traceback" not in err
    assert re.search("[\u4e00-\u9fff]", line).start() < line.index(says)  # Chinese first


def test_a_good_ttl_still_prints_a_code(ledger):
    code, out, err = ledger.run("enroll-code", "--site", "service-center", "--ttl-hours", "2")
    assert code == 0 and len(out.strip()) > 8, err
