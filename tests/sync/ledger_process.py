"""A real ``kiosk-ledger serve`` process on 127.0.0.1, with demo data, for one test."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from kiosk.clock import env_for as clock_env
from sync.ledger.db import LedgerDB, open_db
from sync.ledger.ops.cli import main as ledger_main

TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_DAY = date(2026, 11, 29)


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM to a serve process and whatever it started; SIGKILL if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@contextlib.contextmanager
def environ(values: dict[str, str]):
    """``os.environ`` with ``values`` set, for a command run in this process."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LedgerProcess:
    """``start`` is the ledger's time when the test begins (default: 08:00 on ``day`` in
    Asia/Shanghai); from there its clock runs at the real rate, across restarts too, so
    the kiosks' clocks and the ledger's agree whatever the machine's date."""

    def __init__(
        self, root: Path, day=None, start: datetime | None = None, db: str | Path | None = None
    ):
        """``db``: the ledger's database (a fresh PostgreSQL database's URL, say); default
        ``root/ledger.db``."""
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        if start is None:
            d = day or DEFAULT_DAY
            start = datetime(d.year, d.month, d.day, 8, 0, tzinfo=TZ)
        self._start, self._t0 = start, time.monotonic()
        self.db = db if db is not None else root / "ledger.db"
        # A server database has no folder of its own for the signing key: this test's.
        self.env = {"KIOSK_LEDGER_KEY": str(root / "ledger.signing-key")}
        self.demo = root / "demo"
        err = io.StringIO()
        args = ["demo-data", "--db", str(self.db), "--out", str(self.demo), "--no-cards"]
        if day is not None:
            args += ["--day", day.isoformat()]
        with (
            contextlib.redirect_stderr(err),
            contextlib.redirect_stdout(io.StringIO()),
            environ(self.env),
        ):
            assert ledger_main(args, clock=self.now) == 0
        self.admin_token = next(
            line.split(": ", 1)[1].strip()
            for line in err.getvalue().splitlines()
            if "admin) token:" in line
        )
        self.roster = json.loads((self.demo / "roster.json").read_text(encoding="utf-8"))
        self.snapshot = json.loads((self.demo / "snapshot.json").read_text(encoding="utf-8"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = open(root / "ledger.log", "ab")  # noqa: SIM115 - closed in stop()

    def start(self, timeout: float = 20.0, workers: int = 1) -> LedgerProcess:
        """``workers``: API processes behind this one port (``serve --workers``)."""
        self.proc = self.serve(self.port, workers, timeout)
        return self

    def serve(self, port: int, workers: int = 1, timeout: float = 20.0) -> subprocess.Popen:
        """Another ``kiosk-ledger serve`` on ``port`` over this ledger's database, up and
        answering; the caller stops it."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env, **clock_env(self.now())}
        args = ["serve", "--db", str(self.db), "--port", str(port)]
        if workers > 1:
            args += ["--workers", str(workers)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "sync.ledger", *args],
            stdout=self.log,
            stderr=self.log,
            env=env,
            start_new_session=True,  # stop() ends a supervisor and its workers together
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"ledger exited with {proc.returncode}: see {self.root / 'ledger.log'}"
                    )
                try:
                    if requests.get(url + "/v1/health", timeout=0.5).status_code == 200:
                        return proc
                except requests.RequestException:
                    pass
                time.sleep(0.05)  # polling for a server to come up: there is no event to wait on
            raise RuntimeError("ledger did not come up")
        except BaseException:
            stop_process(proc)  # never leave a half-started server behind a failed test
            raise

    def now(self) -> datetime:
        """The ledger process's clock, read from the test."""
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def kill(self) -> None:
        """SIGKILL: no chance to finish a transaction or flush anything."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        self.log.close()

    def store(self) -> LedgerDB:
        return open_db(self.db)

    def enroll_code(self, site: str) -> str:
        store = self.store()
        try:
            return store.create_enrollment_code(site, self.now(), timedelta(hours=1))
        finally:
            store.close()

    def card(self, volunteer_id: str) -> str:
        return next(p["code"] for p in self.roster if p["volunteer_id"] == volunteer_id)

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}
