from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.codes import (
    CodeKind,
    CodeRefused,
    Refusal,
    RosterEntry,
    check_card,
    generate_keypair,
    mask_name,
    parse,
    sign,
    verify,
)

KEYS = generate_keypair()
OTHER = generate_keypair()
ids = st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True)


@given(kind=st.sampled_from(["V", "S"]), subject=ids, version=st.integers(0, 999_999))
def test_verify_of_sign_holds(kind, subject, version):
    code = verify(sign(KEYS.private_key, kind, subject, version), KEYS.public_key)
    assert (code.kind.value, code.subject_id, code.version) == (kind, subject, version)


@settings(max_examples=300)
@given(subject=ids, version=st.integers(0, 999_999), data=st.data())
def test_any_change_of_one_character_fails(subject, version, data):
    text = sign(KEYS.private_key, "V", subject, version)
    i = data.draw(st.integers(0, len(text) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    ch = data.draw(st.sampled_from(alphabet).filter(lambda c: c != text[i]))
    changed = text[:i] + ch + text[i + 1 :]
    with pytest.raises(CodeRefused) as exc:
        verify(changed, KEYS.public_key)
    assert exc.value.reason in (Refusal.NOT_OURS, Refusal.MALFORMED, Refusal.BAD_SIGNATURE)


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/pay?x=1",
        "wxp://f2f0abc",
        "280123456789012345",  # a payment code is only digits
        "",
        "hello VK1.V.V1.1.x",
        "vk1.V.V000101.1.abc",
    ],
)
def test_not_ours(text):
    with pytest.raises(CodeRefused) as exc:
        parse(text)
    assert exc.value.reason is Refusal.NOT_OURS


def test_a_kiosk_enrollment_code_is_named_as_such():
    """The console's enrollment QR held up at the home screen: not a card, and said so."""
    from sync.protocol import enrollment_qr_text

    with pytest.raises(CodeRefused) as exc:
        parse(enrollment_qr_text("https://ledger.example", "ABCD-EFGH-JKMN"))
    assert exc.value.reason is Refusal.ENROLLMENT_CODE
    with pytest.raises(CodeRefused) as exc:
        parse("VKENROLL1 is a word here")
    assert exc.value.reason is Refusal.NOT_OURS


@pytest.mark.parametrize(
    "text",
    [
        "VK1.V.V000101.1",
        "VK1.X.V000101.1." + "A" * 86,
        "VK1.V.V0001 01.1." + "A" * 86,
        "VK1.V.V000101.one." + "A" * 86,
        "VK1.V.V000101.1.tooshort",
        "VK1.V.V000101.1." + "A" * 86 + ".extra",
    ],
)
def test_malformed(text):
    with pytest.raises(CodeRefused) as exc:
        parse(text)
    assert exc.value.reason is Refusal.MALFORMED


def test_signature_from_another_community_is_refused():
    text = sign(OTHER.private_key, "V", "V000101", 1)
    with pytest.raises(CodeRefused) as exc:
        verify(text, KEYS.public_key)
    assert exc.value.reason is Refusal.BAD_SIGNATURE
    assert exc.value.subject_id == "V000101"


def entry(version=2, status="active", kind=CodeKind.VOLUNTEER):
    return RosterEntry("V000101", kind, "张晓明", version, status)


def test_replaced_card():
    old = sign(KEYS.private_key, "V", "V000101", 1)
    with pytest.raises(CodeRefused) as exc:
        check_card(old, KEYS.public_key, entry(version=2))
    assert exc.value.reason is Refusal.REPLACED
    new = sign(KEYS.private_key, "V", "V000101", 2)
    assert check_card(new, KEYS.public_key, entry(version=2)).version == 2


def test_unknown_and_suspended():
    text = sign(KEYS.private_key, "V", "V000101", 2)
    with pytest.raises(CodeRefused) as exc:
        check_card(text, KEYS.public_key, None)
    assert exc.value.reason is Refusal.UNKNOWN
    with pytest.raises(CodeRefused) as exc:
        check_card(text, KEYS.public_key, entry(kind=CodeKind.STAFF))
    assert exc.value.reason is Refusal.UNKNOWN
    with pytest.raises(CodeRefused) as exc:
        check_card(text, KEYS.public_key, entry(status="suspended"))
    assert exc.value.reason is Refusal.SUSPENDED


def test_the_refusals_are_distinct():
    assert len({r.value for r in Refusal}) == len(Refusal) == 7


@pytest.mark.parametrize(
    "name,masked",
    [
        ("张晓明", "张*明"),
        ("王喆", "王*"),
        ("欧阳娜娜", "欧**娜"),
        ("Anna Müller", "A*** M*****"),
        ("", ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked
