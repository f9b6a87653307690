"""Product code takes its time from a clock its caller can set (kiosk/clock.py); tests
take theirs from the clock they gave the code. A direct read of the wall clock for a date
is what made the suite pass only in the month it was written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READS = re.compile(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|\btime\.time\(\)")
# Each allowed read, with why it must be the real clock.
ALLOWED = {
    "kiosk/clock.py": "the one place the real clock is read",
    "sync/ledger/ops/backup.py": "a partial file's age, against the file system's real mtimes",
    "sync/ledger/console/views/volunteers.py": "a kept upload's age, against the file system's mtimes",
    "tests/test_clock.py": "measures the anchored clock against the real moment it names",
    "tests/deploy/test_backup.py": "sets a file's mtime in the past, on the file system's clock",
}


def test_no_code_reads_the_wall_clock_for_a_date():
    found = []
    for folder in ("kiosk", "sync", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in ALLOWED:
                continue
            for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if READS.search(line) and "READS" not in line:
                    found.append(f"{rel}:{no}: {line.strip()}")
    assert not found, "take the time from a clock instead:\n" + "\n".join(found)
