"""API keys for agencies' machine clients: shown once, stored as a keyed hash, scoped to grants.

A key is `epx_<prefix>_<secret>` with 32 random bytes of secret. Only HMAC-SHA256 of the whole
key under the deployment secret is stored (the vault's keyed hash, kind "exchange-api-key").
argon2 would cost ~50 ms per request for nothing: a slow hash protects guessable passwords, and
a 256-bit random key cannot be guessed; the HMAC's key (the deployment secret) means that a
copy of the table alone does not let anyone test candidate keys either. The prefix finds the
row by index; the hashes are then compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import utcnow
from epicontrol.core.errors import (
    AccessDenied,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from epicontrol.exchange.grants import why_unusable
from epicontrol.exchange.models import ApiKey, ApiKeyGrant, Grant

KEY_KIND = "exchange-api-key"
MAX_GRACE_HOURS = 72


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: `secret` is shown to the approver once and never stored."""

    key: ApiKey
    secret: str
    grant_ids: list[int]


def _hash(vault: PersonalDataVault, raw: str) -> str:
    return vault.lookup_hash(KEY_KIND, raw)


def _new_secret() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"epx_{prefix}_{secrets.token_urlsafe(32)}"


def _scoped_grants(db: Session, agency: str, grant_ids: list[int], now: datetime) -> list[Grant]:
    if not grant_ids:
        raise InvalidInput("a key needs at least one grant")
    found = {g.id: g for g in db.scalars(select(Grant).where(Grant.id.in_(grant_ids)))}
    for grant_id in grant_ids:
        grant = found.get(grant_id)
        if grant is None:
            raise NotFound(f"grant {grant_id} does not exist")
        if grant.agency != agency:
            raise InvalidInput(f"grant {grant_id} belongs to {grant.agency}, not {agency}")
        reason = why_unusable(grant, now)
        if reason:
            raise Conflict(f"cannot scope a key to it: {reason}")
    return [found[g] for g in dict.fromkeys(grant_ids)]


def create(
    db: Session,
    vault: PersonalDataVault,
    *,
    principal: Principal,
    agency: str,
    grant_ids: list[int],
    label: str = "",
    now: datetime | None = None,
) -> IssuedKey:
    """A new key for `agency`, usable with the listed (granted, unexpired) grants."""
    now = now or utcnow()
    grants = _scoped_grants(db, agency, grant_ids, now)
    prefix, raw = _new_secret()
    key = ApiKey(
        agency=agency,
        label=label.strip()[:80],
        prefix=prefix,
        key_hash=_hash(vault, raw),
        created_by=principal.user_id,
        created_at=now,
    )
    db.add(key)
    db.flush()
    for grant in grants:
        db.add(ApiKeyGrant(api_key_id=key.id, grant_id=grant.id))
    _audit(db, principal, "api_key:create", key, {"grants": [g.id for g in grants]})
    return IssuedKey(key=key, secret=raw, grant_ids=[g.id for g in grants])


def get(db: Session, key_id: int) -> ApiKey:
    """The key with this id, or NotFound."""
    key = db.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist")
    return key


def grant_ids_of(db: Session, key_id: int) -> list[int]:
    """The grants a key is scoped to."""
    query = select(ApiKeyGrant.grant_id).where(ApiKeyGrant.api_key_id == key_id)
    return sorted(db.scalars(query))


def rotate(
    db: Session,
    vault: PersonalDataVault,
    *,
    principal: Principal,
    key_id: int,
    grace_hours: float = 0,
    now: datetime | None = None,
) -> IssuedKey:
    """A new key with the old one's grants; the old one works `grace_hours` more (0: stops now)."""
    now = now or utcnow()
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise InvalidInput(f"grace_hours must be between 0 and {MAX_GRACE_HOURS}")
    old = get(db, key_id)
    if usable_reason(old, now):
        raise Conflict(f"API key {key_id} is no longer valid; create a new one")
    prefix, raw = _new_secret()
    new = ApiKey(
        agency=old.agency,
        label=old.label,
        prefix=prefix,
        key_hash=_hash(vault, raw),
        created_by=principal.user_id,
        created_at=now,
    )
    db.add(new)
    db.flush()
    grant_ids = grant_ids_of(db, old.id)
    for grant_id in grant_ids:
        db.add(ApiKeyGrant(api_key_id=new.id, grant_id=grant_id))
    old.replaced_by = new.id
    if grace_hours:
        old.expires_at = now + timedelta(hours=grace_hours)
    else:
        old.revoked_at = now
    _audit(db, principal, "api_key:rotate", old, {"new_key": new.id, "grace_hours": grace_hours})
    return IssuedKey(key=new, secret=raw, grant_ids=grant_ids)


def revoke(
    db: Session, *, principal: Principal, key_id: int, now: datetime | None = None
) -> ApiKey:
    """Stop a key at once: every request looks the key up again."""
    key = get(db, key_id)
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
    _audit(db, principal, "api_key:revoke", key, {})
    return key


def list_keys(db: Session) -> list[ApiKey]:
    """Every key, newest first (hashes are never shown)."""
    return list(db.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def agency_of_own_grants(db: Session, principal: Principal, grant_ids: list[int]) -> str:
    """The agency of grants the liaison requested, for a key they make themselves.

    A liaison manages the keys of their own requests only (an approver, any key): AccessDenied
    for a grant someone else asked for, InvalidInput for grants of two agencies.
    """
    if not grant_ids:
        raise InvalidInput("choose at least one granted request for the key")
    found = list(db.scalars(select(Grant).where(Grant.id.in_(grant_ids))))
    others = sorted(g.id for g in found if g.requested_by != principal.user_id)
    if others:
        raise AccessDenied(
            "not your requests: " + ", ".join(map(str, others)),
            action="api_key:create",
            entity="exchange_grant",
        )
    agencies = {g.agency for g in found}
    if len(agencies) > 1:
        raise InvalidInput(
            "a key serves one agency; these grants belong to " + ", ".join(sorted(agencies))
        )
    if not agencies:
        raise NotFound("none of these grants exists")
    return agencies.pop()


def managed_by(db: Session, user_id: int) -> list[ApiKey]:
    """Keys a liaison manages, newest first: every grant of the key is one they requested."""
    mine = set(db.scalars(select(Grant.id).where(Grant.requested_by == user_id)))
    if not mine:
        return []
    links = db.execute(
        select(ApiKeyGrant.api_key_id, ApiKeyGrant.grant_id).where(
            ApiKeyGrant.api_key_id.in_(
                select(ApiKeyGrant.api_key_id).where(ApiKeyGrant.grant_id.in_(mine))
            )
        )
    ).all()
    grants_of: dict[int, set[int]] = {}
    for key_id, grant_id in links:
        grants_of.setdefault(key_id, set()).add(grant_id)
    ids = [key_id for key_id, grant_ids in grants_of.items() if grant_ids <= mine]
    return list(db.scalars(select(ApiKey).where(ApiKey.id.in_(ids)).order_by(ApiKey.id.desc())))


def ensure_manages(db: Session, principal: Principal, key_id: int) -> ApiKey:
    """The key if the liaison manages it (see managed_by); AccessDenied otherwise."""
    key = get(db, key_id)
    if key.id not in {k.id for k in managed_by(db, principal.user_id)}:
        raise AccessDenied(
            f"API key {key_id} serves requests of someone else",
            action="api_key:manage",
            entity="exchange_api_key",
            entity_id=str(key_id),
        )
    return key


def usable_reason(key: ApiKey, now: datetime) -> str | None:
    """None if the key works now, else why not."""
    if key.revoked_at is not None and key.revoked_at <= now:
        return "the API key was revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "the API key expired (replaced by a rotated key)"
    return None


def authenticate(
    db: Session, vault: PersonalDataVault, raw: str, now: datetime | None = None
) -> ApiKey:
    """The key `raw` names if it is known and usable; NotAuthenticated otherwise."""
    parts = raw.strip().split("_")
    if len(parts) < 3 or parts[0] != "epx":
        raise NotAuthenticated("malformed API key")
    key = db.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or not hmac.compare_digest(key.key_hash, _hash(vault, raw.strip())):
        raise NotAuthenticated("unknown API key")
    reason = usable_reason(key, now or utcnow())
    if reason:
        raise NotAuthenticated(reason)
    return key


def _audit(
    db: Session, principal: Principal, action: str, key: ApiKey, detail: dict[str, object]
) -> None:
    audit.record(
        db,
        actor=principal,
        action=action,
        entity="exchange_api_key",
        entity_id=key.id,
        detail={"agency": key.agency, "prefix": key.prefix, **detail},
    )
