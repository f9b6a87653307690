"""Secrets: kiosk and staff tokens, enrollment codes.

Tokens are 256-bit random strings; only their SHA-256 is stored. A slow hash adds
nothing for secrets this long, and a fast one keeps every request cheap.
Enrollment codes are short enough to type (60 bits, Crockford base32) because they
are one-time and expire.
"""

from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_enrollment_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(code: str) -> str:
    """What a person typed, in the form that was hashed: case, spaces and dashes do not matter."""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    text = text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return f"{text[:4]}-{text[4:8]}-{text[8:]}" if len(text) == 12 else text


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
