"""API routes over the administrative tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, require
from epicontrol.core.policy import Permission
from epicontrol.divisions import service
from epicontrol.divisions.schemas import DivisionOut

router = APIRouter(prefix="/api/divisions", tags=["divisions"])
Reader = Annotated[Principal, Depends(require(Permission.DIVISION_READ))]


@router.get("/{division_id}")
def get_division(division_id: int, db: DbSession, principal: Reader) -> DivisionOut:
    """One division in the caller's scope."""
    division = service.get_in_scope(db, principal=principal, division_id=division_id)
    return DivisionOut.model_validate(division)


@router.get("/{division_id}/children")
def list_children(division_id: int, db: DbSession, principal: Reader) -> list[DivisionOut]:
    """The subdivisions of a division in the caller's scope."""
    service.get_in_scope(db, principal=principal, division_id=division_id)
    return [DivisionOut.model_validate(d) for d in service.children(db, division_id=division_id)]
