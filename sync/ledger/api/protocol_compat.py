"""Which kiosks the ledger takes events from: protocol ``PROTOCOL_VERSION`` and the one
before it, so kiosks can be upgraded after the ledger, one at a time.

A kiosk names its protocol in the ``X-VK-Protocol`` header of ``POST /v1/events``.
Version 0 is the protocol before that header existed: a push without it is v0, and a v0
event may leave out ``clock_offset_ms`` (those kiosks did not measure their clock). An
accepted older push is brought up to the current shape here, before anything is stored,
so its events get the same digest as when the upgraded kiosk sends them again (a resend
is then a ``duplicate``, never a ``conflict``). Anything else is refused as a whole,
with nothing stored: 426 ``protocol_unsupported`` for a kiosk too old (upgrade the
kiosk), 400 ``protocol_unsupported`` for a newer or unreadable version (upgrade the
ledger). The kiosk keeps every event and shows the error as its sync error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from fastapi.responses import Response

from sync.protocol import PROTOCOL_HEADER as HEADER
from sync.protocol import PROTOCOL_VERSION

OLDEST = PROTOCOL_VERSION - 1


def _v0_to_v1(body: Any) -> None:
    events = body.get("events") if isinstance(body, dict) else None
    for ev in events if isinstance(events, list) else ():
        if isinstance(ev, dict) and "clock_offset_ms" not in ev:
            ev["clock_offset_ms"] = 0


# UPGRADES[v] turns a push of version v into one of version v + 1, in place.
UPGRADES: dict[int, Callable[[Any], None]] = {0: _v0_to_v1}


def version_of(headers: Mapping[str, str]) -> int | None:
    """The protocol a push was sent with; None when the header is not a number."""
    raw = headers.get(HEADER)
    if raw is None:
        return 0
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _error(status: int, message: str) -> Response:
    return Response(
        json.dumps({"error": "protocol_unsupported", "message": message}, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
    )


def refusal(version: int | None) -> Response | None:
    """None for a version this ledger accepts, else the error answer."""
    supported = f"this ledger accepts protocol {OLDEST} and {PROTOCOL_VERSION}"
    if version is None:
        return _error(400, f"{HEADER} must be a whole number; {supported}")
    if version < OLDEST:
        return _error(
            426,
            f"kiosk protocol {version} is too old: {supported}. Upgrade the kiosk's "
            "software; its events are kept on the kiosk until then",
        )
    if version > PROTOCOL_VERSION:
        return _error(
            400,
            f"kiosk protocol {version} is newer than this ledger: {supported}. Upgrade the ledger",
        )
    return None


def accept_push(headers: Mapping[str, str], body: Any) -> Response | None:
    """Check a push's protocol and bring an older one up to date in place (the body as
    parsed, before its shape is checked: another version may have another shape).
    Returns the answer to send instead when the version is not accepted, else None."""
    version = version_of(headers)
    refused = refusal(version)
    if refused is None and version is not None:
        for v in range(version, PROTOCOL_VERSION):
            UPGRADES[v](body)
    return refused
