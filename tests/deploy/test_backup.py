"""Online backups of a WAL database under a live writer, retention and restore."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from sync.ledger.ops import backup as bk

# A separate process commits continuously, like the ledger serving kiosks: each
# transaction appends an entry and moves the matching balance, so a torn copy would
# show as a gap in the ids or a balance that disagrees with its entries.
WRITER = r"""
import os, sqlite3, sys, time
db, stop = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = NORMAL")
i = conn.execute("SELECT COALESCE(MAX(id), 0) FROM entries").fetchone()[0]
while not os.path.exists(stop):
    i += 1
    v = f"V{i % 50:06d}"
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO entries (id, volunteer, delta, pad) VALUES (?, ?, ?, zeroblob(200))", (i, v, i % 7 + 1))
    conn.execute("INSERT INTO balances (volunteer, balance) VALUES (?, ?) ON CONFLICT(volunteer)"
                 " DO UPDATE SET balance = balance + excluded.balance", (v, i % 7 + 1))
    conn.execute("COMMIT")
"""


def _make_db(path, rows=20000):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(
        "CREATE TABLE entries (id INTEGER PRIMARY KEY, volunteer TEXT NOT NULL, delta INTEGER NOT NULL,"
        " pad BLOB)"
    )
    conn.execute("CREATE TABLE balances (volunteer TEXT PRIMARY KEY, balance INTEGER NOT NULL)")
    conn.execute("PRAGMA user_version = 3")
    conn.execute("BEGIN")
    for i in range(1, rows + 1):
        v = f"V{i % 50:06d}"
        conn.execute("INSERT INTO entries VALUES (?, ?, ?, zeroblob(200))", (i, v, i % 7 + 1))
        conn.execute(
            "INSERT INTO balances VALUES (?, ?) ON CONFLICT(volunteer) DO UPDATE SET"
            " balance = balance + excluded.balance",
            (v, i % 7 + 1),
        )
    conn.execute("COMMIT")
    return conn


def _count(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]


def _assert_consistent_prefix(path) -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n, lo, hi = conn.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM entries").fetchone()
        assert (lo, hi) == (1, n), "ids must be exactly 1..n: a prefix of the writer's commits"
        mismatched = conn.execute(
            "SELECT COUNT(*) FROM balances b WHERE balance !="
            " (SELECT SUM(delta) FROM entries e WHERE e.volunteer = b.volunteer)"
        ).fetchone()[0]
        assert mismatched == 0, "every balance agrees with its entries: whole transactions only"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        return n
    finally:
        conn.close()


def test_backup_under_write_load_then_restore(tmp_path):
    db = tmp_path / "ledger.db"
    reader = _make_db(db)
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop)])
    try:
        start = _count(reader)
        deadline = time.monotonic() + 20
        while _count(reader) < start + 200:
            assert writer.poll() is None and time.monotonic() < deadline, (
                "the writer is not writing"
            )
            time.sleep(0.01)
        made = []
        for _ in range(5):
            before = _count(reader)
            path = bk.backup(db, tmp_path / "backups", keep=3)
            after = _count(reader)
            n = _assert_consistent_prefix(path)
            assert before <= n <= after
            made.append((path, n))
            assert writer.poll() is None
        # The writer was never blocked: it kept committing across all the backups.
        assert _count(reader) > made[0][1]
    finally:
        stop.touch()
        writer.wait(timeout=30)
    assert writer.returncode == 0

    remaining = [p for _, p in bk.list_backups(tmp_path / "backups", "ledger")]
    assert remaining == [p for p, _ in reversed(made[-3:])]
    assert not list((tmp_path / "backups").glob("*.partial"))
    assert not list((tmp_path / "backups").glob("*-wal")), "a backup is one self-contained file"

    newest, rows = made[-1]
    with pytest.raises(bk.BackupError, match="refusing to overwrite a live database"):
        bk.restore(newest, db)
    assert _count(reader) > rows, "a refused restore leaves the live database alone"
    reader.close()

    fresh = tmp_path / "restored" / "ledger.db"
    bk.restore(newest, fresh)
    assert _assert_consistent_prefix(fresh) == rows

    bk.restore(newest, db, force=True)
    assert _assert_consistent_prefix(db) == rows


def test_restore_refuses_a_damaged_backup_and_touches_nothing(tmp_path):
    db = tmp_path / "ledger.db"
    _make_db(db, rows=10).close()
    bad = tmp_path / "ledger-20260101T000000.000000Z.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + b"garbage" * 500)
    before = db.read_bytes()
    with pytest.raises(bk.BackupError, match="not a readable SQLite database|integrity"):
        bk.restore(bad, db, force=True)
    assert db.read_bytes() == before
    with pytest.raises(bk.BackupError, match="no such file"):
        bk.restore(tmp_path / "missing.sqlite3", tmp_path / "new.db")


def test_a_truncated_backup_fails_the_check(tmp_path):
    db = tmp_path / "ledger.db"
    _make_db(db, rows=3000).close()
    path = bk.backup(db, tmp_path / "b")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(bk.BackupError):
        bk.check(path)


def test_forced_restore_over_a_damaged_database_sets_it_aside(tmp_path):
    db = tmp_path / "ledger.db"
    _make_db(db, rows=50).close()
    good = bk.backup(db, tmp_path / "b")
    db.write_bytes(b"\x00" * 4096 * 3)  # the disk returned zeros
    (tmp_path / "ledger.db-wal").write_bytes(b"junk")
    with pytest.raises(bk.BackupError, match="refusing"):
        bk.restore(good, db)
    bk.restore(good, db, force=True)
    assert _assert_consistent_prefix(db) == 50
    aside = {p.name.split(".damaged-")[1][15:] for p in tmp_path.iterdir() if ".damaged-" in p.name}
    assert {"", "-wal"} <= aside, "the damaged file and its journal are kept for inspection"


def test_retention_keeps_newest_plus_daily_and_weekly(tmp_path):
    db = tmp_path / "ledger.db"
    _make_db(db, rows=5).close()
    dest = tmp_path / "b"
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # a Sunday
    # Two backups a day for 30 days.
    for day in range(30):
        for hour in (2, 14):
            bk.backup(db, dest, keep=1000, now=start + timedelta(days=day, hours=hour - 2))
    other = dest / "notes.txt"
    other.write_text("not a backup")
    foreign = dest / "other-20261101T020000.000000Z.sqlite3"
    foreign.write_bytes(b"")
    stale = dest / "ledger-20261001T020000.000000Z.sqlite3.partial"
    stale.write_bytes(b"")
    old = time.time() - 2 * bk.PARTIAL_MAX_AGE_S
    os.utime(stale, (old, old))

    bk.prune(dest, "ledger", keep=3, daily=7, weekly=4)
    kept = [at for at, _ in bk.list_backups(dest, "ledger")]
    newest_three = [
        start + timedelta(days=29, hours=12),
        start + timedelta(days=29),
        start + timedelta(days=28, hours=12),
    ]
    assert kept[:3] == newest_three
    days = sorted({at.date() for at in kept}, reverse=True)
    assert days[:7] == [(start + timedelta(days=29 - i)).date() for i in range(7)]
    weeks = {at.isocalendar()[:2] for at in kept}
    assert len(weeks) == 4
    assert len(kept) == len(set(kept)) <= 3 + 7 + 4
    assert other.exists() and foreign.exists(), "retention deletes only this database's backups"
    assert not stale.exists()


def test_keep_must_protect_the_new_backup(tmp_path):
    db = tmp_path / "ledger.db"
    _make_db(db, rows=1).close()
    with pytest.raises(bk.BackupError, match="keep"):
        bk.backup(db, tmp_path / "b", keep=0)
    with pytest.raises(bk.BackupError, match="no database"):
        bk.backup(tmp_path / "none.db", tmp_path / "b")


def test_command_line_as_the_timer_runs_it(tmp_path):
    db = tmp_path / "ledger.db"
    _make_db(db, rows=20).close()
    run = [sys.executable, "-m", "sync.ledger.ops.backup"]
    out = subprocess.run(
        [
            *run,
            "backup",
            "--db",
            str(db),
            "--dest",
            str(tmp_path / "b"),
            "--keep",
            "2",
            "--daily",
            "7",
            "--weekly",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert _assert_consistent_prefix(out) == 20
    refused = subprocess.run(
        [*run, "restore", "--db", str(db), out], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1 and "refusing" in refused.stderr
    subprocess.run(
        [*run, "restore", "--db", str(tmp_path / "new.db"), out],
        check=True,
        timeout=60,
        capture_output=True,
    )
    assert _assert_consistent_prefix(tmp_path / "new.db") == 20
