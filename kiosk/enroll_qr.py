"""`kiosk enroll --scan`: the kiosk's own camera reads the enrollment QR code the staff
console shows (终端 → 登记新终端), so setting up a kiosk needs no typing of addresses or
codes. Only an enrollment code is taken: a volunteer card, a payment code or a URL held
up meanwhile is passed over."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kiosk.scanner.pipeline import DecodePipeline
from kiosk.scanner.sources import FrameSource, SourceUnavailable
from sync.agent import parse_enrollment_qr

log = logging.getLogger("kiosk.enroll")


def read_enrollment_qr(
    source: FrameSource,
    timeout_s: float = 120.0,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[str, str] | None:
    """(ledger URL, enrollment code) from the first frame that shows an enrollment QR
    code, or None when none was seen within ``timeout_s``. Raises SourceUnavailable when
    the camera cannot be opened."""
    pipeline = DecodePipeline()
    source.open()
    try:
        deadline = clock() + timeout_s
        while clock() < deadline:
            frame = source.read()
            if frame is None:
                continue  # a camera between frames; a finished video
            for code in pipeline.decode(frame).codes:
                found = parse_enrollment_qr(code.text)
                if found is not None:
                    return found
                log.info("not an enrollment code, still looking (%s)", code.decoder)
        return None
    finally:
        source.close()


__all__ = ["SourceUnavailable", "read_enrollment_qr"]
