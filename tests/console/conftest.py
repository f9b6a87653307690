"""A ledger with the demo data and console accounts, on a clock the test moves."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from sync.ledger.app import create_app
from sync.ledger.db import LedgerDB, open_db
from sync.ledger.db.console import ConsoleDB
from sync.ledger.staff import accounts
from tests.demo_ledger import make_demo_ledger
from tests.pg import _with_db

TZ = ZoneInfo("Asia/Shanghai")
PASSWORDS = {"wang": "wang-secret-1", "li": "li-secret-22", "zhao": "zhao-secret-3"}


@dataclass
class Clock:
    t: datetime

    def __call__(self) -> datetime:
        return self.t

    def move(self, **kw) -> None:
        self.t += timedelta(**kw)


@dataclass
class Console:
    store: LedgerDB
    db: ConsoleDB
    clock: Clock
    root: Path
    admin_token: str
    clients: list = field(default_factory=list)

    def client(self) -> TestClient:
        c = TestClient(create_app(self.store, self.clock), base_url="https://testserver")
        self.clients.append(c)
        return c

    def login(self, name: str, password: str | None = None) -> TestClient:
        c = self.client()
        page = c.get("/console/login")
        r = c.post(
            "/console/login",
            data={
                "name": name,
                "password": password or PASSWORDS[name],
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return c


def raw_execute(console: Console, sql: str) -> None:
    """One statement on the console's database, past the storage interface."""
    from sync.ledger.db import sqlite_path

    path = sqlite_path(console.store.url)
    if path is not None:
        import sqlite3

        conn = sqlite3.connect(path)
        try:
            conn.execute(sql)
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(console.store.url, autocommit=True) as conn:
        conn.execute(sql)


def stored_bytes(console: Console) -> bytes:
    """Everything the database holds, to look for what must never be stored: the SQLite
    file's bytes, or every PostgreSQL row as text."""
    if (console.root / "ledger.db").exists():
        return (console.root / "ledger.db").read_bytes()
    import psycopg

    out = []
    with psycopg.connect(console.store.url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        for (table,) in tables:
            out += [r[0] for r in conn.execute(f'SELECT t::text FROM "{table}" t')]
    return "\n".join(out).encode()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


START = datetime(2026, 11, 29, 9, 30, tzinfo=TZ)


def _make_template(url: str, root: Path) -> str:
    clock = Clock(START)
    token = make_demo_ledger(url, root / "demo", START.date(), clock)
    store = open_db(url)
    db = ConsoleDB(store)
    for name, role, sites in (
        ("wang", "admin", []),
        ("li", "site_staff", ["xiangshan-study"]),
        ("zhao", "read_only", []),
    ):
        accounts.create_account(db, name, role, PASSWORDS[name], START, actor="test", sites=sites)
    if hasattr(store, "conn"):
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return token


@pytest.fixture(scope="session")
def console_template(tmp_path_factory) -> tuple[Path, str]:
    """The demo ledger and three accounts, made once: staff PIN and password hashes are
    slow on purpose, so each test copies this file instead of making its own."""
    root = tmp_path_factory.mktemp("console-template")
    return root, _make_template(str(root / "ledger.db"), root)


@pytest.fixture(scope="session")
def console_pg_template(tmp_path_factory, pg_databases) -> tuple[Path, str, str]:
    """The same on PostgreSQL: a database the tests copy (CREATE DATABASE ... TEMPLATE)."""
    root = tmp_path_factory.mktemp("console-pg-template")
    key = root / "ledger.db.signing-key"
    old = os.environ.get("KIOSK_LEDGER_KEY")
    os.environ["KIOSK_LEDGER_KEY"] = str(key)
    try:
        name = f"{pg_databases.prefix}_console"
        pg_databases._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_databases._admin.execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{pg_databases.template}" STRATEGY FILE_COPY'
        )
        token = _make_template(_with_db(pg_databases.url, name), root)
    finally:
        if old is None:
            os.environ.pop("KIOSK_LEDGER_KEY", None)
        else:
            os.environ["KIOSK_LEDGER_KEY"] = old
    yield root, token, name
    pg_databases._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def console(tmp_path: Path, backend: str, request, monkeypatch) -> Console:
    """The demo ledger with console accounts, on each storage backend."""
    if backend == "sqlite":
        root, token = request.getfixturevalue("console_template")
        for f in root.glob("ledger.db*"):
            shutil.copy(f, tmp_path / f.name)
        url = str(tmp_path / "ledger.db")
    else:
        root, token, name = request.getfixturevalue("console_pg_template")
        dbs = request.getfixturevalue("pg_databases")
        copy = f"{name}_{next(dbs._n)}"
        dbs._admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}" STRATEGY FILE_COPY')
        url = _with_db(dbs.url, copy)
        shutil.copy(root / "ledger.db.signing-key", tmp_path / "ledger.db.signing-key")
        monkeypatch.setenv("KIOSK_LEDGER_KEY", str(tmp_path / "ledger.db.signing-key"))
        request.addfinalizer(lambda: dbs.drop(url))
    shutil.copytree(root / "demo", tmp_path / "demo")
    clock = Clock(START)
    store = open_db(url)
    yield Console(store, ConsoleDB(store), clock, tmp_path, token)
    store.close()
