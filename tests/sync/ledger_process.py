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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LedgerProcess:
    """``start`` is the ledger's time when the test begins (default: 08:00 on ``day`` in
    Asia/Shanghai); from there its clock runs at the real rate, across restarts too, so
    the kiosks' clocks and the ledger's agree whatever the machine's date."""

    def __init__(self, root: Path, day=None, start: datetime | None = None):
        self.root = root
        if start is None:
            d = day or DEFAULT_DAY
            start = datetime(d.year, d.month, d.day, 8, 0, tzinfo=TZ)
        self._start, self._t0 = start, time.monotonic()
        self.db = root / "ledger.db"
        self.demo = root / "demo"
        err = io.StringIO()
        args = ["demo-data", "--db", str(self.db), "--out", str(self.demo), "--no-cards"]
        if day is not None:
            args += ["--day", day.isoformat()]
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
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

    def start(self, timeout: float = 20.0) -> LedgerProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **clock_env(self.now())}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync.ledger",
                "serve",
                "--db",
                str(self.db),
                "--port",
                str(self.port),
            ],
            stdout=self.log,
            stderr=self.log,
            env=env,
        )
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()  # never leave a half-started server behind a failed test
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"ledger exited with {self.proc.returncode}: see {self.root / 'ledger.log'}"
                )
            try:
                if requests.get(self.url + "/v1/health", timeout=0.5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)  # polling for a server to come up: there is no event to wait on
        raise RuntimeError("ledger did not come up")

    def now(self) -> datetime:
        """The ledger process's clock, read from the test."""
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def kill(self) -> None:
        """SIGKILL: no chance to finish a transaction or flush anything."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
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
