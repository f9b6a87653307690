"""`make bench` runs every benchmark to its end, whatever an earlier one did, and ends
with one summary of every figure against its target (issue 14 item 7)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bench import run_all

REPORT = """
import sys
from bench import figures
figures.report("{bench}", "{name}", {value}, "ms", target=("<=", 10.0), reference="{ref}")
sys.exit({code})
"""


def _script(tmp_path, name: str, body: str) -> list[str]:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return [str(path)]


def test_every_benchmark_runs_after_a_miss_and_a_crash(tmp_path, capsys):
    def bench(name, value, code, ref=""):
        args = _script(
            tmp_path,
            name,
            REPORT.format(bench=name, name=f"{name} p95", value=value, code=code, ref=ref),
        )
        return (name, args, args)

    benches = [
        bench("first", 25.0, 1, ref="zxing-cpp alone 1.2 ms"),  # misses its target
        ("crash", *[_script(tmp_path, "crash", "raise SystemExit(3)")] * 2),
        bench("last", 4.0, 0),
    ]
    assert run_all.run(benches, quick=False) is False
    out = capsys.readouterr().out
    summary = out[out.index("SUMMARY") :]
    first = next(line for line in summary.splitlines() if "first p95" in line)
    assert "MISSED" in first and "<= 10.0 ms" in first and "zxing-cpp alone 1.2 ms" in first
    last = next(line for line in summary.splitlines() if "last p95" in line)
    assert " ok " in last and "4 ms" in last
    assert "FAILED: crash: exit 3, reported no figures" in summary
    assert "load average before" in summary


def test_all_met_is_a_success(tmp_path, capsys):
    args = _script(tmp_path, "fine", REPORT.format(bench="b", name="n", value=1.0, code=0, ref=""))
    assert run_all.run([("fine", args, args)], quick=True) is True
    assert "all targets met" in capsys.readouterr().out


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # killed, not yet reaped: not running


def test_a_benchmark_that_hangs_is_stopped_and_the_rest_still_run(tmp_path, capfd):
    # The hanging one starts a child of its own: stopping it must stop that too.
    hang = _script(
        tmp_path,
        "hang",
        """
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print("child", child.pid, flush=True)
        child.wait()
        """,
    )
    after = _script(
        tmp_path, "after", REPORT.format(bench="b", name="after", value=1.0, code=0, ref="")
    )
    benches = [("hang", hang, hang), ("after", after, after)]
    assert run_all.run(benches, quick=False, limits={"hang": 1.0}) is False
    out = capfd.readouterr().out
    assert "FAILED: hang: stopped after 1 s, not finished" in out
    assert next(line for line in out.splitlines() if "after" in line and " ok " in line)
    pid = int(out.split("child ", 1)[1].split()[0])
    assert not _running(pid)
