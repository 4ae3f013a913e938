"""API of fever self-checks: public advice, a resident's stored checks, officers' fever list.

Clearing a fever report needs MONITORING_MANAGE (community officers, epidemiologists): clearing
turns a resident's risk status back from yellow, a decision about their health that belongs to
those who follow residents up, not to the triage of public reports (TIP_TRIAGE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, require
from epicontrol.core.policy import Permission
from epicontrol.reports import selfcheck
from epicontrol.reports.schemas import (
    AdviceOut,
    ClearIn,
    FeverReportOut,
    PublicSelfCheckIn,
    SelfCheckIn,
    SelfCheckOut,
)
from epicontrol.reports.tips_limits import limit_body
from epicontrol.web.rate_limits import TOO_MANY

router = APIRouter(tags=["self-checks"], dependencies=[Depends(limit_body)])
Reporter = Annotated[Principal, Depends(require(Permission.REPORT_SUBMIT))]
FeverReader = Annotated[Principal, Depends(require(Permission.MONITORING_READ))]
FeverClearer = Annotated[Principal, Depends(require(Permission.MONITORING_MANAGE))]


@router.post("/api/public/self-check", responses=TOO_MANY)
def public_self_check(data: PublicSelfCheckIn, db: DbSession) -> AdviceOut:
    """Advice for anyone, no login: nothing is stored."""
    return selfcheck.advise(db, data=data, now=utcnow())


@router.post("/api/self-checks", status_code=201)
def submit_self_check(data: SelfCheckIn, db: DbSession, principal: Reporter) -> SelfCheckOut:
    """A resident's self-check, stored with its advice (a fever keeps their status yellow)."""
    return selfcheck.submit(db, principal=principal, data=data, now=utcnow())


@router.get("/api/self-checks/mine")
def my_self_checks(db: DbSession, principal: Reporter) -> list[SelfCheckOut]:
    """The caller's own self-checks, newest first."""
    return selfcheck.list_mine(db, principal=principal)


@router.get("/api/self-checks/fevers")
def fever_reports(
    db: DbSession, principal: FeverReader, purpose: Purpose, include_cleared: bool = False
) -> list[FeverReportOut]:
    """Fever self-checks of residents in the caller's division, not yet cleared by default."""
    return selfcheck.list_fevers(
        db, principal=principal, purpose=purpose, include_cleared=include_cleared
    )


@router.post("/api/self-checks/{self_check_id}/clear")
def clear_fever(
    self_check_id: int, data: ClearIn, db: DbSession, principal: FeverClearer
) -> SelfCheckOut:
    """Clear a fever report after follow-up; the note says why (audited)."""
    return selfcheck.clear(
        db, principal=principal, self_check_id=self_check_id, note=data.note, now=utcnow()
    )
