"""The kiosk under systemd (Type=notify, WatchdogSec): `kiosk run` says READY once its
first screen is up, pings the watchdog from its UI loop, and says STOPPING on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kiosk_run_talks_to_systemd(tmp_path, demo_dir):
    out, _ = demo_dir
    data = tmp_path / "kiosk"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SDL_AUDIODRIVER": "dummy", "KIVY_NO_ARGS": "1"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "load",
            "--data-dir",
            str(data),
            str(out / "snapshot.json"),
            "--site",
            "service-center",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(1.0)
    env.update(NOTIFY_SOCKET=str(sock_path), WATCHDOG_USEC="1000000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "run", "--data-dir", str(data), "--camera", "sim"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    got: list[str] = []
    try:
        deadline = time.monotonic() + 90  # a hang guard: a loaded CI host starts Kivy slowly
        while time.monotonic() < deadline and got.count("WATCHDOG=1") < 2:
            try:
                got += sock.recv(4096).decode().split("\n")
            except TimeoutError:
                assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
        assert "READY=1" in got and got.index("READY=1") < got.index("WATCHDOG=1")
        assert got.count("WATCHDOG=1") >= 2  # pinged again from the running UI loop
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        while True:
            try:
                got += sock.recv(4096).decode().split("\n")
            except TimeoutError:
                break
        assert "STOPPING=1" in got
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()
