"""API routes over cases. A write that changes whom a case may have exposed queues a tracing
run in the same transaction (tracing.background), so the contacts follow within seconds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from epicontrol.cases import service
from epicontrol.cases.models import CaseStatus
from epicontrol.cases.schemas import CaseIn, CaseOut, IsolationIn, StatusChange
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.policy import Permission
from epicontrol.tracing import background

router = APIRouter(prefix="/api/cases", tags=["cases"])
Reader = Annotated[Principal, Depends(require(Permission.CASE_READ))]
Writer = Annotated[Principal, Depends(require(Permission.CASE_WRITE))]


def _after(db: Session, change: service.CaseChange, principal: Principal) -> CaseOut:
    background.after_case_change(db, change, requested_by=principal.username)
    return CaseOut.model_validate(change.case)


@router.post("", status_code=201)
def report_case(data: CaseIn, db: DbSession, principal: Writer) -> CaseOut:
    """Report a case of a resident in the caller's scope."""
    change = service.create(db, principal=principal, data=data, now=utcnow())
    return _after(db, change, principal)


@router.get("")
def list_cases(
    db: DbSession,
    principal: Reader,
    status: CaseStatus | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
) -> list[CaseOut]:
    """Cases in the caller's division subtree, newest report first."""
    rows = service.list_visible(db, principal=principal, status=status, offset=offset, limit=limit)
    return [CaseOut.model_validate(c) for c in rows]


@router.get("/{case_id}")
def get_case(case_id: int, db: DbSession, principal: Reader) -> CaseOut:
    """One case in the caller's scope."""
    return CaseOut.model_validate(service.get_visible(db, principal=principal, case_id=case_id))


@router.post("/{case_id}/status")
def change_status(case_id: int, change: StatusChange, db: DbSession, principal: Writer) -> CaseOut:
    """Move a case to a new status (models.TRANSITIONS); 422 with the allowed moves if not."""
    result = service.change_status(
        db, principal=principal, case_id=case_id, change=change, now=utcnow()
    )
    return _after(db, result, principal)


@router.post("/{case_id}/isolation")
def record_isolation(case_id: int, data: IsolationIn, db: DbSession, principal: Writer) -> CaseOut:
    """Record when the case was isolated."""
    result = service.set_isolation(
        db, principal=principal, case_id=case_id, isolated_at=data.isolated_at, now=utcnow()
    )
    return _after(db, result, principal)
