"""The audit trail: who read or changed which personal record, when, and for what purpose."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import Base
from epicontrol.core.models import AuditEntry, User


def record(
    db: Session,
    *,
    actor: Principal | str | None,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    purpose: str = "",
    outcome: str = "allowed",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry in the caller's transaction.

    `actor` is the signed-in principal, None for an anonymous member of the public, or the name
    of a background job (e.g. "tracing-worker"), recorded with the role "system" so that work
    nobody asked for in person is not mistaken for an anonymous request.
    """
    user_id, name, role = _actor_columns(actor)
    entry = AuditEntry(
        actor_user_id=user_id,
        actor=name,
        actor_role=role,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        purpose=purpose[:200],
        outcome=outcome,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
    )
    db.add(entry)
    return entry


def _actor_columns(actor: Principal | str | None) -> tuple[int | None, str, str]:
    if actor is None:
        return None, "anonymous", "public"
    if isinstance(actor, str):
        return None, actor, "system"
    return actor.user_id, actor.username, str(actor.role)


def entries(
    db: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest audit entries, optionally for one record or one actor."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    return list(db.scalars(query))


# How audit entries name a resident's records: entity -> the table and column that tie a row
# of that entity to a resident (None: entity_id is the resident's id itself).
_RESIDENT_ENTITIES = ("resident", "risk_status", "pass", "observation")
_OWNED_ENTITIES = {
    "contact": ("contacts", "contact_resident_id"),
    "case": ("cases", "resident_id"),
    "self_check": ("self_checks", "resident_id"),
}
ACCESS_LOG_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Access:
    """One access to a resident's record as the resident sees it: the staff member's role and
    organisation, not their username (a name invites confronting a grid worker in person;
    the role, the office and the purpose are what the law asks to be accountable for)."""

    at: datetime
    role: str
    organisation: str
    organisation_level: str
    action: str
    entity: str
    purpose: str
    outcome: str
    is_self: bool


def access_log(db: Session, *, principal: Principal, limit: int = ACCESS_LOG_LIMIT) -> list[Access]:
    """Who accessed the caller's own records (as a resident) and why, newest first; the read
    is itself audited (the caller commits)."""
    resident_id = principal.resident_id
    if resident_id is None:
        return []
    divisions = Base.metadata.tables["divisions"]
    rows = db.execute(
        select(AuditEntry, divisions.c.name, divisions.c.level)
        .outerjoin(User, User.id == AuditEntry.actor_user_id)
        .outerjoin(divisions, divisions.c.id == User.division_id)
        .where(_about_resident(resident_id, principal.household_id))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).all()
    record(
        db,
        actor=principal,
        action="read",
        entity="access_log",
        entity_id=resident_id,
        purpose="own access log",
    )
    return [_access(entry, name, level, principal) for entry, name, level in rows]


def _about_resident(resident_id: int, household_id: int | None) -> Any:
    own = str(resident_id)
    conditions = [and_(AuditEntry.entity.in_(_RESIDENT_ENTITIES), AuditEntry.entity_id == own)]
    if household_id is not None:
        conditions.append(
            and_(AuditEntry.entity == "household", AuditEntry.entity_id == str(household_id))
        )
    for entity, (table_name, column) in _OWNED_ENTITIES.items():
        table = Base.metadata.tables[table_name]
        ids = select(cast(table.c.id, String)).where(table.c[column] == resident_id)
        conditions.append(and_(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids)))
    # A list names a division, not a record; an export of contacts names their case.
    about = and_(AuditEntry.action.not_in(("list", "export")), or_(*conditions))
    contacts = Base.metadata.tables["contacts"]
    cases_with_me = select(cast(contacts.c.case_id, String)).where(
        contacts.c.contact_resident_id == resident_id
    )
    exported = and_(
        AuditEntry.entity == "contact",
        AuditEntry.action == "export",
        AuditEntry.entity_id.in_(cases_with_me),
    )
    return or_(about, exported)


def _access(entry: AuditEntry, name: str | None, level: str | None, me: Principal) -> Access:
    return Access(
        at=entry.at,
        role=entry.actor_role,
        organisation=name or "",
        organisation_level=level or "",
        action=entry.action,
        entity=entry.entity,
        purpose=entry.purpose,
        outcome=entry.outcome,
        is_self=entry.actor_user_id is not None and entry.actor_user_id == me.user_id,
    )
