"""Staff PIN hashing and the lockout rule (5 wrong PINs lock staff mode for 5 minutes)."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

_ITERATIONS = 60_000


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = _ITERATIONS) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        algo, iterations, salt_hex, digest_hex = stored.split("$")
    except (AttributeError, ValueError):
        return False
    if algo != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac(
        "sha256", pin.encode("utf-8"), bytes.fromhex(salt_hex), int(iterations)
    )
    return hmac.compare_digest(digest.hex(), digest_hex)


@dataclass(frozen=True)
class Lockout:
    max_failures: int = 5
    lock_seconds: int = 300

    def locked_until(self, failures: list[datetime], now: datetime) -> datetime | None:
        """Failures are the times of wrong PINs since the last success; returns when the lock ends."""
        window = [t for t in failures if now - t < timedelta(seconds=self.lock_seconds)]
        if len(window) >= self.max_failures:
            return window[self.max_failures - 1] + timedelta(seconds=self.lock_seconds)
        return None
