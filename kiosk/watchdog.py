"""systemd's notify protocol (sd_notify), without libsystemd.

The kiosk unit is ``Type=notify`` with ``WatchdogSec``: systemd restarts the app when
the pings stop. The pings must come from the UI loop itself (a Kivy ``Clock`` interval,
not a helper thread), so a frozen screen stops them and gets restarted.

Every function is a silent no-op outside systemd (no ``$NOTIFY_SOCKET``): the same code
runs on a developer's laptop and in the tests.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from typing import Any


def notify(state: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one state datagram (``READY=1``, ``WATCHDOG=1``, ``STATUS=...``).

    Returns False when not under systemd or when the send failed: a kiosk must keep
    serving volunteers even if its supervisor's socket misbehaves.
    """
    env = os.environ if env is None else env
    address = env.get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    if address[0] == "@":
        # Linux abstract namespace: systemd writes '@', the kernel wants a NUL byte.
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode("utf-8"))
    except OSError:
        return False
    return True


def notify_ready(env: Mapping[str, str] | None = None) -> bool:
    return notify("READY=1", env)


def notify_watchdog(env: Mapping[str, str] | None = None) -> bool:
    return notify("WATCHDOG=1", env)


def notify_stopping(env: Mapping[str, str] | None = None) -> bool:
    return notify("STOPPING=1", env)


def notify_status(text: str, env: Mapping[str, str] | None = None) -> bool:
    # One line: the protocol is newline-separated assignments.
    return notify("STATUS=" + " ".join(text.split()), env)


def watchdog_interval(env: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """Seconds between pings: half of ``WatchdogSec``, as systemd recommends; None when
    systemd expects no pings from this process."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    # WATCHDOG_PID names the process systemd watches; a child that inherited the
    # environment must not ping on its parent's behalf.
    watched = env.get("WATCHDOG_PID", "")
    if watched.isdigit() and int(watched) != (os.getpid() if pid is None else pid):
        return None
    return int(usec) / 1_000_000 / 2


def attach(
    schedule_interval: Callable[[Callable[[Any], Any], float], Any],
    env: Mapping[str, str] | None = None,
) -> float | None:
    """Tell systemd the app is up and schedule the pings on the caller's event loop.

    ``schedule_interval`` is e.g. ``kivy.clock.Clock.schedule_interval``. Call it once
    the first screen is built (``App.on_start``). Returns the ping interval, or None
    when nothing was scheduled.
    """
    notify_ready(env)
    interval = watchdog_interval(env)
    if interval is None:
        return None
    notify_watchdog(env)
    schedule_interval(lambda _dt=None: notify_watchdog(env), interval)
    return interval
