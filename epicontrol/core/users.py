"""User accounts: creation and password authentication."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import hash_password, verify_password
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.core.models import User
from epicontrol.core.policy import Role

# Verified against when the username is unknown, so that timing does not reveal which names exist.
_DUMMY_HASH = hash_password("epicontrol-no-such-user")


def authenticate(db: Session, *, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not user.is_active or not verify_password(user.password_hash, password):
        return None
    return user


def create(
    db: Session,
    *,
    username: str,
    password: str,
    role: Role,
    division_id: int,
    display_name: str = "",
    resident_id: int | None = None,
    place_id: int | None = None,
) -> User:
    """A new user; a resident login must be linked to a resident."""
    if len(password) < 8:
        raise InvalidInput("password must have at least 8 characters")
    if role == Role.RESIDENT and resident_id is None:
        raise InvalidInput("a resident login must be linked to a resident")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username '{username}' is taken")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=str(role),
        division_id=division_id,
        resident_id=resident_id,
        place_id=place_id,
    )
    db.add(user)
    db.flush()
    return user
