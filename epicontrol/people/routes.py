"""API routes over residents; each read of personal data is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from epicontrol.core.auth import Principal
from epicontrol.core.deps import CurrentPrincipal, DbSession, Purpose, Vault, require
from epicontrol.core.policy import Permission
from epicontrol.people import service
from epicontrol.people.schemas import ResidentIdentityOut, ResidentIn, ResidentOut

router = APIRouter(prefix="/api/residents", tags=["residents"])
Reader = Annotated[Principal, Depends(require(Permission.RESIDENT_READ))]
IdentityReader = Annotated[Principal, Depends(require(Permission.RESIDENT_READ_IDENTITY))]
Writer = Annotated[Principal, Depends(require(Permission.RESIDENT_WRITE))]
StaffReader = Annotated[Principal, Depends(require(Permission.RESIDENT_LIST))]


@router.get("")
def list_residents(
    db: DbSession,
    principal: StaffReader,
    purpose: Purpose,
    division_id: int,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
) -> list[ResidentOut]:
    """Residents registered in a division of the caller's scope (masked fields only)."""
    rows = service.list_in_division(
        db,
        principal=principal,
        division_id=division_id,
        purpose=purpose,
        offset=offset,
        limit=limit,
    )
    return [ResidentOut.model_validate(r) for r in rows]


@router.get("/household")
def my_household(db: DbSession, principal: CurrentPrincipal, purpose: Purpose) -> list[ResidentOut]:
    """The calling resident's household members."""
    rows = service.household_members(db, principal=principal, purpose=purpose)
    return [ResidentOut.model_validate(r) for r in rows]


@router.get("/{resident_id}")
def get_resident(
    resident_id: int, db: DbSession, principal: Reader, purpose: Purpose
) -> ResidentOut:
    """One resident the caller may see."""
    resident = service.get_visible(
        db, principal=principal, resident_id=resident_id, purpose=purpose
    )
    return ResidentOut.model_validate(resident)


@router.get("/{resident_id}/identity")
def get_identity(
    resident_id: int, db: DbSession, principal: IdentityReader, purpose: Purpose, vault: Vault
) -> ResidentIdentityOut:
    """Decrypted identity of a resident; staff must send an X-Purpose header."""
    return service.reveal_identity(
        db, principal=principal, resident_id=resident_id, purpose=purpose, vault=vault
    )


@router.post("", status_code=201)
def register_resident(
    data: ResidentIn, db: DbSession, principal: Writer, vault: Vault
) -> ResidentOut:
    """Register one resident in a grid of the caller's scope."""
    resident = service.register(db, principal=principal, data=data, vault=vault)
    return ResidentOut.model_validate(resident)
