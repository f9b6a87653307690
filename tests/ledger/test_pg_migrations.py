"""The one migration runner on PostgreSQL (sync/ledger/db/migrate.py, schema.py's postgres
texts): every earlier schema upgrades, a newer one is refused, and API processes that
start together migrate once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest

from sync.ledger.db import open_db
from sync.ledger.db.migrate import SchemaTooNew, migrate
from sync.ledger.db.postgres.store import _Target
from sync.ledger.db.schema import MIGRATIONS
from tests.pg import only

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
pytestmark = pytest.mark.parametrize("backend", only("postgres"))


def test_every_migration_has_its_postgresql_text(backend):
    # A migration written for SQLite alone stops every PostgreSQL ledger at the runner.
    missing = [n + 1 for n, m in enumerate(MIGRATIONS) if not m.postgres]
    assert not missing, f"migrations without a postgres text in db/schema.py: {missing}"


def _version(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]


def _works(url: str) -> None:
    """The upgraded database takes reference data, a kiosk and an event like a new one."""
    db = open_db(url)
    try:
        db.load_reference(
            [
                {"kind": "site", "key": "s", "data": {"site_id": "s"}},
                {"kind": "volunteer", "key": "V1", "data": {"display_name": "张三"}},
                {
                    "kind": "volunteer",
                    "key": "S0001",
                    "data": {"kind": "S", "display_name": "员工"},
                },
                {"kind": "balance", "key": "V1", "data": {"balance": 30}},
            ],
            NOW,
        )
        kiosk = db.enroll(db.create_enrollment_code("s", NOW), "k", NOW)
        event = {
            "id": "e1",
            "kiosk_id": kiosk.kiosk_id,
            "seq": 1,
            "type": "points.adjust",
            "occurred_at": "2026-11-29T09:00:00.000+08:00",
            "clock_offset_ms": 0,
            "actor": "S0001",
            "payload": {"volunteer_id": "V1", "delta": 5, "reason": "test"},
        }
        results, acked = db.ingest(kiosk.kiosk_id, [event], NOW)
        assert acked == 1 and results[0]["status"] == "accepted", results
        assert db.balances()["V1"] == db.journal_balances()["V1"] == 35
    finally:
        db.close()


@pytest.mark.parametrize("have", range(len(MIGRATIONS)))
def test_a_database_at_every_earlier_version_upgrades(backend, pg_databases, have):
    url = pg_databases.new(empty=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            assert migrate(_Target(conn), MIGRATIONS[:have]) == have
        _works(url)
        assert _version(url) == len(MIGRATIONS)
    finally:
        pg_databases.drop(url)


def test_a_newer_schema_is_refused_untouched(backend, pg_databases):
    url = pg_databases.new()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS) + 1,))
        with pytest.raises(SchemaTooNew):
            open_db(url)
        assert _version(url) == len(MIGRATIONS) + 1
    finally:
        pg_databases.drop(url)


def test_processes_starting_together_migrate_once(backend, pg_databases):
    url = pg_databases.new(empty=True)
    opened, failed = [], []

    def start() -> None:
        try:
            opened.append(open_db(url))
        except Exception as exc:  # a failure is what this test looks for
            failed.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not failed and len(opened) == 4
        assert _version(url) == len(MIGRATIONS)
        assert len({db.meta("feed_epoch") for db in opened}) == 1  # one database, one epoch
    finally:
        for db in opened:
            db.close()
        pg_databases.drop(url)


def test_an_unreachable_database_gets_a_clear_answer(backend, capsys):
    from devtools.pgserver import free_port
    from sync.ledger.ops.cli import main as ledger_main

    url = f"postgresql://kiosk:secret@127.0.0.1:{free_port()}/ledger"
    assert ledger_main(["enroll-code", "--db", url, "--site", "service-center"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the ledger database" in err and "无法连接台账数据库" in err
    assert "secret" not in err  # never the password
