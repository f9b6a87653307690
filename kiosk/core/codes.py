"""Volunteer and staff card codes: ``VK1.<kind>.<id>.<version>.<signature>``.

The signature is Ed25519 over everything before the last dot, base64url without
padding. A kiosk holds only the community's public key, so a stolen kiosk cannot
mint cards.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

PREFIX = "VK1"
# The console's kiosk enrollment QR code (``VKENROLL1|<ledger url>|<code>``), read only by
# ``kiosk enroll --scan``; shown at the kiosk's home screen it gets its own answer.
ENROLL_QR_PREFIX = "VKENROLL1"
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_VERSION_RE = re.compile(r"^[0-9]{1,6}$")
_SIG_RE = re.compile(r"^[A-Za-z0-9_-]{86}$")  # 64 bytes, base64url, no padding


class CodeKind(StrEnum):
    VOLUNTEER = "V"
    STAFF = "S"


class Refusal(StrEnum):
    """Why a scanned code is not accepted; each has its own words on screen."""

    NOT_OURS = "not_ours"  # any other text: URL, payment code, WeChat
    MALFORMED = "malformed"  # looks like ours but is damaged or truncated
    BAD_SIGNATURE = "bad_signature"  # forged or altered
    REPLACED = "replaced_card"  # version lower than the roster's
    UNKNOWN = "unknown_volunteer"  # valid signature, not in the roster
    SUSPENDED = "suspended"  # in the roster, but suspended or inactive
    ENROLLMENT_CODE = "enrollment_code"  # the console's kiosk enrollment QR, for staff


class CodeRefused(Exception):
    def __init__(self, reason: Refusal, detail: str = "", subject_id: str | None = None):
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
        self.subject_id = subject_id


@dataclass(frozen=True)
class CardCode:
    kind: CodeKind
    subject_id: str
    version: int
    signature: str
    text: str

    @property
    def signed_part(self) -> str:
        return self.text.rsplit(".", 1)[0]


@dataclass(frozen=True)
class KeyPair:
    private_key: str  # base64url raw 32 bytes: keep secret, back it up
    public_key: str  # base64url raw 32 bytes: given to every kiosk


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_keypair() -> KeyPair:
    key = Ed25519PrivateKey.generate()
    return KeyPair(private_key=_b64e(key.private_bytes_raw()), public_key=public_key_of(key))


def public_key_of(private: Ed25519PrivateKey | str) -> str:
    if isinstance(private, str):
        private = load_private_key(private)
    return _b64e(private.public_key().public_bytes_raw())


def load_private_key(text: str) -> Ed25519PrivateKey:
    raw = _b64d(text.strip())
    if len(raw) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(text: str) -> Ed25519PublicKey:
    raw = _b64d(text.strip())
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(
    private_key: str | Ed25519PrivateKey, kind: CodeKind | str, subject_id: str, version: int
) -> str:
    """Return the full code text for a card."""
    kind = CodeKind(kind)
    if not _ID_RE.match(subject_id):
        raise ValueError(f"invalid card id {subject_id!r}")
    if not (0 <= int(version) <= 999_999):
        raise ValueError("card version out of range")
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    body = f"{PREFIX}.{kind.value}.{subject_id}.{int(version)}"
    return f"{body}.{_b64e(key.sign(body.encode('ascii')))}"


def parse(text: str) -> CardCode:
    """Split a code into its parts, without checking the signature."""
    if not isinstance(text, str):
        raise CodeRefused(Refusal.NOT_OURS, "not text")
    stripped = text.strip()
    if stripped.startswith(ENROLL_QR_PREFIX + "|"):
        raise CodeRefused(Refusal.ENROLLMENT_CODE, "a kiosk enrollment code, for staff")
    if not stripped.startswith(PREFIX + "."):
        raise CodeRefused(Refusal.NOT_OURS, "not a volunteer card")
    parts = stripped.split(".")
    if len(parts) != 5:
        raise CodeRefused(Refusal.MALFORMED, f"expected 5 parts, got {len(parts)}")
    _, kind, subject_id, version, signature = parts
    if kind not in (CodeKind.VOLUNTEER.value, CodeKind.STAFF.value):
        raise CodeRefused(Refusal.MALFORMED, f"unknown card kind {kind!r}")
    if not _ID_RE.match(subject_id):
        raise CodeRefused(Refusal.MALFORMED, "bad id")
    if not _VERSION_RE.match(version):
        raise CodeRefused(Refusal.MALFORMED, "bad version", subject_id)
    if not _SIG_RE.match(signature):
        raise CodeRefused(Refusal.MALFORMED, "bad signature encoding", subject_id)
    return CardCode(CodeKind(kind), subject_id, int(version), signature, stripped)


def verify(text: str, public_key: str | Ed25519PublicKey) -> CardCode:
    """Parse and check the signature; raise CodeRefused if it is not a genuine card."""
    code = parse(text)
    key = load_public_key(public_key) if isinstance(public_key, str) else public_key
    try:
        sig = _b64d(code.signature)
        # base64 leaves spare bits in the last character; only the canonical spelling
        # is a genuine card, so no two texts carry one signature.
        if _b64e(sig) != code.signature:
            raise ValueError("non-canonical signature encoding")
        key.verify(sig, code.signed_part.encode("ascii"))
    except (InvalidSignature, ValueError) as exc:
        raise CodeRefused(
            Refusal.BAD_SIGNATURE, "signature does not match", code.subject_id
        ) from exc
    return code


@dataclass(frozen=True)
class RosterEntry:
    """What the kiosk knows about a card holder (a cache of the ledger's roster)."""

    subject_id: str
    kind: CodeKind
    display_name: str
    card_version: int
    status: str = "active"  # active | suspended | inactive
    team: str = ""


ACTIVE = "active"


def check_card(
    text: str, public_key: str | Ed25519PublicKey, entry: RosterEntry | None
) -> CardCode:
    """Everything the kiosk checks before acting on a scan, in the order a person needs it.

    ``entry`` is the roster entry for the code's id, or None when unknown.
    """
    code = verify(text, public_key)
    if entry is None or entry.kind != code.kind:
        raise CodeRefused(Refusal.UNKNOWN, "not in the roster", code.subject_id)
    if code.version < entry.card_version:
        raise CodeRefused(
            Refusal.REPLACED, f"card version {code.version} < {entry.card_version}", code.subject_id
        )
    if entry.status != ACTIVE:
        raise CodeRefused(Refusal.SUSPENDED, entry.status, code.subject_id)
    return code


def mask_name(name: str) -> str:
    """张三明 -> 张*明, 李四 -> 李*, Anna Smith -> A*** S****: enough to recognise oneself."""
    name = name.strip()
    if not name:
        return ""
    if any(
        "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ord(ch) > 0x20000 for ch in name
    ):
        if len(name) == 1:
            return name
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
