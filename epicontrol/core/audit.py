"""The audit trail: who read or changed which personal record, when, and for what purpose."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.models import AuditEntry


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
