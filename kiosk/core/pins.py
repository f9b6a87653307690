"""Staff PINs: how they are hashed, and the lockout rule.

A kiosk's database can be stolen with the kiosk, so what it holds must not give the
PINs away. A 6-digit PIN has only a million values: no hash of the PIN alone survives
an offline search. So the hash is keyed with a pepper the kiosk never stores: the
signature of the staff member's own card. The kiosk sees it only while the card is
held up to log in, and it cannot compute it (it holds the community's public key, not
the private one), so a copy of ``kiosk.db`` is useless without the card. The hash is
Argon2id, slow and memory-hard, so even a thief who has the card and the file pays
about a second and 128 MiB for every guess, on top of the lockout below.

The ledger, which holds the private key, makes the hash when a PIN is set; a new card
(a new version, a new signature) needs the PIN set again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

SCHEME = "vk-argon2id"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. One guess takes about 0.5-1 s on the project's 2-core test machine
    (``make bench`` measures it): slow for a thief, still quick for a person."""

    memory_kib: int = 131_072  # 128 MiB: too much for one GPU core per guess
    time_cost: int = 5
    parallelism: int = 1


PIN_KDF = KdfParams()
# What a kiosk accepts at the least: a hash made cheaper than this is refused, so a
# mistake (or a test setting) at the ledger cannot quietly make PINs guessable again.
MIN_KDF = KdfParams(memory_kib=65_536, time_cost=3, parallelism=1)

MIN_PIN, MAX_PIN = 4, 8


class PinFormatError(ValueError):
    """A PIN that may not be set: the message says why, in Chinese then English."""


def check_pin_format(pin: str) -> str:
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit()):
        raise PinFormatError("PIN 只能是数字 / a PIN is digits only")
    if not MIN_PIN <= len(pin) <= MAX_PIN:
        raise PinFormatError(
            f"PIN 要 {MIN_PIN} 到 {MAX_PIN} 位数字 / a PIN has {MIN_PIN} to {MAX_PIN} digits"
        )
    if len(set(pin)) == 1 or pin in "01234567890" or pin in "98765432109":
        raise PinFormatError(
            "PIN 太容易猜（同一数字或顺序数字）/ too easy to guess (one digit repeated, or a run)"
        )
    return pin


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(pin: str, card_signature: str, salt: bytes, p: KdfParams) -> bytes:
    # The pepper keys an HMAC of the PIN, and Argon2id stretches the result: the
    # usual way to pepper with a library that takes no secret of its own.
    from argon2.low_level import Type, hash_secret_raw  # only where a PIN is checked or set

    pepper = _b64d(card_signature)
    peppered = hmac.new(pepper, b"vk-staff-pin\0" + pin.encode("utf-8"), hashlib.sha256).digest()
    return hash_secret_raw(
        peppered,
        salt,
        time_cost=p.time_cost,
        memory_cost=p.memory_kib,
        parallelism=p.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def hash_pin(
    pin: str,
    card_signature: str,
    card_version: int,
    *,
    salt: bytes | None = None,
    params: KdfParams = PIN_KDF,
) -> str:
    """The stored form: ``vk-argon2id$<card version>$m=..,t=..,p=..$<salt>$<hash>``.

    ``card_signature`` is the last part of the staff card's code (base64url); the card
    version is kept so a kiosk can tell "this card has no PIN yet" from "wrong PIN"."""
    salt = salt if salt is not None else os.urandom(16)
    digest = _derive(pin, card_signature, salt, params)
    cost = f"m={params.memory_kib},t={params.time_cost},p={params.parallelism}"
    return f"{SCHEME}${int(card_version)}${cost}${_b64e(salt)}${_b64e(digest)}"


@dataclass(frozen=True)
class StoredPin:
    card_version: int
    params: KdfParams
    salt: bytes
    digest: bytes


def parse_hash(stored: str) -> StoredPin | None:
    """The parts of a stored hash, or None for anything else (an old PBKDF2 hash included:
    those could be searched from a stolen kiosk's file, so they no longer open staff mode)."""
    try:
        scheme, version, cost, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return None
        fields = dict(kv.split("=", 1) for kv in cost.split(","))
        params = KdfParams(int(fields["m"]), int(fields["t"]), int(fields["p"]))
        return StoredPin(int(version), params, _b64d(salt), _b64d(digest))
    except (AttributeError, ValueError, KeyError):
        return None


def strong_enough(p: KdfParams, least: KdfParams = MIN_KDF) -> bool:
    return p.memory_kib >= least.memory_kib and p.time_cost >= least.time_cost


def check_pin(pin: str, card_signature: str, stored: StoredPin) -> bool:
    digest = _derive(pin, card_signature, stored.salt, stored.params)
    return hmac.compare_digest(digest, stored.digest)


@dataclass(frozen=True)
class Lockout:
    """Wrong PINs lock staff mode, with back-off, for one staff member and for the kiosk.

    A streak is the wrong PINs since the last right one; those over a day old drop out.
    ``max_failures`` wrong PINs in a streak lock for ``lock_seconds``; each further wrong
    PIN (possible only once the lock has run out) locks for twice as long as the one
    before, up to ``max_lock_seconds``. One staff member's streak counts their own
    attempts; the kiosk's counts everyone's, with a higher threshold, so trying many
    cards in turn is slowed too.
    """

    max_failures: int = 5
    kiosk_max_failures: int = 10
    lock_seconds: int = 300
    max_lock_seconds: int = 8 * 3600
    forget_seconds: int = 24 * 3600

    def locked_until(
        self, failures: list[datetime], now: datetime, threshold: int | None = None
    ) -> datetime | None:
        """``failures``: the times of a streak's wrong PINs, oldest first."""
        threshold = threshold or self.max_failures
        streak = self.streak(failures, now)
        over = len(streak) - threshold
        if over < 0:
            return None
        seconds = min(self.lock_seconds * 2 ** min(over, 32), self.max_lock_seconds)
        # A clock set back after the failures must not stretch the lock beyond its length.
        last = min(streak[-1], now)
        until = last + timedelta(seconds=seconds)
        return until if until > now else None

    def streak(self, failures: list[datetime], now: datetime) -> list[datetime]:
        since = now - timedelta(seconds=self.forget_seconds)
        return [t for t in failures if t > since]

    def attempts_left(self, failures: list[datetime], now: datetime) -> int:
        return max(0, self.max_failures - len(self.streak(failures, now)))
