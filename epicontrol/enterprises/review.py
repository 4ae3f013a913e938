"""The officers' side: phases of resumption, the queue, an application's check, decisions.

Phase rules (enforced here, not in the pages): an application is approved only in a phase that
applies to the company's division, has opened (its date is today or past, China time) and admits
the company's category; and only if none of its listed employees is red now, while any yellow
employee needs the measure taken for them stated. Decisions compare-and-set the application's
`version`, so of two officers deciding at once one wins and the other gets 409.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.divisions import service as divisions
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
from epicontrol.enterprises.schemas import (
    ApplicationDetail,
    ApplicationOut,
    Decision,
    DecisionIn,
    PhaseIn,
    PhaseOut,
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


def create_phase(db: Session, *, principal: Principal, data: PhaseIn) -> ResumptionPhase:
    """Configure a phase for a division of the caller's subtree (its number unique there)."""
    divisions.get_in_scope(db, principal=principal, division_id=data.division_id)
    phase = ResumptionPhase(
        division_id=data.division_id,
        number=data.number,
        opens_on=data.opens_on,
        categories=",".join(sorted({c.value for c in data.categories})),
        created_by=principal.user_id,
        created_at=utcnow(),
    )
    db.add(phase)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(f"phase {data.number} already exists for that division") from None
    return phase


def _phase_out(phase: ResumptionPhase, division_name: str, today: date) -> PhaseOut:
    return PhaseOut(
        id=phase.id,
        division_id=phase.division_id,
        division_name=division_name,
        number=phase.number,
        opens_on=phase.opens_on,
        categories=[Category(c) for c in phase.categories.split(",") if c],
        is_open=phase.opens_on <= today,
    )


def phases_for(db: Session, *, division_path: str, today: date | None = None) -> list[PhaseOut]:
    """Phases that apply to a division: those of the division itself and of its ancestors."""
    today = today or local_date(utcnow())
    ids = [int(part) for part in division_path.strip("/").split("/") if part]
    rows = db.execute(
        select(ResumptionPhase, Division.name)
        .join(Division, Division.id == ResumptionPhase.division_id)
        .where(ResumptionPhase.division_id.in_(ids))
        .order_by(ResumptionPhase.number, ResumptionPhase.opens_on)
    ).all()
    return [_phase_out(phase, name, today) for phase, name in rows]


def phases_in_scope(db: Session, *, principal: Principal) -> list[PhaseOut]:
    """Phases an officer works with: above their division and inside their subtree."""
    today = local_date(utcnow())
    above = phases_for(db, division_path=principal.division_path, today=today)
    rows = db.execute(
        select(ResumptionPhase, Division.name)
        .join(Division, Division.id == ResumptionPhase.division_id)
        .where(
            Division.path.startswith(principal.division_path),
            Division.id != principal.division_id,
        )
        .order_by(ResumptionPhase.number, Division.name)
    ).all()
    return above + [_phase_out(phase, name, today) for phase, name in rows]


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
) -> int:
    """The phase rules; returns the phase id to approve in, or InvalidInput saying why not."""
    company = db.get(Enterprise, application.enterprise_id)
    assert company is not None
    if data.phase_id is None:
        raise InvalidInput("choose the phase to approve the company in")
    path = db.scalar(select(Division.path).where(Division.id == company.division_id)) or ""
    phase = next((p for p in phases_for(db, division_path=path, today=today)
                  if p.id == data.phase_id), None)  # fmt: skip
    if phase is None:
        raise InvalidInput(f"phase {data.phase_id} does not apply to the company's division")
    if not phase.is_open:
        raise InvalidInput(f"phase {phase.number} opens on {phase.opens_on}, not yet")
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
    return phase.id


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
    if data.decision is Decision.APPROVE:
        values |= {
            "phase_id": _approval_checks(db, application, data, today),
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
