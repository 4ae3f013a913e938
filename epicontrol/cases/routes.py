"""API routes over cases and investigations. A write that changes whom a case may have exposed
queues a tracing run in the same transaction (tracing.background), so the contacts follow
within seconds. `router` also carries the fever-clinic API and the cases pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy.orm import Session

from epicontrol.cases import investigations, line_list_import, rules, service
from epicontrol.cases.clinic_routes import router as clinic_router
from epicontrol.cases.models import CaseStatus
from epicontrol.cases.pages import router as pages_router
from epicontrol.cases.schemas import (
    CaseDatesIn,
    CaseIn,
    CaseOut,
    InvestigationIn,
    InvestigationOut,
    IsolationIn,
    StatusChange,
)
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, Vault, require
from epicontrol.core.errors import InvalidInput, NotFound
from epicontrol.core.policy import Permission
from epicontrol.tracing import background

router = APIRouter()  # what the app includes: the API below, the clinic API, the pages
api = APIRouter(prefix="/api/cases", tags=["cases"])
Reader = Annotated[Principal, Depends(require(Permission.CASE_READ))]
Writer = Annotated[Principal, Depends(require(Permission.CASE_WRITE))]


def after(db: Session, change: service.CaseChange, principal: Principal) -> None:
    """Queue tracing if the write changed whom the case may have exposed."""
    background.after_case_change(db, change, requested_by=principal.username)


def _after(db: Session, change: service.CaseChange, principal: Principal) -> CaseOut:
    after(db, change, principal)
    return CaseOut.model_validate(change.case)


@api.post("", status_code=201)
def report_case(data: CaseIn, db: DbSession, principal: Writer) -> CaseOut:
    """Report a case of a resident in the caller's scope."""
    change = service.create(db, principal=principal, data=data, now=utcnow())
    return _after(db, change, principal)


class RowErrorOut(BaseModel):
    """One problem of one row of an imported file."""

    row: int
    column: str
    message: str


class LineListReportOut(BaseModel):
    """What a line-list import did; `committed` false means nothing was stored."""

    file_name: str
    rows_total: int
    committed: bool
    case_ids: list[int]
    errors: list[RowErrorOut]


@api.post("/import")
def import_line_list(
    file: UploadFile, response: Response, db: DbSession, principal: Writer, vault: Vault
) -> LineListReportOut:
    """Import a line list (CSV or xlsx: id_number, status, onset/sampling/report dates, ...);
    a file with any bad row stores nothing and is answered 422 with every row error."""
    data = file.file.read(rules.MAX_IMPORT_BYTES + 1)
    if len(data) > rules.MAX_IMPORT_BYTES:
        raise InvalidInput(f"file is larger than the limit of {rules.MAX_IMPORT_BYTES} bytes")
    report = line_list_import.import_line_list(
        db,
        principal=principal,
        data=data,
        file_name=file.filename or "upload.csv",
        vault=vault,
        now=utcnow(),
    )
    if not report.committed:
        response.status_code = 422
    for change in report.changes:
        after(db, change, principal)
    return LineListReportOut(
        file_name=report.file_name,
        rows_total=report.rows_total,
        committed=report.committed,
        case_ids=[c.case.id for c in report.changes],
        errors=[RowErrorOut(row=e.row, column=e.column, message=e.message) for e in report.errors],
    )


@api.get("")
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


@api.get("/{case_id}")
def get_case(case_id: int, db: DbSession, principal: Reader) -> CaseOut:
    """One case in the caller's scope."""
    return CaseOut.model_validate(service.get_visible(db, principal=principal, case_id=case_id))


@api.post("/{case_id}/status")
def change_status(case_id: int, change: StatusChange, db: DbSession, principal: Writer) -> CaseOut:
    """Move a case to a new status (models.TRANSITIONS); 422 with the allowed moves if not."""
    result = service.change_status(
        db, principal=principal, case_id=case_id, change=change, now=utcnow()
    )
    return _after(db, result, principal)


@api.post("/{case_id}/isolation")
def record_isolation(case_id: int, data: IsolationIn, db: DbSession, principal: Writer) -> CaseOut:
    """Record when the case was isolated."""
    result = service.set_isolation(
        db, principal=principal, case_id=case_id, isolated_at=data.isolated_at, now=utcnow()
    )
    return _after(db, result, principal)


@api.post("/{case_id}/dates")
def correct_dates(case_id: int, data: CaseDatesIn, db: DbSession, principal: Writer) -> CaseOut:
    """Correct onset, sampling or report date; impossible dates are refused (422)."""
    result = service.set_dates(db, principal=principal, case_id=case_id, data=data, now=utcnow())
    return _after(db, result, principal)


@api.get("/{case_id}/investigation")
def get_investigation(
    case_id: int, db: DbSession, principal: Reader, purpose: Purpose
) -> InvestigationOut:
    """The case's investigation with its travel history (the read is audited)."""
    found = investigations.get(db, principal=principal, case_id=case_id, purpose=purpose)
    if found is None:
        raise NotFound(f"case {case_id} has no investigation yet")
    return found


@api.put("/{case_id}/investigation")
def save_investigation(
    case_id: int, data: InvestigationIn, db: DbSession, principal: Writer
) -> InvestigationOut:
    """Save the whole investigation form; a traced case whose travel changed is traced again."""
    change = investigations.save(db, principal=principal, case_id=case_id, data=data, now=utcnow())
    after(db, change, principal)
    found = investigations.get(
        db, principal=principal, case_id=case_id, purpose="epidemiological investigation"
    )
    assert found is not None  # just saved
    return found


router.include_router(api)
router.include_router(clinic_router)
router.include_router(pages_router)
