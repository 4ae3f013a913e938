"""Signed personal QR passes: the payload, its Ed25519 signature, and offline verification.

The payload is `EC1.<pass_id>.<issued_epoch>.<signature>`: a pseudonymous pass id (no name, no
ID number), the issue time, and an Ed25519 signature over the first three parts. A checkpoint
holding the deployment's public key verifies a pass without asking the database; revocations
reach checkpoints as a list (GET /api/passes/revoked).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from epicontrol.core.errors import InvalidInput

PREFIX = "EC1"
PASS_ID_LENGTH = 16
_B32_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


class InvalidPass(InvalidInput):
    """A pass that is malformed, forged, tampered with or revoked."""


@dataclass(frozen=True, slots=True)
class VerifiedPass:
    """What a genuine pass says."""

    pass_id: str
    issued_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=4)
def signing_key(secret: str) -> Ed25519PrivateKey:
    """The deployment's pass-signing key, derived from its secret (so every worker agrees)."""
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"epicontrol/pass-signing/v1"
    ).derive(secret.encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_pem(secret: str) -> str:
    """The public key checkpoints verify passes with, as PEM."""
    return (
        signing_key(secret)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def new_pass_id() -> str:
    """A random pseudonymous pass id (80 bits, base32: easy to type at a checkpoint)."""
    return base64.b32encode(secrets.token_bytes(10)).decode()


def encode(key: Ed25519PrivateKey, pass_id: str, issued_at: datetime) -> str:
    """The signed payload a pass QR carries."""
    body = f"{PREFIX}.{pass_id}.{int(issued_at.timestamp())}"
    return f"{body}.{_b64(key.sign(body.encode()))}"


def verify(public_key: Ed25519PublicKey, payload: str) -> VerifiedPass:
    """The pass a payload names if its signature is genuine; InvalidPass says what is wrong."""
    parts = payload.strip().split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        raise InvalidPass("not an epicontrol pass: the code has the wrong format")
    _, pass_id, epoch, signature = parts
    if len(pass_id) != PASS_ID_LENGTH or not set(pass_id) <= _B32_ALPHABET or not epoch.isdigit():
        raise InvalidPass("not an epicontrol pass: the code has the wrong format")
    try:
        public_key.verify(_unb64(signature), f"{PREFIX}.{pass_id}.{epoch}".encode())
    except (InvalidSignature, binascii.Error, ValueError):
        raise InvalidPass(
            "the pass signature is not valid: the code was forged or altered"
        ) from None
    return VerifiedPass(pass_id=pass_id, issued_at=datetime.fromtimestamp(int(epoch), UTC))


def pass_id_from_code(public_key: Ed25519PublicKey, code: str) -> str:
    """The pass id of a scanned payload, or of a pass id typed by hand at a checkpoint."""
    typed = code.strip().upper().replace(" ", "")
    if len(typed) == PASS_ID_LENGTH and set(typed) <= _B32_ALPHABET:
        return typed
    return verify(public_key, code).pass_id
