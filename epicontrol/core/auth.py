"""Passwords, session tokens and the principal (who is calling, with which role and scope)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from epicontrol.core.policy import Role

SESSION_COOKIE = "epicontrol_session"


@lru_cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`; never raises on a wrong password."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: role, the division subtree they act in, and for a resident
    the resident and household they may see."""

    user_id: int
    username: str
    role: Role
    division_id: int
    division_path: str
    resident_id: int | None = None
    household_id: int | None = None
    place_id: int | None = None

    def covers(self, division_path: str) -> bool:
        """Whether a record in the division with `division_path` lies in this caller's subtree."""
        return division_path.startswith(self.division_path)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="epicontrol-session-v1")


def issue_token(secret: str, user_id: int) -> str:
    """A signed token naming the user, used as the session cookie and as the bearer token."""
    return _serializer(secret).dumps({"uid": user_id})


def read_token(secret: str, token: str, max_age_seconds: int) -> int | None:
    """The user id inside a valid, unexpired token, or None."""
    try:
        data = _serializer(secret).loads(token, max_age=max_age_seconds)
    except (BadSignature, SignatureExpired):
        return None
    uid = data.get("uid") if isinstance(data, dict) else None
    return uid if isinstance(uid, int) else None
