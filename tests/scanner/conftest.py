from __future__ import annotations

import pytest

from kiosk.core.codes import generate_keypair, sign


@pytest.fixture(scope="session")
def keypair():
    return generate_keypair()


@pytest.fixture(scope="session")
def card_text(keypair) -> str:
    return sign(keypair.private_key, "V", "V000123", 2)
