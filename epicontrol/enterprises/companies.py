"""The company side: register a company, apply to resume work, upload the employee list."""

from __future__ import annotations

import json

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import utcnow
from epicontrol.core.errors import Conflict, InvalidInput, NotFound
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.enterprises import credit_code, employees
from epicontrol.enterprises.models import (
    ApplicationStatus,
    Category,
    Enterprise,
    EnterpriseMember,
    ResumptionApplication,
    ResumptionPhase,
)
from epicontrol.enterprises.schemas import MEASURES, ApplicationOut, CompanyIn, CompanyOut


def own_enterprise(db: Session, *, principal: Principal) -> Enterprise | None:
    """The company the caller represents, if they registered one."""
    return db.scalar(
        select(Enterprise)
        .join(EnterpriseMember, EnterpriseMember.enterprise_id == Enterprise.id)
        .where(EnterpriseMember.user_id == principal.user_id)
    )


def _require_own(db: Session, principal: Principal) -> Enterprise:
    found = own_enterprise(db, principal=principal)
    if found is None:
        raise NotFound("register your company first")
    return found


def register(db: Session, *, principal: Principal, data: CompanyIn) -> Enterprise:
    """Register the caller's company (one per login; a credit code only once)."""
    code = credit_code.parse(data.credit_code)
    unknown = sorted(set(data.measures) - set(MEASURES))
    if unknown:
        raise InvalidInput(f"unknown protective measures {unknown}; known: {sorted(MEASURES)}")
    divisions.get_in_scope(db, principal=principal, division_id=data.division_id)
    if own_enterprise(db, principal=principal) is not None:
        raise Conflict("this login already represents a company")
    company = Enterprise(
        name=data.name.strip(),
        credit_code=code,
        sector=data.sector.strip(),
        category=data.category.value,
        division_id=data.division_id,
        workforce=data.workforce,
        measures=json.dumps(sorted(set(data.measures))),
        measures_note=data.measures_note.strip(),
        registered_at=utcnow(),
    )
    db.add(company)
    try:
        db.flush()
        db.add(EnterpriseMember(user_id=principal.user_id, enterprise_id=company.id))
        db.flush()
    except IntegrityError:
        raise Conflict(f"a company with credit code {code} is already registered") from None
    return company


def submit(db: Session, *, principal: Principal) -> ResumptionApplication:
    """Apply to resume work: one application per company (a refused one may be resubmitted)."""
    company = _require_own(db, principal)
    existing = db.scalar(
        select(ResumptionApplication).where(ResumptionApplication.enterprise_id == company.id)
    )
    if existing is not None:
        if existing.status != ApplicationStatus.REFUSED:
            raise Conflict(f"your company has already applied (status {existing.status})")
        changed = (
            db.connection()
            .execute(
                update(ResumptionApplication)
                .where(
                    ResumptionApplication.id == existing.id,
                    ResumptionApplication.version == existing.version,
                )
                .values(
                    status=ApplicationStatus.SUBMITTED.value,
                    version=existing.version + 1,
                    submitted_at=utcnow(),
                    submitted_by=principal.user_id,
                )
            )
            .rowcount
        )
        if changed != 1:
            raise Conflict("the application changed meanwhile; reload it")
        db.refresh(existing)
        return existing
    application = ResumptionApplication(
        enterprise_id=company.id,
        status=ApplicationStatus.SUBMITTED.value,
        version=1,
        submitted_by=principal.user_id,
        submitted_at=utcnow(),
    )
    db.add(application)
    try:
        db.flush()  # the unique enterprise_id refuses a second application sent at once
    except IntegrityError:
        raise Conflict("your company has already applied") from None
    return application


def upload_employees(
    db: Session, *, principal: Principal, data: bytes, vault: PersonalDataVault
) -> int:
    """Replace the company's employee list from a CSV; nothing is stored if a row is bad."""
    company = _require_own(db, principal)
    rows = employees.parse_csv(data)
    matched = employees.replace_list(db, enterprise_id=company.id, rows=rows, vault=vault)
    audit.record(
        db,
        actor=principal,
        action="enterprise:employees_upload",
        entity="enterprise",
        entity_id=company.id,
        detail={"employees": len(rows), "matched": matched},
    )
    return len(rows)


def mine(db: Session, *, principal: Principal) -> CompanyOut | None:
    """The caller's company with its application and its employees' counts (no names)."""
    company = own_enterprise(db, principal=principal)
    if company is None:
        return None
    application = db.scalar(
        select(ResumptionApplication).where(ResumptionApplication.enterprise_id == company.id)
    )
    division = divisions.get(db, division_id=company.division_id)
    return CompanyOut(
        id=company.id,
        name=company.name,
        credit_code=company.credit_code,
        sector=company.sector,
        category=company.category,  # type: ignore[arg-type]
        division_id=company.division_id,
        division_name=division.name,
        workforce=company.workforce,
        measures=json.loads(company.measures),
        measures_note=company.measures_note,
        application=describe(db, application) if application else None,
        check=employees.check(db, enterprise_id=company.id),
    )


def describe(db: Session, application: ResumptionApplication) -> ApplicationOut:
    """An application with its company, division and phase number."""
    row = db.execute(
        select(Enterprise, Division.name, ResumptionPhase.number)
        .join(Division, Division.id == Enterprise.division_id)
        .outerjoin(ResumptionPhase, ResumptionPhase.id == application.phase_id)
        .where(Enterprise.id == application.enterprise_id)
    ).one()
    company, division_name, phase_number = row
    return ApplicationOut(
        id=application.id,
        enterprise_id=company.id,
        company=company.name,
        credit_code=company.credit_code,
        sector=company.sector,
        category=Category(company.category),
        division_id=company.division_id,
        division_name=division_name,
        workforce=company.workforce,
        measures=json.loads(company.measures),
        measures_note=company.measures_note,
        status=application.status,  # type: ignore[arg-type]
        version=application.version,
        phase_number=phase_number,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        approved_on=application.approved_on,
        reason=application.reason,
        yellow_measure=application.yellow_measure,
    )
