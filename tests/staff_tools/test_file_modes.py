"""Attack 7 at the ledger: ledger.db with its WAL and SHM (phone numbers), backups, the
--with-phone i志愿 file, the 台账 exports and card sheets (every card a working
credential) are created 0600, and folders made for them 0700, whatever the umask."""

from __future__ import annotations

import os
import stat

import pytest

from kiosk.core.days import month_of
from sync.ledger.db import open_db
from sync.ledger.ops import backup
from tests.staff_tools.helpers import TZ


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o002)
    yield
    os.umask(old)


def test_a_new_ledger_database_and_its_wal_are_private(tmp_path, loose_umask):
    store = open_db(tmp_path / "srv" / "ledger.db")
    store.conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
    assert mode(tmp_path / "srv") == 0o700
    for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm"):
        assert mode(tmp_path / "srv" / name) == 0o600, name
    store.close()
    made = backup.backup(tmp_path / "srv" / "ledger.db", tmp_path / "backups")
    assert mode(tmp_path / "backups") == 0o700 and mode(made) == 0o600
    restored = backup.restore(made, tmp_path / "again" / "ledger.db")
    assert mode(restored) == 0o600


def test_exports_and_card_sheets_are_private(ledger, tmp_path, loose_umask):
    out = tmp_path / "out"
    out.mkdir()
    month = month_of(ledger.clock().astimezone(TZ))  # the month the test's clock is in
    assert ledger.run("export", "--month", month, "--out", out / "t.xlsx")[0] == 0
    assert ledger.run("export", "--month", month, "--format", "csv", "--out", out / "csv")[0] == 0
    assert (
        ledger.run("export-ivolunteer", "--month", month, "--with-phone", "--out", out / "iv.csv")[
            0
        ]
        == 0
    )
    assert ledger.run("cards", "--out", out / "cards.pdf")[0] == 0
    assert ledger.run("cards", "V000101", "--png", out / "png")[0] == 0
    files = [out / "t.xlsx", out / "iv.csv", out / "cards.pdf"]
    files += [*(out / "csv").glob("*.csv"), *(out / "png").glob("*.png")]
    assert len(files) > 6
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
