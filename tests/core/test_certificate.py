from __future__ import annotations

from datetime import date

import pytest

from kiosk.core import certificate as cert
from kiosk.core import codes

KEYS = codes.generate_keypair()
FIG = cert.CertificateFigures(
    number="VC-2026-000017",
    volunteer_id="V000102",
    name="张喆明",
    period_from=date(2026, 1, 1),
    period_to=date(2026, 11, 30),
    minutes=12 * 60 + 30,
    sessions=9,
    issued=date(2026, 11, 30),
)


def test_a_signed_certificate_verifies_with_its_figures():
    text = cert.sign(KEYS.private_key, FIG)
    assert text.startswith("VKC1.VC-2026-000017.V000102.")
    assert cert.verify(text, KEYS.public_key) == FIG
    assert cert.verify(f"  {text}\n", KEYS.public_key) == FIG  # as a scanner may send it
    assert FIG.hours_text == "12.5"


def test_a_changed_figure_is_a_forgery():
    text = cert.sign(KEYS.private_key, FIG)
    parts = text.split(".")
    parts[6] = str(int(parts[6]) * 10)  # more minutes
    with pytest.raises(cert.CertificateRefused) as exc:
        cert.verify(".".join(parts), KEYS.public_key)
    assert exc.value.reason == cert.CertificateRefusal.FORGED
    assert exc.value.number == "VC-2026-000017"


def test_another_communitys_key_is_a_forgery():
    other = codes.generate_keypair()
    with pytest.raises(cert.CertificateRefused) as exc:
        cert.verify(cert.sign(other.private_key, FIG), KEYS.public_key)
    assert exc.value.reason == cert.CertificateRefusal.FORGED


def test_a_card_and_a_certificate_are_never_confused():
    card = codes.sign(KEYS.private_key, "V", "V000102", 1)
    with pytest.raises(cert.CertificateRefused) as exc:
        cert.verify(card, KEYS.public_key)
    assert exc.value.reason == cert.CertificateRefusal.NOT_CERTIFICATE
    # the card's signature grafted onto a certificate's figures does not verify either
    forged = cert.body(FIG) + "." + card.rsplit(".", 1)[1]
    with pytest.raises(cert.CertificateRefused):
        cert.verify(forged, KEYS.public_key)
    with pytest.raises(codes.CodeRefused) as card_exc:
        codes.verify(cert.sign(KEYS.private_key, FIG), KEYS.public_key)
    assert card_exc.value.reason == codes.Refusal.NOT_OURS


@pytest.mark.parametrize(
    "text",
    [
        "VKC1.",
        "VKC1.VC-1.V1.AA.20260101.20261130.10.1.20261130",
        "VKC1.VC-2026-1.V1.!!.20260101.20261130.10.1.20261130." + "A" * 86,
        "VKC1.VC-2026-1.V1.AA.20261301.20261130.10.1.20261130." + "A" * 86,  # month 13
        "VKC1.VC-2026-1.V1.AA.20260101.20261130.-1.1.20261130." + "A" * 86,
        "VKC1.VC-2026-1.V1.wA.20260101.20261130.1.1.20261130." + "A" * 86,  # not UTF-8
    ],
)
def test_damaged_certificates_are_malformed_not_a_crash(text):
    with pytest.raises(cert.CertificateRefused) as exc:
        cert.verify(text, KEYS.public_key)
    assert exc.value.reason == cert.CertificateRefusal.MALFORMED


def test_certificate_numbers_as_typed():
    assert cert.normalize_number(" vc－2026—000017 ") == "VC-2026-000017"
