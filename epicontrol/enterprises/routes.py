"""Enterprise resumption of work (复工复产): the JSON API (the pages are in pages.py).

Companies hold ENTERPRISE_APPLY, officers ENTERPRISE_REVIEW; the whitelist is public.

- POST /api/enterprises                               register the caller's company
- GET  /api/enterprises/mine                          the company, its application, employee counts
- POST /api/enterprises/mine/employees                upload the employee list (CSV: name,
                                                      id_number, phone); bad rows: 422, nothing kept
- POST /api/enterprises/mine/application              apply to resume work (one per company)
- GET  /api/enterprises/applications?status=          the queue of the caller's area
- GET  /api/enterprises/applications/{id}             one application, its check, flagged employees
- POST /api/enterprises/applications/{id}/decision    approve (phase) / refuse / suspend; 409 if
                                                      another officer decided first
- GET  /api/enterprises/phases                        phases of the caller's area
- POST /api/enterprises/phases                        configure a phase
- PUT  /api/enterprises/phases/{id}                   change it (body: new values and `seen`, the
                                                      values read); 409 if changed meanwhile or
                                                      if approvals would fall outside it
- POST /api/enterprises/phases/{id}/close | /reopen   close it today / reopen it (body: `seen`)
- DELETE /api/enterprises/phases/{id}                 only if nothing was approved in it, else 409
- GET  /api/public/resumption                         the published whitelist (anonymous)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Response, UploadFile

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, Purpose, Vault, require
from epicontrol.core.errors import NotFound
from epicontrol.core.policy import Permission
from epicontrol.enterprises import companies, phase_changes, phases, review, whitelist
from epicontrol.enterprises.employees import read_upload
from epicontrol.enterprises.models import ApplicationStatus
from epicontrol.enterprises.pages import router as pages_router
from epicontrol.enterprises.phase_pages import router as phase_pages_router
from epicontrol.enterprises.schemas import (
    ApplicationDetail,
    ApplicationOut,
    CompanyIn,
    CompanyOut,
    DecisionIn,
    PhaseEditIn,
    PhaseIn,
    PhaseOut,
    PhaseSeen,
    WhitelistEntry,
)

router = APIRouter(tags=["enterprises"])
Company = Annotated[Principal, Depends(require(Permission.ENTERPRISE_APPLY))]
Reviewer = Annotated[Principal, Depends(require(Permission.ENTERPRISE_REVIEW))]


@router.post("/api/enterprises", status_code=201)
def register(db: DbSession, principal: Company, data: CompanyIn) -> CompanyOut:
    """Register the company the caller represents."""
    companies.register(db, principal=principal, data=data)
    found = companies.mine(db, principal=principal)
    assert found is not None
    return found


@router.get("/api/enterprises/mine")
def my_company(db: DbSession, principal: Company) -> CompanyOut:
    """The caller's company with its application and its employees' counts."""
    found = companies.mine(db, principal=principal)
    if found is None:
        raise NotFound("register your company first")
    return found


@router.post("/api/enterprises/mine/employees")
def upload_employees(
    db: DbSession,
    principal: Company,
    vault: Vault,
    file: Annotated[UploadFile, File()],
) -> CompanyOut:
    """Replace the employee list from a CSV upload (field `file`)."""
    companies.upload_employees(db, principal=principal, data=read_upload(file), vault=vault)
    found = companies.mine(db, principal=principal)
    assert found is not None
    return found


@router.post("/api/enterprises/mine/application", status_code=201)
def apply(db: DbSession, principal: Company) -> ApplicationOut:
    """Apply to resume work."""
    return companies.describe(db, companies.submit(db, principal=principal))


@router.get("/api/enterprises/applications")
def list_applications(
    db: DbSession, principal: Reviewer, status: ApplicationStatus | None = None
) -> list[ApplicationOut]:
    """Applications of the caller's area, waiting ones first."""
    return review.queue(db, principal=principal, status=status)


@router.get("/api/enterprises/applications/{application_id}")
def read_application(
    db: DbSession, principal: Reviewer, purpose: Purpose, application_id: int
) -> ApplicationDetail:
    """An application with its employee check; the flagged employees' masked names (audited)."""
    return review.detail(db, principal=principal, application_id=application_id, purpose=purpose)


@router.post("/api/enterprises/applications/{application_id}/decision")
def decide(
    db: DbSession, principal: Reviewer, application_id: int, data: DecisionIn
) -> ApplicationOut:
    """Approve in a phase, refuse or suspend with a reason."""
    return review.decide(db, principal=principal, application_id=application_id, data=data)


@router.get("/api/enterprises/phases")
def list_phases(db: DbSession, principal: Reviewer) -> list[PhaseOut]:
    """Phases that apply to the caller's division and those inside their area."""
    return phases.phases_in_scope(db, principal=principal)


def _phase_out(db: DbSession, principal: Principal, phase_id: int) -> PhaseOut:
    return next(p for p in phases.phases_in_scope(db, principal=principal) if p.id == phase_id)


@router.post("/api/enterprises/phases", status_code=201)
def create_phase(db: DbSession, principal: Reviewer, data: PhaseIn) -> PhaseOut:
    """Configure a phase of resumption."""
    phase = phases.create_phase(db, principal=principal, data=data)
    return _phase_out(db, principal, phase.id)


@router.put("/api/enterprises/phases/{phase_id}")
def edit_phase(db: DbSession, principal: Reviewer, phase_id: int, data: PhaseEditIn) -> PhaseOut:
    """Change a phase's division, number, dates or categories, if it is still as `seen`."""
    values = PhaseIn.model_validate(data.model_dump(exclude={"seen"}))
    phase_changes.edit_phase(
        db, principal=principal, phase_id=phase_id, seen=data.seen, values=values
    )
    return _phase_out(db, principal, phase_id)


@router.post("/api/enterprises/phases/{phase_id}/close")
def close_phase(db: DbSession, principal: Reviewer, phase_id: int, data: PhaseSeen) -> PhaseOut:
    """Close an open phase today: no approvals in it from now on."""
    phase_changes.close_phase(db, principal=principal, phase_id=phase_id, seen=data.seen)
    return _phase_out(db, principal, phase_id)


@router.post("/api/enterprises/phases/{phase_id}/reopen")
def reopen_phase(db: DbSession, principal: Reviewer, phase_id: int, data: PhaseSeen) -> PhaseOut:
    """Reopen a closed phase."""
    phase_changes.reopen_phase(db, principal=principal, phase_id=phase_id, seen=data.seen)
    return _phase_out(db, principal, phase_id)


@router.delete("/api/enterprises/phases/{phase_id}", status_code=204)
def delete_phase(db: DbSession, principal: Reviewer, phase_id: int) -> Response:
    """Delete a phase in which nothing was approved."""
    phase_changes.delete_phase(db, principal=principal, phase_id=phase_id)
    return Response(status_code=204)


@router.get("/api/public/resumption")
def public_whitelist(db: DbSession) -> list[WhitelistEntry]:
    """Companies approved to resume work, by phase."""
    return whitelist.entries(db)


router.include_router(pages_router)
router.include_router(phase_pages_router)
