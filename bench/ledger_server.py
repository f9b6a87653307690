"""A real ``kiosk-ledger serve`` for benchmarks, on a SQLite file or a PostgreSQL database,
with one or several API processes; and a throwaway PostgreSQL server for them."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # devtools

from devtools.pgserver import DURABLE, PgServer, free_port
from sync.ledger.db import open_db
from sync.ledger.ops.cli import main as ledger_main


def bench_postgres(root: Path | None = None) -> PgServer:
    """A PostgreSQL server with durable commits (fsync on, as a district would run it)."""
    root = root or Path(tempfile.mkdtemp(prefix="vk-bench-pg-"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o711)
    server = PgServer(root / "server", settings={**DURABLE, "max_wal_size": "4GB"})
    if (server.data / "PG_VERSION").exists():
        return server.start()
    return server.init().start()


def create_database(server: PgServer, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


class Ledger:
    """``db``: a file path or a postgresql:// URL. ``demo``: load the demo data first."""

    def __init__(self, root: Path, db: str, *, workers: int = 1, demo: bool = True, env=None):
        root.mkdir(parents=True, exist_ok=True)
        self.root, self.db = root, db
        self.env = {**os.environ, "KIOSK_LEDGER_KEY": str(root / "signing-key"), **(env or {})}
        if demo:
            old = os.environ.get("KIOSK_LEDGER_KEY")
            os.environ["KIOSK_LEDGER_KEY"] = self.env["KIOSK_LEDGER_KEY"]
            try:
                with (
                    contextlib.redirect_stderr(io.StringIO()),
                    contextlib.redirect_stdout(io.StringIO()),
                ):
                    ledger_main(
                        ["demo-data", "--db", db, "--out", str(root / "demo"), "--no-cards"]
                    )
            finally:
                if old is None:
                    os.environ.pop("KIOSK_LEDGER_KEY")
                else:
                    os.environ["KIOSK_LEDGER_KEY"] = old
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--db", db, "--port", str(self.port), "--workers", str(workers)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.ledger", *args],
            stdout=subprocess.DEVNULL,
            stderr=open(root / "ledger.log", "ab"),  # noqa: SIM115 - the child holds it
            env=self.env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/v1/health", timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"ledger did not start: see {root / 'ledger.log'}")

    def enroll_raw(self, site: str) -> tuple[str, str]:
        store = open_db(self.db)
        try:
            code = store.create_enrollment_code(site, datetime.now(UTC))
        finally:
            store.close()
        r = requests.post(
            self.url + "/v1/enroll", json={"enrollment_code": code, "kiosk_name": "bench"}
        ).json()
        return r["kiosk_id"], r["token"]

    def pids(self) -> list[int]:
        """The serve process and its workers."""
        out = [self.proc.pid]
        with contextlib.suppress(OSError):
            for line in subprocess.run(
                ["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True
            ).stdout.split():
                out.append(int(line))
        return sorted(set(out))

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
