"""sd_notify against a real AF_UNIX datagram socket, as systemd provides it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest

from kiosk import watchdog


@pytest.fixture
def notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.settimeout(2)
    yield str(path), sock
    sock.close()


def _recv(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready_watchdog_status_reach_the_socket(notify_socket):
    path, sock = notify_socket
    env = {"NOTIFY_SOCKET": path}
    assert watchdog.notify_ready(env)
    assert _recv(sock) == "READY=1"
    assert watchdog.notify_watchdog(env)
    assert _recv(sock) == "WATCHDOG=1"
    assert watchdog.notify_status("pending 3\nlast sync 09:00 签到", env)
    assert _recv(sock) == "STATUS=pending 3 last sync 09:00 签到"
    assert watchdog.notify_stopping(env)
    assert _recv(sock) == "STOPPING=1"


def test_abstract_namespace_address():
    name = f"kiosk-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert watchdog.notify_ready({"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(100) == b"READY=1"


def test_no_systemd_is_a_silent_no_op(tmp_path):
    assert watchdog.notify_ready({}) is False
    assert watchdog.notify_watchdog({"NOTIFY_SOCKET": "relative/path"}) is False
    # A socket that vanished (systemd restarted) must not crash the kiosk.
    assert watchdog.notify_watchdog({"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False
    assert watchdog.watchdog_interval({}) is None


def test_interval_is_half_of_watchdog_usec_for_the_watched_pid():
    assert watchdog.watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    env = {"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog.watchdog_interval(env) == 10.0
    assert watchdog.watchdog_interval({**env, "WATCHDOG_PID": "1"}) is None
    assert watchdog.watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog.watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_attach_sends_ready_then_pings_from_the_callers_loop(notify_socket):
    path, sock = notify_socket
    scheduled = []
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"}
    interval = watchdog.attach(lambda fn, every: scheduled.append((fn, every)), env)
    assert interval == 2.0
    assert _recv(sock) == "READY=1"
    assert _recv(sock) == "WATCHDOG=1"
    [(tick, every)] = scheduled
    assert every == 2.0
    tick(0.5)  # what Kivy's Clock does each interval
    assert _recv(sock) == "WATCHDOG=1"


def test_attach_without_watchdog_only_reports_ready(notify_socket):
    path, sock = notify_socket
    scheduled = []
    assert watchdog.attach(lambda fn, every: scheduled.append(fn), {"NOTIFY_SOCKET": path}) is None
    assert _recv(sock) == "READY=1"
    assert scheduled == []


def test_a_child_process_under_systemd_env(notify_socket):
    """The module as a fresh process sees it: environment only, nothing else."""
    path, sock = notify_socket
    code = (
        "from kiosk import watchdog as w; import sys; "
        "sys.exit(0 if w.notify_ready() and w.watchdog_interval() == 5.0 else 1)"
    )
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "10000000"}
    env.pop("WATCHDOG_PID", None)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=30)
    assert _recv(sock) == "READY=1"
