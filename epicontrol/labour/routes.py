"""Labour matching (用工对接): the JSON API (the pages are in pages.py, included below).

- POST /api/labour/needs                            post a need (LABOUR_POST)
- GET  /api/labour/needs/mine                       an employer's needs
- POST /api/labour/needs/{id}/close                 close a need
- GET  /api/labour/needs/{id}/applications          proposed candidates (names masked until
                                                    the resident confirms)
- POST /api/labour/applications/{id}/accept|decline the employer's decision
- POST /api/labour/applications/{id}/release        give back the seat of a hire no longer
                                                    green (409 for a green hire)
- GET  /api/labour/needs                            needs of the caller's area (LABOUR_MATCH)
- GET  /api/labour/needs/{id}/candidates            ranked green candidates
- POST /api/labour/needs/{id}/proposals             propose a candidate to the employer
- GET  /api/labour/figures                          fill rates of the caller's area
- GET  /api/labour/profile, PUT /api/labour/profile a resident's offer of work (LABOUR_APPLY)
- GET  /api/labour/jobs                             open jobs near the resident's home
- POST /api/labour/jobs/{id}/apply                  apply
- GET  /api/labour/applications/mine                the resident's applications
- POST /api/labour/applications/{id}/confirm|withdraw
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, Vault, require
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import Division
from epicontrol.labour import disclosure, matching, service
from epicontrol.labour.figures import labour_figures
from epicontrol.labour.models import LabourApplication
from epicontrol.labour.pages import router as pages_router
from epicontrol.labour.schemas import (
    ApplicationOut,
    CandidateOut,
    NeedIn,
    NeedOut,
    ProfileIn,
    ProfileOut,
)

router = APIRouter(tags=["labour"])
Employer = Annotated[Principal, Depends(require(Permission.LABOUR_POST))]
Matcher = Annotated[Principal, Depends(require(Permission.LABOUR_MATCH))]
Applicant = Annotated[Principal, Depends(require(Permission.LABOUR_APPLY))]


class ProposalIn(BaseModel):
    """The candidate an officer proposes."""

    model_config = ConfigDict(extra="forbid")

    resident_id: int


class ApplicationStatusOut(BaseModel):
    """An application's id and where it stands now."""

    id: int
    need_id: int
    status: str


def _status(application: LabourApplication) -> ApplicationStatusOut:
    return ApplicationStatusOut(
        id=application.id, need_id=application.need_id, status=application.status
    )


def _dropped(refusal: matching.NoLongerGreen) -> JSONResponse:
    # Answered, not raised: the request's session then commits the drop (core.deps.get_db).
    return JSONResponse({"detail": refusal.message}, status_code=refusal.status_code)


@router.post("/api/labour/needs", status_code=201)
def post_need(db: DbSession, principal: Employer, data: NeedIn) -> NeedOut:
    """Post a need at a place of work in the caller's area."""
    return service.describe(db, [service.post_need(db, principal=principal, data=data)])[0]


@router.get("/api/labour/needs/mine")
def my_needs(db: DbSession, principal: Employer) -> list[NeedOut]:
    """The caller's needs (all of their area's for an administrator), newest first."""
    return service.describe(db, service.needs_in_scope(db, principal=principal))


@router.post("/api/labour/needs/{need_id}/close")
def close_need(db: DbSession, principal: Employer, need_id: int) -> NeedOut:
    """Close a need: no more applicants."""
    return service.describe(db, [service.close_need(db, principal=principal, need_id=need_id)])[0]


@router.get("/api/labour/needs/{need_id}/applications")
def need_applications(
    db: DbSession, principal: Employer, vault: Vault, need_id: int
) -> list[ApplicationOut]:
    """The need's proposed candidates; name and phone only of those who confirmed."""
    return disclosure.for_employer(db, principal=principal, need_id=need_id, vault=vault)


@router.post("/api/labour/applications/{application_id}/accept", response_model=None)
def accept(
    db: DbSession, principal: Employer, application_id: int
) -> ApplicationStatusOut | JSONResponse:
    """Accept a proposed candidate: holds one of the need's seats (409 when none is left)."""
    try:
        return _status(
            matching.decide(db, principal=principal, application_id=application_id, accept=True)
        )
    except matching.NoLongerGreen as refusal:
        return _dropped(refusal)


@router.post("/api/labour/applications/{application_id}/decline")
def decline(db: DbSession, principal: Employer, application_id: int) -> ApplicationStatusOut:
    """Decline a proposed candidate."""
    return _status(
        matching.decide(db, principal=principal, application_id=application_id, accept=False)
    )


@router.post("/api/labour/applications/{application_id}/release")
def release(db: DbSession, principal: Employer, application_id: int) -> ApplicationStatusOut:
    """Give back the seat of a hire whose risk status is no longer green (409 while green)."""
    return _status(matching.release(db, principal=principal, application_id=application_id))


@router.get("/api/labour/needs")
def needs_of_area(db: DbSession, principal: Matcher) -> list[NeedOut]:
    """Needs located in the caller's area, newest first."""
    return service.describe(db, service.needs_in_scope(db, principal=principal))


@router.get("/api/labour/needs/{need_id}/candidates")
def candidates(db: DbSession, principal: Matcher, need_id: int) -> list[CandidateOut]:
    """Green candidates for the need, best first (names masked)."""
    return matching.rank(db, principal=principal, need_id=need_id)


@router.post("/api/labour/needs/{need_id}/proposals", status_code=201)
def propose(
    db: DbSession, principal: Matcher, need_id: int, data: ProposalIn
) -> ApplicationStatusOut:
    """Propose a ranked candidate to the employer."""
    return _status(
        matching.propose(db, principal=principal, need_id=need_id, resident_id=data.resident_id)
    )


@router.get("/api/labour/figures")
def figures(db: DbSession, principal: Matcher) -> dict[str, int | float]:
    """Open needs, positions, filled seats, applicants and fill rate of the caller's area."""
    division = db.get(Division, principal.division_id)
    assert division is not None  # a login's division exists (foreign key)
    return labour_figures(db, division)


@router.get("/api/labour/profile")
def read_profile(db: DbSession, principal: Applicant) -> ProfileOut | None:
    """The caller's offer of work (null before they make one)."""
    return service.profile_of(db, principal=principal)


@router.put("/api/labour/profile")
def save_profile(db: DbSession, principal: Applicant, data: ProfileIn) -> ProfileOut:
    """Create or replace the caller's offer of work."""
    service.save_profile(db, principal=principal, data=data)
    found = service.profile_of(db, principal=principal)
    assert found is not None
    return found


@router.get("/api/labour/jobs")
def jobs_near_me(db: DbSession, principal: Applicant) -> list[NeedOut]:
    """Open jobs nearest the caller's home first, within their travel limit."""
    return service.jobs_near(db, principal=principal)


@router.post("/api/labour/jobs/{need_id}/apply", status_code=201)
def apply(db: DbSession, principal: Applicant, need_id: int) -> ApplicationStatusOut:
    """Apply for an open job (green residents with an offer of work)."""
    return _status(service.apply(db, principal=principal, need_id=need_id))


@router.get("/api/labour/applications/mine")
def my_applications(db: DbSession, principal: Applicant) -> list[ApplicationOut]:
    """The caller's applications, newest first."""
    return disclosure.for_resident(db, principal=principal)


@router.post("/api/labour/applications/{application_id}/confirm", response_model=None)
def confirm(
    db: DbSession, principal: Applicant, application_id: int
) -> ApplicationStatusOut | JSONResponse:
    """Confirm a job the employer accepted (the employer then sees name and phone)."""
    try:
        return _status(matching.confirm(db, principal=principal, application_id=application_id))
    except matching.NoLongerGreen as refusal:
        return _dropped(refusal)


@router.post("/api/labour/applications/{application_id}/withdraw")
def withdraw(db: DbSession, principal: Applicant, application_id: int) -> ApplicationStatusOut:
    """Withdraw an application (a held seat is given back)."""
    return _status(matching.withdraw(db, principal=principal, application_id=application_id))


router.include_router(pages_router)
