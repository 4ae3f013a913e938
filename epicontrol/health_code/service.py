"""Issuing, revoking and resolving personal passes; the colour a checkpoint shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ARRAY, String, any_, literal, select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import in_chunks, utcnow
from epicontrol.core.errors import NotFound
from epicontrol.health_code import passes, status
from epicontrol.health_code import triggers as _triggers  # noqa: F401  (keeps statuses current)
from epicontrol.health_code.models import PersonalPass
from epicontrol.people.models import Resident


@dataclass(frozen=True, slots=True)
class IssuedPass:
    """A pass and its signed payload."""

    pass_id: str
    resident_id: int
    issued_at: datetime
    payload: str


@dataclass(frozen=True, slots=True)
class PassHolder:
    """Who a pass belongs to, and whether it still counts."""

    resident_id: int
    revoked_at: datetime | None
    name_masked: str


def issue(db: Session, *, resident_id: int, secret: str, actor: Principal | None) -> IssuedPass:
    """A new pass for a resident; any pass they held is revoked (reissue)."""
    now = utcnow()
    db.execute(
        update(PersonalPass)
        .where(PersonalPass.resident_id == resident_id, PersonalPass.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason="reissued")
    )
    issued = PersonalPass(pass_id=passes.new_pass_id(), resident_id=resident_id, issued_at=now)
    db.add(issued)
    db.flush()
    audit.record(db, actor=actor, action="issue", entity="pass", entity_id=resident_id)
    return _signed(issued, secret)


def current(db: Session, *, resident_id: int, secret: str) -> IssuedPass | None:
    """The resident's valid pass, if any."""
    held = db.scalar(
        select(PersonalPass).where(
            PersonalPass.resident_id == resident_id, PersonalPass.revoked_at.is_(None)
        )
    )
    return _signed(held, secret) if held else None


def revoke(db: Session, *, pass_id: str, reason: str, actor: Principal) -> PersonalPass:
    """Revoke a pass now; checkpoints refuse it from the next scan."""
    held = db.scalar(select(PersonalPass).where(PersonalPass.pass_id == pass_id))
    if held is None:
        raise NotFound(f"pass {pass_id} does not exist")
    if held.revoked_at is None:
        held.revoked_at = utcnow()
        held.revoke_reason = reason[:200]
        audit.record(
            db,
            actor=actor,
            action="revoke",
            entity="pass",
            entity_id=held.resident_id,
            purpose=reason,
        )
    return held


def revoked_since(db: Session, *, since: datetime | None) -> list[str]:
    """Pass ids revoked after `since` (all of them without it), for checkpoint caches."""
    query = select(PersonalPass.pass_id).where(PersonalPass.revoked_at.is_not(None))
    if since is not None:
        query = query.where(PersonalPass.revoked_at > since)
    return list(db.scalars(query.order_by(PersonalPass.revoked_at)))


def holders(db: Session, pass_ids: Iterable[str]) -> dict[str, PassHolder]:
    """The holder of each known pass id (unknown ids are absent)."""
    wanted = list(dict.fromkeys(pass_ids))
    if not wanted:
        return {}
    if db.get_bind().dialect.name == "postgresql":
        # One `= ANY(array)` however many ids: a batch of 10,000 scans is one statement, and
        # its plan does not degrade the way a prepared 900-parameter IN list's does.
        conditions = [PersonalPass.pass_id == any_(literal(wanted, ARRAY(String)))]
    else:
        conditions = [PersonalPass.pass_id.in_(chunk) for chunk in in_chunks(wanted)]
    found: dict[str, PassHolder] = {}
    db.flush()  # what autoflush would do: the statements below bypass the ORM
    for condition in conditions:
        # On the session's connection: the ORM's result handling cost more than the query.
        rows = db.connection().execute(
            select(
                PersonalPass.pass_id,
                PersonalPass.resident_id,
                PersonalPass.revoked_at,
                Resident.name_masked,
            )
            .join(Resident, Resident.id == PersonalPass.resident_id)
            .where(condition)
        )
        for pass_id, resident_id, revoked_at, name_masked in rows:
            found[pass_id] = PassHolder(resident_id, revoked_at, name_masked)
    return found


def colours(db: Session, resident_ids: Iterable[int]) -> dict[int, str]:
    """The risk colour of each resident from the stored statuses, in one query (scan ingest
    asks this for every group of scans; residents without a status are green)."""
    return status.colours(db, resident_ids)


def _signed(held: PersonalPass, secret: str) -> IssuedPass:
    payload = passes.encode(passes.signing_key(secret), held.pass_id, held.issued_at)
    return IssuedPass(
        pass_id=held.pass_id,
        resident_id=held.resident_id,
        issued_at=held.issued_at,
        payload=payload,
    )
