"""The PostgreSQL server of a test run, and the storage backends a test runs against.

One server per run (devtools/pgserver.py: Debian's binaries, a cluster in a temporary
folder, a free port, the ``postgres`` user when we are root), started by the run's first
process while pytest collects, and shared by the xdist workers; each test gets a database
of its own, copied from a template that already holds the ledger's schema.

``KIOSK_TEST_BACKENDS`` (comma-separated, default ``sqlite,postgres``) says which backends
the backend-parametrized tests run on; ``make test-clock`` sets it to ``sqlite``.
``KIOSK_TEST_PG_URL`` points the tests at a server of your own instead (its role needs
CREATEDB). Nothing is skipped when PostgreSQL is missing: the tests fail and say to run
``make deps``, which installs it.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgres")
_DIR_ENV = "KIOSK_TEST_PG_DIR"  # set by the first process for the workers it starts
_URL_ENV = "KIOSK_TEST_PG_URL"


def backends() -> list[str]:
    wanted = [b.strip() for b in os.environ.get("KIOSK_TEST_BACKENDS", "").split(",") if b.strip()]
    unknown = set(wanted) - set(BACKENDS)
    if unknown:
        raise pytest.UsageError(f"KIOSK_TEST_BACKENDS: unknown backend(s) {sorted(unknown)}")
    return wanted or list(BACKENDS)


def only(*names: str) -> list[str]:
    """For ``@pytest.mark.parametrize("backend", only("postgres"))``: a test about one
    backend's own machinery, run when KIOSK_TEST_BACKENDS includes it."""
    return [b for b in backends() if b in names]


class _Owner(threading.Thread):
    """Starts the run's server and stops it at the end. The thread lives as long as the
    server: the server gets SIGINT should the run die (PR_SET_PDEATHSIG follows the thread
    that started it)."""

    def __init__(self, root: Path):
        super().__init__(name="test-postgres", daemon=True)
        self.root = root
        self.done = threading.Event()

    def run(self) -> None:
        from devtools.pgserver import PgServer

        server = PgServer(self.root / "server")
        try:
            server.init().start()
            (self.root / "url.tmp").write_text(server.url())
            (self.root / "url.tmp").rename(self.root / "url")
        except Exception as exc:  # the workers report it, where a test needs the server
            (self.root / "error").write_text(f"{type(exc).__name__}: {exc}")
            return
        self.done.wait()
        server.remove()


_owner: _Owner | None = None


def configure(config: pytest.Config) -> None:
    """From conftest's pytest_configure: the first process starts the server, in the
    background, if any backend-parametrized test may need it."""
    global _owner
    if "postgres" not in backends() or os.environ.get(_URL_ENV) or os.environ.get(_DIR_ENV):
        return
    root = Path(tempfile.mkdtemp(prefix="kiosk-test-pg-"))
    root.chmod(0o711)  # the server's own user goes through it to its cluster
    os.environ[_DIR_ENV] = str(root)  # xdist workers inherit it
    _owner = _Owner(root)
    _owner.start()


def unconfigure() -> None:
    global _owner
    if _owner is not None:
        _owner.done.set()
        _owner.join(60)
        import shutil

        shutil.rmtree(_owner.root, ignore_errors=True)
        _owner = None


def server_url(timeout: float = 120.0) -> str:
    if os.environ.get(_URL_ENV):
        return os.environ[_URL_ENV]
    if not os.environ.get(_DIR_ENV):
        raise RuntimeError("no test PostgreSQL server: tests/pg.configure did not run")
    root = Path(os.environ[_DIR_ENV])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (root / "url").exists():
            return (root / "url").read_text()
        if (root / "error").exists():
            pytest.fail(
                "the test PostgreSQL server did not start: " + (root / "error").read_text(),
                pytrace=False,
            )
        time.sleep(0.05)  # the server's start is in another process: a file is all we get
    pytest.fail("the test PostgreSQL server did not start in time", pytrace=False)


def _with_db(url: str, dbname: str) -> str:
    base, _, query = url.partition("?")
    head, _, _old = base.rpartition("/")
    return f"{head}/{dbname}" + (f"?{query}" if query else "")


class Databases:
    """Fresh databases on the run's server, copied from this process's template."""

    def __init__(self, url: str, worker: str):
        import psycopg

        self.url = url
        self.prefix = f"kt_{worker}_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._n = itertools.count()
        self._admin = psycopg.connect(url, autocommit=True)
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._admin.execute(f'CREATE DATABASE "{self.template}"')
        self._prepare(_with_db(url, self.template))

    @staticmethod
    def _prepare(url: str) -> None:
        # The ledger's schema, once per process rather than once per test. Until the
        # PostgreSQL backend exists there is nothing to migrate.
        try:
            from sync.ledger.db import open_db
            from sync.ledger.db.postgres import open_postgres  # noqa: F401
        except ImportError:
            return
        open_db(url).close()

    def new(self, empty: bool = False) -> str:
        """A fresh database: the template's copy (the ledger's schema), or ``empty``."""
        name = f"{self.prefix}_{next(self._n)}"
        if empty:
            self._admin.execute(f'CREATE DATABASE "{name}"')
            return _with_db(self.url, name)
        # FILE_COPY: a copy of the template's files, quicker than WAL_LOG on a server
        # that does not fsync.
        self._admin.execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY FILE_COPY'
        )
        return _with_db(self.url, name)

    def drop(self, url: str) -> None:
        name = url.partition("?")[0].rpartition("/")[2]
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._admin.close()


@pytest.fixture(scope="session")
def pg_databases(worker_id: str):
    dbs = Databases(server_url(), worker_id)
    yield dbs
    dbs.close()


@pytest.fixture
def pg_url(pg_databases: Databases):
    """A fresh, migrated PostgreSQL ledger database for this test, dropped afterwards."""
    url = pg_databases.new()
    yield url
    pg_databases.drop(url)


@pytest.fixture(params=backends())
def backend(request) -> str:
    """The storage backend this test runs on: each backend-parametrized test runs once per
    backend in KIOSK_TEST_BACKENDS."""
    return request.param


@pytest.fixture
def ledger_url(backend: str, tmp_path: Path, request, monkeypatch) -> str:
    """Where this test's ledger lives: a fresh SQLite file (``tmp_path/ledger.db``), or a
    fresh PostgreSQL database, whose card signing key is then ``tmp_path/ledger.db.signing-key``
    too (KIOSK_LEDGER_KEY: a server database has no folder of its own for it)."""
    if backend == "sqlite":
        return str(tmp_path / "ledger.db")
    monkeypatch.setenv("KIOSK_LEDGER_KEY", str(tmp_path / "ledger.db.signing-key"))
    return request.getfixturevalue("pg_url")
