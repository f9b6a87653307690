"""The one result type shared by the camera and the keyboard-wedge scanner."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from kiosk.core.codes import CodeRefused, Refusal, parse

Source = Literal["camera", "wedge"]


class CameraStatus(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    UNAVAILABLE = "unavailable"  # unplugged, busy or never there; reopened with backoff
    STOPPED = "stopped"


@dataclass(frozen=True)
class ScanResult:
    text: str
    is_card: bool  # parses as one of our codes; the signature is checked later, by the store
    source: Source
    decoder: str  # "zxing-cpp", "pyzbar+threshold", ... or "wedge"
    ms: float  # decode time for the frame (camera) or burst duration (wedge)
    timestamp: float  # the scanner's clock (time.monotonic unless injected)
    refusal: Refusal | None = None  # NOT_OURS or MALFORMED when is_card is False


def classify(text: str) -> tuple[bool, Refusal | None]:
    """Is ``text`` one of our codes? Only the format is checked here, not the signature."""
    try:
        parse(text)
    except CodeRefused as exc:
        return False, exc.reason
    return True, None
