"""Resident ID validation (GB 11643) and the personal-data vault."""

from __future__ import annotations

import pytest

from epicontrol.core.crypto import (
    id_check_char,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_phone,
    parse_resident_id,
    vault_for,
)
from epicontrol.core.errors import InvalidInput

# The worked example of GB 11643-1999 Annex: 11010519491231002 has check character X.
STANDARD_EXAMPLE = "11010519491231002X"


def test_check_char_matches_the_standard_example() -> None:
    assert id_check_char(STANDARD_EXAMPLE[:17]) == "X"


def test_valid_id_yields_birth_date_and_sex() -> None:
    parsed = parse_resident_id(" 11010519491231002x ")
    assert parsed.number == STANDARD_EXAMPLE
    assert parsed.birth_date.isoformat() == "1949-12-31"
    assert parsed.sex == "F"  # sequence 002 is even
    assert parsed.region_code == "110105"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("110105194912310021", "check digit is wrong"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100AX", "17 digits"),
        ("110105194902300025", "impossible birth date"),
        ("110105299901010029", "out-of-range birth date"),
    ],
)
def test_invalid_ids_are_refused_with_a_clear_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_resident_id(raw)


def test_phone_is_normalised_or_refused() -> None:
    assert normalise_phone("+86 138-0013-8000") == "13800138000"
    with pytest.raises(InvalidInput, match="11-digit"):
        normalise_phone("12345")


def test_vault_round_trips_and_never_repeats_ciphertext() -> None:
    vault = vault_for("one secret")
    first, second = vault.encrypt("王建国"), vault.encrypt("王建国")
    assert first != second  # a fresh nonce each time: equal names do not look equal
    assert vault.decrypt(first) == vault.decrypt(second) == "王建国"


def test_lookup_hash_is_keyed_and_separated_by_kind() -> None:
    one, other = vault_for("one secret"), vault_for("another secret")
    assert one.lookup_hash("id", STANDARD_EXAMPLE) == one.lookup_hash("id", STANDARD_EXAMPLE)
    assert one.lookup_hash("id", STANDARD_EXAMPLE) != other.lookup_hash("id", STANDARD_EXAMPLE)
    assert one.lookup_hash("id", "13800138000") != one.lookup_hash("phone", "13800138000")


def test_ciphertext_from_another_deployment_does_not_decrypt() -> None:
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        vault_for("another secret").decrypt(vault_for("one secret").encrypt("x"))


def test_masks_hide_all_but_the_usual_parts() -> None:
    assert mask_name("王小明") == "王**"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_id_number(STANDARD_EXAMPLE) == "110105********002X"
