"""Protection of personal data: resident ID validation, keyed hashes for lookup, field encryption.

A national ID number, a name or a phone number is never stored in clear: the store holds an
HMAC-SHA256 of the normalised value (for lookup and de-duplication) and an AES-256-GCM ciphertext
that only roles allowed by the policy may have decrypted, each decryption audited.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from epicontrol.core.errors import InvalidInput

# GB 11643-1999 check digit: weight of position i is 2^(17-i) mod 11; the remainder of the
# weighted sum mod 11 indexes this string.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
_PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")

_CIPHER_VERSION = b"\x01"


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated 18-character resident ID and what it encodes."""

    number: str
    region_code: str
    birth_date: date
    sex: str  # "M" or "F": odd sequence numbers are assigned to men (GB 11643 §5.3)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def parse_resident_id(raw: str) -> ResidentId:
    """Validate an 18-character resident ID (GB 11643); InvalidInput says what is wrong."""
    number = raw.strip().upper()
    if len(number) != 18:
        raise InvalidInput(f"resident ID must have 18 characters, got {len(number)}")
    if not _ID_PATTERN.match(number):
        raise InvalidInput("resident ID must be 17 digits followed by a digit or X")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput(f"resident ID has an impossible birth date {number[6:14]}") from None
    if birth.year < 1880 or birth > date.today():
        raise InvalidInput(f"resident ID has an out-of-range birth date {number[6:14]}")
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise InvalidInput(
            f"resident ID check digit is wrong (ends in {number[17]}, expected {expected}); "
            "the number was probably mistyped"
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, region_code=number[:6], birth_date=birth, sex=sex)


def normalise_phone(raw: str) -> str:
    """A mainland mobile number without spaces, dashes or +86, or InvalidInput."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _PHONE_PATTERN.match(digits):
        raise InvalidInput("phone must be an 11-digit mainland mobile number starting with 1")
    return digits


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 32-byte key of the deployment for one `purpose` (HKDF-SHA256): never the secret itself,
    and unrelated to the key of any other purpose."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


class PersonalDataVault:
    """Keyed hashing and authenticated encryption of personal fields, keyed by the deployment."""

    def __init__(self, secret: str) -> None:
        # Keyed once; copying a keyed HMAC is ~40% cheaper than keying it for every value,
        # which counts when a register import hashes millions of IDs.
        lookup_key = derive_key(secret, b"epicontrol/lookup-hash/v1")
        self._keyed_hmac = hmac.new(lookup_key, None, "sha256")
        self._aead = AESGCM(derive_key(secret, b"epicontrol/field-encryption/v1"))

    def lookup_hash(self, kind: str, value: str) -> str:
        """Hex HMAC of a normalised value; `kind` keeps an ID and a phone from sharing hashes."""
        digest = self._keyed_hmac.copy()
        digest.update(kind.encode() + b"\x00" + value.encode())
        return digest.hexdigest()

    def encrypt(self, plaintext: str) -> bytes:
        """AES-256-GCM ciphertext: version byte, 12-byte random nonce, sealed text."""
        nonce = os.urandom(12)
        return _CIPHER_VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), None)

    def decrypt(self, blob: bytes) -> str:
        """Clear text of a ciphertext made by `encrypt` with the same deployment secret."""
        if not blob or blob[:1] != _CIPHER_VERSION:
            raise ValueError("unknown ciphertext version")
        return self._aead.decrypt(blob[1:13], blob[13:], None).decode()


@lru_cache(maxsize=4)
def vault_for(secret: str) -> PersonalDataVault:
    """The vault of a deployment secret (key derivation runs once)."""
    return PersonalDataVault(secret)


def mask_name(name: str) -> str:
    """A name as shown without decryption rights: the family name and a star per character."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    """138****5678, the usual public masking of a mobile number."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "***"


def mask_id_number(number: str) -> str:
    """First 6 and last 4 characters of a resident ID, the rest starred."""
    return number[:6] + "*" * 8 + number[-4:] if len(number) == 18 else "***"


def fingerprint(data: bytes) -> str:
    """SHA-256 hex of a file's bytes; recorded with each import to refuse a duplicate import."""
    return hashlib.sha256(data).hexdigest()
