"""The test run's PostgreSQL server (tests/pg.py, devtools/pgserver.py): what the backend
tests stand on, so its promises are held here."""

from __future__ import annotations

import os
import pwd

import psycopg
import pytest

from tests import pg

pytestmark = pytest.mark.skipif(
    "postgres" not in pg.backends(), reason="KIOSK_TEST_BACKENDS leaves PostgreSQL out"
)


def test_each_test_gets_a_database_of_its_own(pg_databases, pg_url):
    other = pg_databases.new()
    try:
        assert other != pg_url
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE mine (n int)")
        with psycopg.connect(other, autocommit=True) as conn:
            found = conn.execute("SELECT to_regclass('mine')").fetchone()[0]
        assert found is None  # copied from the template, not from another test's database
    finally:
        pg_databases.drop(other)
    with psycopg.connect(pg_databases.url, autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert other.rsplit("/", 1)[1] not in names


def test_the_server_runs_as_an_unprivileged_user_in_a_temporary_folder(pg_url):
    if os.environ.get("KIOSK_TEST_PG_URL"):
        pytest.skip("a server of the developer's own (KIOSK_TEST_PG_URL)")
    with psycopg.connect(pg_url) as conn:
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        owner = os.stat(f"/proc/{pid}").st_uid  # while this backend is still there
    assert not data_dir.startswith("/var/lib/postgresql")  # never the machine's own cluster
    assert owner != 0, "a server process runs as root"
    if os.geteuid() == 0:
        assert pwd.getpwuid(owner).pw_name == "postgres"
