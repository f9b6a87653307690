"""One clock for every process: the default, and KIOSK_CLOCK, the testing aid that sets
a whole process's time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.clock import ENV, ClockError, StartedClock, env_for, from_setting, parse_instant
from tests.conftest import TZ

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, clock: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if clock is not None:
        env[ENV] = clock
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_a_started_clock_runs_on_from_its_instant():
    start = datetime(2027, 1, 1, 0, 0, 30, tzinfo=TZ)
    clock = StartedClock(start)
    first, second = clock(), clock()
    assert timedelta(0) <= first - start < timedelta(seconds=5)
    assert second >= first and second.utcoffset() == timedelta(0)


def test_processes_given_one_anchored_setting_agree_however_late_they_start():
    """instant@unix: the clock read that instant at that real moment, in every process."""
    real = datetime.now(TZ)  # the anchor is a real moment by design: this test measures it
    setting = f"2026-12-31T23:59:30+08:00@{real.timestamp() - 600}"
    first, later = from_setting(setting)(), from_setting(setting)()
    expected = datetime(2026, 12, 31, 23, 59, 30, tzinfo=TZ) + timedelta(seconds=600)
    assert abs((first - expected).total_seconds()) < 5
    assert timedelta(0) <= later - first < timedelta(seconds=1)
    with pytest.raises(ClockError, match="unix time"):
        from_setting("2026-12-31T23:59:30+08:00@soon")


@pytest.mark.parametrize("text", ["tomorrow", "2026-12-31T23:59:30", ""])
def test_an_instant_without_a_zone_or_a_date_is_refused(text):
    with pytest.raises(ClockError, match=ENV):
        parse_instant(text)


def test_the_ledger_command_takes_its_day_from_the_process_clock(tmp_path):
    """`demo-data` without --day makes the demo for "today": the clock's, not the machine's."""
    done = run(
        "sync.ledger",
        "demo-data",
        "--db",
        str(tmp_path / "l.db"),
        "--out",
        str(tmp_path / "demo"),
        "--no-cards",
        clock=env_for(datetime(2028, 2, 29, 23, 59, 50, tzinfo=TZ))[ENV],
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["day"] == "2028-02-29"


def test_a_kiosk_reports_its_age_of_pending_events_on_the_process_clock(tmp_path, demo_dir):
    data = tmp_path / "k"
    at = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    loaded = run(
        "kiosk.cli",
        "load",
        "--data-dir",
        str(data),
        str(demo_dir / "snapshot.json"),
        "--site",
        "service-center",
        clock=at.isoformat(),
    )
    assert loaded.returncode == 0, loaded.stderr
    roster = {p["volunteer_id"]: p for p in json.loads((demo_dir / "roster.json").read_text())}
    scan = run(
        "kiosk.cli",
        "scan",
        "--data-dir",
        str(data),
        roster["V000103"]["code"],
        clock=at.isoformat(),
    )
    assert json.loads(scan.stdout)["kind"] == "signed_in", scan.stdout + scan.stderr
    later = (at + timedelta(hours=2)).isoformat()
    status = json.loads(
        run("kiosk.cli", "status", "--json", "--data-dir", str(data), clock=later).stdout
    )
    assert 7200 - 30 < status["oldest_pending_age_s"] < 7200 + 30  # two hours, not a day


def test_a_bad_setting_is_a_clear_error_not_a_traceback(tmp_path):
    done = run("sync.ledger", "init", "--db", str(tmp_path / "l.db"), clock="next week")
    assert done.returncode == 2 and ENV in done.stderr and "Traceback" not in done.stderr
    done = run("kiosk.cli", "status", "--data-dir", str(tmp_path / "k"), clock="noon")
    assert done.returncode != 0 and ENV in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
