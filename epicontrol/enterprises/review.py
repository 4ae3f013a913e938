"""The officers' side: the queue, an application's check, decisions.

Phase rules (enforced here, not in the pages): an application is approved only in a phase that
applies to the company's division, has opened (its date is today or past, China time), has not
closed and admits the company's category; and only if none of its listed employees is red now,
while any yellow employee needs the measure taken for them stated. Decisions compare-and-set the
application's `version`, so of two officers deciding at once one wins and the other gets 409; an
approval also holds its phase (FOR SHARE) and compares the phase's values, so an officer changing
the phase at the same moment cannot leave the approval outside it (phase_changes.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.divisions.models import Division
from epicontrol.enterprises import employees
from epicontrol.enterprises.companies import describe
from epicontrol.enterprises.models import (
    ApplicationStatus,
    Category,
    Enterprise,
    ResumptionApplication,
    ResumptionPhase,
)
from epicontrol.enterprises.phases import phases_for, still_stored
from epicontrol.enterprises.schemas import (
    ApplicationDetail,
    ApplicationOut,
    Decision,
    DecisionIn,
)

# Which statuses each decision may start from.
ALLOWED_FROM: dict[Decision, tuple[ApplicationStatus, ...]] = {
    Decision.APPROVE: (ApplicationStatus.SUBMITTED, ApplicationStatus.SUSPENDED),
    Decision.REFUSE: (ApplicationStatus.SUBMITTED, ApplicationStatus.SUSPENDED),
    Decision.SUSPEND: (ApplicationStatus.APPROVED,),
}
RESULT: dict[Decision, ApplicationStatus] = {
    Decision.APPROVE: ApplicationStatus.APPROVED,
    Decision.REFUSE: ApplicationStatus.REFUSED,
    Decision.SUSPEND: ApplicationStatus.SUSPENDED,
}


def queue(
    db: Session, *, principal: Principal, status: ApplicationStatus | None = None
) -> list[ApplicationOut]:
    """Applications of companies in the caller's subtree, oldest first (priority category
    first among those waiting)."""
    query = (
        select(ResumptionApplication)
        .join(Enterprise, Enterprise.id == ResumptionApplication.enterprise_id)
        .join(Division, Division.id == Enterprise.division_id)
        .where(Division.path.startswith(principal.division_path))
        .order_by(ResumptionApplication.submitted_at, ResumptionApplication.id)
    )
    if status is not None:
        query = query.where(ResumptionApplication.status == status.value)
    found = [describe(db, application) for application in db.scalars(query)]
    priority = list(Category)
    return sorted(found, key=lambda a: (a.status != "submitted", priority.index(a.category)))


def _in_scope(db: Session, principal: Principal, application_id: int) -> ResumptionApplication:
    row = db.execute(
        select(ResumptionApplication, Division.path)
        .join(Enterprise, Enterprise.id == ResumptionApplication.enterprise_id)
        .join(Division, Division.id == Enterprise.division_id)
        .where(ResumptionApplication.id == application_id)
    ).first()
    if row is None:
        raise NotFound(f"no resumption application {application_id}")
    application, path = row
    if not principal.covers(path):
        raise AccessDenied(
            f"application {application_id} is outside your area",
            action="enterprise:review",
            entity="resumption_application",
            entity_id=str(application_id),
        )
    return application


def detail(
    db: Session, *, principal: Principal, application_id: int, purpose: str = ""
) -> ApplicationDetail:
    """An application, its employee check and its non-green employees (masked names): the
    read of those names is audited."""
    application = _in_scope(db, principal, application_id)
    out = describe(db, application)
    flagged = employees.flagged(db, enterprise_id=application.enterprise_id)
    audit.record(
        db,
        actor=principal,
        action="enterprise:employees_read",
        entity="enterprise",
        entity_id=application.enterprise_id,
        purpose=purpose or "resumption review",
        detail={"application": application.id, "flagged_shown": len(flagged)},
    )
    path = db.scalar(select(Division.path).where(Division.id == out.division_id)) or ""
    phases = [
        p for p in phases_for(db, division_path=path) if p.is_open and out.category in p.categories
    ]
    return ApplicationDetail(
        application=out,
        check=employees.check(db, enterprise_id=application.enterprise_id),
        flagged=flagged,
        phases=phases,
    )


def _approval_checks(
    db: Session, application: ResumptionApplication, data: DecisionIn, today: date
) -> tuple[int, dict[str, Any]]:
    """The phase rules; returns the phase id to approve in and its stored values, or
    InvalidInput saying why not."""
    company = db.get(Enterprise, application.enterprise_id)
    assert company is not None
    if data.phase_id is None:
        raise InvalidInput("choose the phase to approve the company in")
    # Hold the phase until this decision commits, so that an officer changing it meanwhile
    # waits and then counts this approval (PostgreSQL; on SQLite writers take turns anyway).
    stored = db.execute(
        select(
            ResumptionPhase.division_id,
            ResumptionPhase.number,
            ResumptionPhase.opens_on,
            ResumptionPhase.closes_on,
            ResumptionPhase.categories,
        )
        .where(ResumptionPhase.id == data.phase_id)
        .with_for_update(read=True)
    ).first()
    path = db.scalar(select(Division.path).where(Division.id == company.division_id)) or ""
    phase = next((p for p in phases_for(db, division_path=path, today=today)
                  if p.id == data.phase_id), None)  # fmt: skip
    if phase is None or stored is None:
        raise InvalidInput(f"phase {data.phase_id} does not apply to the company's division")
    if phase.opens_on > today:
        raise InvalidInput(f"phase {phase.number} opens on {phase.opens_on}, not yet")
    if not phase.is_open:
        raise InvalidInput(f"phase {phase.number} closed on {phase.closes_on}")
    if company.category not in phase.categories:
        raise InvalidInput(f"phase {phase.number} does not admit the category {company.category}")
    check = employees.check(db, enterprise_id=company.id)
    if check.employees == 0:
        raise InvalidInput("the company has not uploaded its employee list")
    if check.red:
        raise InvalidInput(f"{check.red} employees are red (红码) now: no approval")
    if check.yellow and not data.yellow_measure.strip():
        raise InvalidInput(
            f"{check.yellow} employees are yellow (黄码): state the measure taken for them"
        )
    return phase.id, dict(stored._mapping)


def decide(
    db: Session, *, principal: Principal, application_id: int, data: DecisionIn
) -> ApplicationOut:
    """Approve in a phase, refuse or suspend with a reason, if the application is still at
    `data.version`; 409 if another officer decided first."""
    application = _in_scope(db, principal, application_id)
    now = utcnow()
    today = local_date(now)
    values: dict[str, object] = {
        "status": RESULT[data.decision].value,
        "version": data.version + 1,
        "decided_by": principal.user_id,
        "decided_at": now,
    }
    phase_unchanged: list[Any] = []
    if data.decision is Decision.APPROVE:
        phase_id, phase_values = _approval_checks(db, application, data, today)
        phase_unchanged.append(exists().where(*still_stored(phase_id, phase_values)))
        values |= {
            "phase_id": phase_id,
            "approved_on": today,
            "reason": "",
            "yellow_measure": data.yellow_measure.strip(),
        }
    else:
        if not data.reason.strip():
            raise InvalidInput(f"state the reason to {data.decision.value}")
        values["reason"] = data.reason.strip()
    allowed = [s.value for s in ALLOWED_FROM[data.decision]]
    changed = (
        db.connection()
        .execute(
            update(ResumptionApplication)
            .where(
                ResumptionApplication.id == application_id,
                ResumptionApplication.version == data.version,
                ResumptionApplication.status.in_(allowed),
                *phase_unchanged,
            )
            .values(**values)
        )
        .rowcount
    )
    if changed != 1:
        db.refresh(application)
        if application.version != data.version:
            raise Conflict(
                f"application {application_id} was decided by someone else meanwhile "
                f"(now {application.status}); reload it"
            )
        if phase_unchanged and application.status in allowed:
            raise Conflict(f"phase {data.phase_id} was changed meanwhile; check it and try again")
        raise Conflict(f"cannot {data.decision.value} an application that is {application.status}")
    db.refresh(application)
    audit.record(
        db,
        actor=principal,
        action=f"enterprise:{data.decision.value}",
        entity="resumption_application",
        entity_id=application_id,
        detail={"status": application.status, "phase_id": application.phase_id},
    )
    return describe(db, application)
