"""Throwaway PostgreSQL servers for tests and benchmarks: Debian's binaries, a cluster in a
temporary folder, a free port on 127.0.0.1, run by an unprivileged user.

Dev tooling, not in the wheel. ``initdb`` refuses to run as root, so when we are root the
cluster belongs to Debian's ``postgres`` system user (made by the ``postgresql`` package)
and every server process runs as that user; otherwise it runs as whoever we are. Nothing
here touches the machine's own clusters (``pg_ctlcluster``, /var/lib/postgresql).

    python -m devtools.pgserver start DIR   # prints the server's postgresql:// URL
    python -m devtools.pgserver stop DIR

Used by tests/pg.py (one server per test session, a database per test), the failover
test (a primary and its streaming replica made with pg_basebackup) and bench/.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

SUPERUSER = "kiosk"
SERVICE_USER = "postgres"  # Debian's postgresql package makes it

# A test server keeps nothing worth an fsync: every test database is thrown away.
FAST = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
}
# What a district's server would run with (benchmarks, replication): durable commits.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


class PgMissing(RuntimeError):
    pass


def bindir() -> Path:
    """Where initdb and postgres are: $PG_BINDIR, else Debian's newest
    /usr/lib/postgresql/N/bin, else the PATH."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PgMissing(
        "PostgreSQL's server programs (initdb, postgres) are not installed: "
        "run `make deps` (it installs Debian's postgresql), or set PG_BINDIR"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    # A server started by a test run stops when the run dies, however it dies.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(
            1, signal.SIGINT
        )  # PR_SET_PDEATHSIG: fast shutdown


class PgServer:
    """One cluster in ``root/data``; its log is ``root/server.log``. When we are root,
    ``root`` is given to the ``postgres`` user, so the folders above it must let others
    through (mode 0711 or wider; tempfile.mkdtemp makes 0700)."""

    def __init__(self, root: Path, port: int | None = None, settings: Mapping[str, str] = FAST):
        self.root = Path(root)
        self.data = self.root / "data"
        self.port = port or free_port()
        self.settings = dict(settings)
        self.proc: subprocess.Popen | None = None
        self.bin = bindir()
        self.user = SERVICE_USER if os.geteuid() == 0 else None

    # -- running programs as the cluster's owner
    def _as_owner(self) -> dict:
        if self.user is None:
            return {}
        pw = pwd.getpwnam(self.user)
        return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C.UTF-8", TZ="UTC", HOME=str(self.root))
        # A moved clock (tests/at_instant.sh) is for our processes, not the server's.
        env.pop("KIOSK_CLOCK", None)
        return env

    def _run(self, *args: str) -> None:
        out = subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            env=self._env(),
            capture_output=True,
            text=True,
            **self._as_owner(),
        )
        if out.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({out.returncode}): {out.stderr or out.stdout}")

    def _own(self, path: Path) -> None:
        if self.user is not None:
            pw = pwd.getpwnam(self.user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    # -- life cycle
    def init(self) -> PgServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )
        return self

    def start(self, timeout: float = 60.0, *, die_with_parent: bool = True) -> PgServer:
        args = [
            str(self.bin / "postgres"),
            "-D",
            str(self.data),
            "-c",
            f"port={self.port}",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.root}",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=64MB",
        ]
        for key, value in self.settings.items():
            args += ["-c", f"{key}={value}"]
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - the server holds it
        self.proc = subprocess.Popen(
            args,
            stdout=log,
            stderr=log,
            env=self._env(),
            start_new_session=True,  # kill() takes the postmaster and every backend at once
            preexec_fn=_die_with_parent if die_with_parent else None,
            **self._as_owner(),
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: see {self.root / 'server.log'}")
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)  # a server coming up sends no event to wait on

    def stop(self) -> None:
        """A fast shutdown (open sessions are ended, the data is kept)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL to the postmaster and all its backends at once: the machine died."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- addresses
    def url(self, dbname: str = "postgres", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}" + (
            f"?{query}" if query else ""
        )

    # -- replication
    def base_backup(self, root: Path, settings: Mapping[str, str] | None = None) -> PgServer:
        """A streaming replica of this (running) server, made with pg_basebackup -R: it
        starts as a hot standby following this one."""
        replica = PgServer(root, settings=self.settings if settings is None else settings)
        replica.root.mkdir(parents=True, exist_ok=True)
        replica._own(replica.root)
        replica._run(
            "pg_basebackup",
            "-D",
            str(replica.data),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-R",  # standby.signal + primary_conninfo: a replica, not a copy
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )
        return replica

    def reconfigure(self, **settings: str) -> None:
        """ALTER SYSTEM and reload: settings that a running server takes without a restart
        (synchronous_standby_names once its standby is up, for instance)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            for key, value in settings.items():
                conn.execute(f"ALTER SYSTEM SET {key} = '{value}'")
            conn.execute("SELECT pg_reload_conf()")
        self.settings.update(settings)

    def promote(self, timeout: float = 60.0) -> None:
        self._run("pg_ctl", "promote", "-w", "-t", str(int(timeout)), "-D", str(self.data))


@contextlib.contextmanager
def temporary(settings: Mapping[str, str] = FAST) -> Iterator[PgServer]:
    """A started server in a fresh temporary folder, removed afterwards."""
    server = PgServer(Path(tempfile.mkdtemp(prefix="kiosk-pg-")), settings=settings)
    try:
        server.init().start()
        yield server
    finally:
        server.remove()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.pgserver", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    start = sub.add_parser("start", help="make a cluster in DIR, start it, print its URL")
    start.add_argument("dir", type=Path)
    start.add_argument("--durable", action="store_true", help="fsync on (benchmarks)")
    stop = sub.add_parser("stop", help="stop the server of DIR and remove DIR")
    stop.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "start":
        server = PgServer(args.dir, settings=DURABLE if args.durable else FAST)
        server.init().start(die_with_parent=False)
        (args.dir / "url").write_text(server.url())
        print(server.url())
        return 0
    pidfile = args.dir / "data" / "postmaster.pid"
    if pidfile.exists():
        pid = int(pidfile.read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 30
        while pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # the postmaster removes its pid file last
    shutil.rmtree(args.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
