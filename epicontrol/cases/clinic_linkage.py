"""Fever-clinic registrations and record linkage: the registrations waiting for a resident,
and linking one once cases/linkage decided who the patient is. A result recorded before the link
takes effect at the link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import clinic_cases
from epicontrol.cases.clinics import ENTITY, Outcome
from epicontrol.cases.models import ClinicRegistration
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import Conflict, NotFound
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident


def unlinked_registrations(
    db: Session, *, division_path: str | None = None, after_id: int = 0, limit: int = 1000
) -> list[ClinicRegistration]:
    """Registrations not linked to a resident, oldest first (for record linkage); `after_id`
    pages through them, `division_path` keeps those of clinics in one subtree."""
    query = (
        select(ClinicRegistration)
        .where(ClinicRegistration.resident_id.is_(None), ClinicRegistration.id > after_id)
        .order_by(ClinicRegistration.id)
        .limit(limit)
    )
    if division_path is not None:
        query = query.join(Division, Division.id == ClinicRegistration.division_id).where(
            Division.path.startswith(division_path, autoescape=True)
        )
    return list(db.scalars(query))


def link_registration(
    db: Session,
    *,
    registration_id: int,
    resident_id: int,
    actor: Principal | str,
    now: datetime | None = None,
) -> Outcome:
    """Link a registration to a resident (record linkage decided they are the same person).
    A result already recorded takes effect now: a positive one opens or confirms the case,
    and the caller hands Outcome.change to tracing (tracing.background.after_case_change)."""
    moment = now or utcnow()
    registration = db.get(ClinicRegistration, registration_id)
    if registration is None:
        raise NotFound(f"registration {registration_id} does not exist")
    if db.get(Resident, resident_id) is None:
        raise NotFound(f"resident {resident_id} does not exist")
    if registration.resident_id == resident_id:
        return Outcome(registration)
    if registration.resident_id is not None:
        raise Conflict(
            f"registration {registration_id} is already linked to resident "
            f"{registration.resident_id}"
        )
    registration.resident_id = resident_id
    registration.linked_by = (actor if isinstance(actor, str) else actor.username)[:80]
    registration.linked_at = moment
    audit.record(
        db,
        actor=actor,
        action="link",
        entity=ENTITY,
        entity_id=registration.id,
        purpose="record linkage",
        detail={"resident_id": resident_id},
    )
    db.flush()
    if registration.result is None:
        return Outcome(registration)
    return Outcome(registration, clinic_cases.apply_result(db, actor, registration, moment))
