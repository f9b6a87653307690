"""Time-ordered event ids (UUID version 7 layout), so ids sort roughly by creation."""

from __future__ import annotations

from kiosk.clock import system_clock
from kiosk.core.ids import uuid7_at


def uuid7(unix_ms: int | None = None) -> str:
    ms = int(system_clock()().timestamp() * 1000) if unix_ms is None else unix_ms
    return uuid7_at(ms)
