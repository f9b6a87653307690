"""Time-ordered event ids (UUID version 7 layout), so ids sort roughly by creation. Pure:
the caller gives the time (the kiosk's store and the ledger's console both make events)."""

from __future__ import annotations

import os
import uuid


def uuid7_at(unix_ms: int) -> str:
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
