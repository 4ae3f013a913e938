"""API routes of fever-clinic registration; a result that moves a patient into the case list
queues tracing like any case write."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from epicontrol.cases import clinics
from epicontrol.cases.clinic_schemas import (
    RegistrationIdentityOut,
    RegistrationIn,
    RegistrationOut,
    ResultIn,
    SampleIn,
)
from epicontrol.cases.models import RegistrationStatus
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, Vault, require
from epicontrol.core.policy import Permission
from epicontrol.tracing import background

router = APIRouter(prefix="/api/fever-clinic", tags=["fever clinics"])
Registrar = Annotated[Principal, Depends(require(Permission.CLINIC_REGISTER))]
Reader = Annotated[Principal, Depends(require(Permission.CLINIC_READ))]


class ClinicOut(BaseModel):
    """A fever clinic the caller may register patients at."""

    id: int
    code: str
    name: str
    address: str


@router.get("/clinics")
def list_clinics(db: DbSession, principal: Reader) -> list[ClinicOut]:
    """Fever clinics in the caller's scope."""
    return [
        ClinicOut(id=p.id, code=p.code, name=p.name, address=p.address)
        for p in clinics.fever_clinics(db, principal=principal)
    ]


@router.post("/registrations", status_code=201)
def register_patient(
    data: RegistrationIn, db: DbSession, principal: Registrar, vault: Vault
) -> RegistrationOut:
    """Register a patient; linked to the resident whose ID number hash matches, if any."""
    registration = clinics.register(db, principal=principal, data=data, vault=vault, now=utcnow())
    return RegistrationOut.model_validate(registration)


@router.get("/registrations")
def list_registrations(
    db: DbSession,
    principal: Reader,
    purpose: Purpose,
    status: RegistrationStatus | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=clinics.MAX_PAGE)] = 100,
) -> list[RegistrationOut]:
    """Registrations at clinics in the caller's scope, newest first (masked; audited)."""
    rows = clinics.list_visible(
        db, principal=principal, purpose=purpose, status=status, offset=offset, limit=limit
    )
    return [RegistrationOut.model_validate(r) for r in rows]


@router.get("/registrations/{registration_id}")
def get_registration(
    registration_id: int, db: DbSession, principal: Reader, purpose: Purpose
) -> RegistrationOut:
    """One registration (masked; audited)."""
    found = clinics.get_visible(
        db, principal=principal, registration_id=registration_id, purpose=purpose
    )
    return RegistrationOut.model_validate(found)


@router.get("/registrations/{registration_id}/identity")
def get_identity(
    registration_id: int, db: DbSession, principal: Reader, purpose: Purpose, vault: Vault
) -> RegistrationIdentityOut:
    """Decrypted identity of a patient; send the purpose in an X-Purpose header (audited)."""
    return clinics.reveal_identity(
        db, principal=principal, registration_id=registration_id, purpose=purpose, vault=vault
    )


@router.post("/registrations/{registration_id}/sample")
def record_sample(
    registration_id: int, data: SampleIn, db: DbSession, principal: Registrar
) -> RegistrationOut:
    """Record that a sample was taken."""
    now = utcnow()
    found = clinics.record_sample(
        db,
        principal=principal,
        registration_id=registration_id,
        sampled_at=data.sampled_at or now,
        now=now,
    )
    return RegistrationOut.model_validate(found)


@router.post("/registrations/{registration_id}/result")
def record_result(
    registration_id: int, data: ResultIn, db: DbSession, principal: Registrar
) -> RegistrationOut:
    """Record the result: positive moves the patient into the case list, negative closes."""
    outcome = clinics.record_result(
        db, principal=principal, registration_id=registration_id, data=data, now=utcnow()
    )
    if outcome.change is not None:
        background.after_case_change(db, outcome.change, requested_by=principal.username)
    return RegistrationOut.model_validate(outcome.registration)
