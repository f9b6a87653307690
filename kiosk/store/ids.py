"""Time-ordered event ids (UUID version 7 layout), so ids sort roughly by creation."""

from __future__ import annotations

import os
import uuid

from kiosk.clock import system_clock


def uuid7(unix_ms: int | None = None) -> str:
    ms = int(system_clock()().timestamp() * 1000) if unix_ms is None else unix_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
