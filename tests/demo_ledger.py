"""A ledger database with the demo data, made by the real ``kiosk-ledger demo-data``
in-process, on the clock the test gives it (the opening balances and the reference
data are stamped with that clock, never with the machine's)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from sync.ledger.ops.cli import main as ledger_main


def make_demo_ledger(
    db: Path, out: Path, day: date | str, clock: Callable[[], datetime], cards: bool = False
) -> str:
    """Loads the demo into ``db`` (its day ``day``) and returns the staff (admin) token."""
    err = io.StringIO()
    args = ["demo-data", "--db", str(db), "--out", str(out), "--day", str(day)]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = ledger_main(args + ([] if cards else ["--no-cards"]), clock=clock)
    assert code == 0, err.getvalue()
    return next(
        line.split(": ", 1)[1].strip()
        for line in err.getvalue().splitlines()
        if "admin) token:" in line
    )
