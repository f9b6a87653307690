"""Give the kiosk's threads names the operating system shows (``top -H``, /proc), so
staff and the idle benchmark can tell the decoder from the camera and from the GPU."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

_PR_SET_NAME = 15
_libc = None


def name_os_thread(name: str) -> None:
    """Name the calling thread (Linux: at most 15 bytes); a no-op where unsupported."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        _libc.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        log.debug("cannot name thread %s", name)
