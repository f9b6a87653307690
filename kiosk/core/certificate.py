"""Service certificates (志愿服务证明): the figures a certificate states, signed so that a
kiosk or the ledger's /verify page can tell a genuine one from a forgery, offline.

The QR code on the PDF holds
``VKC1.<number>.<volunteer_id>.<name>.<from>.<to>.<minutes>.<sessions>.<issued>.<signature>``:
dates as YYYYMMDD, the name as base64url of its UTF-8, the signature Ed25519 (the ledger's
community key, the one that signs cards) over everything before the last dot, base64url
without padding. Its own prefix means a card's signature never passes for a certificate's
and the reverse: the signed texts differ from the first byte.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .codes import load_private_key, load_public_key

PREFIX = "VKC1"
_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_B64_RE = re.compile(r"^[A-Za-z0-9_-]{0,200}$")
_DATE_RE = re.compile(r"^[0-9]{8}$")
_INT_RE = re.compile(r"^[0-9]{1,9}$")
_SIG_RE = re.compile(r"^[A-Za-z0-9_-]{86}$")
FIELDS = 10


class CertificateRefusal(StrEnum):
    NOT_CERTIFICATE = "not_certificate"  # any other text
    MALFORMED = "certificate_malformed"  # our prefix, but damaged or truncated
    FORGED = "certificate_forged"  # the signature does not match its figures


class CertificateRefused(Exception):
    def __init__(self, reason: CertificateRefusal, detail: str = "", number: str | None = None):
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
        self.number = number


@dataclass(frozen=True)
class CertificateFigures:
    """What a certificate certifies: who, which period, how much service."""

    number: str
    volunteer_id: str
    name: str
    period_from: date
    period_to: date
    minutes: int  # credited service minutes in the period
    sessions: int  # sessions counted
    issued: date

    @property
    def hours_text(self) -> str:
        """Hours with one decimal, as the certificate prints them (e.g. "12.5")."""
        return f"{self.minutes // 60}.{(self.minutes % 60) * 10 // 60}"


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def normalize_number(text: str) -> str:
    """A certificate number as typed: case, spaces and fullwidth dashes do not matter."""
    return (
        text.strip().upper().replace(" ", "").replace("－", "-").replace("—", "-").replace("–", "-")
    )


def body(fig: CertificateFigures) -> str:
    if not _NUMBER_RE.match(fig.number):
        raise ValueError(f"invalid certificate number {fig.number!r}")
    if not _ID_RE.match(fig.volunteer_id):
        raise ValueError(f"invalid volunteer id {fig.volunteer_id!r}")
    if fig.period_to < fig.period_from:
        raise ValueError("the period ends before it starts")
    if not (0 <= fig.minutes <= 999_999_999 and 0 <= fig.sessions <= 999_999_999):
        raise ValueError("figures out of range")
    name = _b64e(fig.name.strip().encode("utf-8"))
    if len(name) > 200:
        raise ValueError("name too long for a certificate")
    return ".".join(
        (
            PREFIX,
            fig.number,
            fig.volunteer_id,
            name,
            fig.period_from.strftime("%Y%m%d"),
            fig.period_to.strftime("%Y%m%d"),
            str(int(fig.minutes)),
            str(int(fig.sessions)),
            fig.issued.strftime("%Y%m%d"),
        )
    )


def sign(private_key: str | Ed25519PrivateKey, fig: CertificateFigures) -> str:
    """The QR text of a certificate."""
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    text = body(fig)
    return f"{text}.{_b64e(key.sign(text.encode('ascii')))}"


def is_certificate(text: object) -> bool:
    return isinstance(text, str) and text.strip().startswith(PREFIX + ".")


def _date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def parse(text: str) -> tuple[CertificateFigures, str, str]:
    """(figures, signed part, signature), without checking the signature."""
    if not is_certificate(text):
        raise CertificateRefused(CertificateRefusal.NOT_CERTIFICATE, "not a certificate")
    parts = text.strip().split(".")
    if len(parts) != FIELDS:
        raise CertificateRefused(
            CertificateRefusal.MALFORMED, f"expected {FIELDS} parts, got {len(parts)}"
        )
    _, number, vid, name, dfrom, dto, minutes, sessions, issued, sig = parts
    checks = (
        (_NUMBER_RE, number),
        (_ID_RE, vid),
        (_B64_RE, name),
        (_DATE_RE, dfrom),
        (_DATE_RE, dto),
        (_INT_RE, minutes),
        (_INT_RE, sessions),
        (_DATE_RE, issued),
        (_SIG_RE, sig),
    )
    if not all(rx.match(value) for rx, value in checks):
        raise CertificateRefused(CertificateRefusal.MALFORMED, "bad field", number)
    try:
        if _b64e(_b64d(name)) != name:
            raise ValueError("non-canonical name encoding")
        fig = CertificateFigures(
            number=number,
            volunteer_id=vid,
            name=_b64d(name).decode("utf-8"),
            period_from=_date(dfrom),
            period_to=_date(dto),
            minutes=int(minutes),
            sessions=int(sessions),
            issued=_date(issued),
        )
    except ValueError as exc:  # a bad date, bad UTF-8, bad base64
        raise CertificateRefused(CertificateRefusal.MALFORMED, str(exc), number) from exc
    return fig, text.strip().rsplit(".", 1)[0], sig


def verify(text: str, public_key: str | Ed25519PublicKey) -> CertificateFigures:
    """The figures of a genuine certificate; CertificateRefused for anything else."""
    fig, signed, sig = parse(text)
    key = load_public_key(public_key) if isinstance(public_key, str) else public_key
    try:
        raw = _b64d(sig)
        if _b64e(raw) != sig:
            raise ValueError("non-canonical signature encoding")
        key.verify(raw, signed.encode("ascii"))
    except (InvalidSignature, ValueError) as exc:
        raise CertificateRefused(
            CertificateRefusal.FORGED, "signature does not match", fig.number
        ) from exc
    return fig
