"""API routes over tracing runs, contacts and their follow-ups; every read audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from epicontrol.cases import service as cases
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, SettingsDep, Vault, require
from epicontrol.core.policy import Permission
from epicontrol.tracing import background, contacts, export, service
from epicontrol.tracing.rules import TracingRules
from epicontrol.tracing.schemas import (
    ContactOut,
    FollowUpIn,
    FollowUpOut,
    QuarantineIn,
    TracingRunOut,
)

router = APIRouter(tags=["tracing"])
CaseReader = Annotated[Principal, Depends(require(Permission.CASE_READ))]
Tracer = Annotated[Principal, Depends(require(Permission.TRACING_RUN))]
ContactReader = Annotated[Principal, Depends(require(Permission.CONTACT_READ))]
ContactWriter = Annotated[Principal, Depends(require(Permission.CONTACT_WRITE))]


def tracing_rules(settings: SettingsDep) -> TracingRules:
    """The deployment's tracing rules (a file named in the settings, or the defaults)."""
    return background.rules_from(getattr(settings, "tracing_rules_file", None))


Rules = Annotated[TracingRules, Depends(tracing_rules)]


@router.post("/api/cases/{case_id}/trace", status_code=202)
def trace_case(
    case_id: int,
    db: DbSession,
    principal: Tracer,
    rules: Rules,
    response: Response,
    wait: bool = False,
) -> TracingRunOut:
    """Queue a tracing run of the case; with `wait=true`, run it now and answer when done."""
    case = cases.get_visible(db, principal=principal, case_id=case_id, action="tracing:run")
    if wait:
        run = service.trace_case(db, case.id, now=utcnow(), actor=principal, rules=rules)
        response.status_code = 200
    else:
        run = background.request_trace(
            db, case_id=case.id, reason="traced by hand", requested_by=principal.username
        )
    return TracingRunOut.model_validate(run)


@router.get("/api/cases/{case_id}/runs")
def list_runs(case_id: int, db: DbSession, principal: CaseReader) -> list[TracingRunOut]:
    """The case's tracing runs, newest first."""
    runs = service.runs_for_case(db, principal=principal, case_id=case_id)
    return [TracingRunOut.model_validate(r) for r in runs]


@router.get("/api/cases/{case_id}/contacts")
def case_contacts(
    case_id: int, db: DbSession, principal: ContactReader, purpose: Purpose
) -> list[ContactOut]:
    """Close and secondary contacts of a case (masked names): every one for its investigators
    (case:read in scope), those living in the caller's scope for the follow-up teams."""
    return contacts.for_case(
        db, principal=principal, case_id=case_id, purpose=purpose, now=utcnow()
    )


@router.get("/api/cases/{case_id}/contacts.csv")
def case_contacts_csv(
    case_id: int,
    db: DbSession,
    principal: ContactReader,
    purpose: Purpose,
    vault: Vault,
    purpose_query: Annotated[str, Query(alias="purpose", max_length=200)] = "",
) -> Response:
    """The contacts as CSV (the same rows as the list): names and phones in clear only for
    roles that may read identity and state a purpose (X-Purpose header, or `purpose` from the
    workbench's form); audited."""
    stated = purpose or purpose_query.strip()
    text = export.export_csv(
        db, principal=principal, case_id=case_id, purpose=stated, vault=vault, now=utcnow()
    )
    headers = {"Content-Disposition": f'attachment; filename="case-{case_id}-contacts.csv"'}
    # A byte-order mark makes spreadsheet programs read the Chinese as UTF-8.
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/api/contacts")
def division_contacts(
    db: DbSession,
    principal: ContactReader,
    purpose: Purpose,
    division_id: int,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=contacts.MAX_PAGE)] = 200,
) -> list[ContactOut]:
    """Contacts living in a division of the caller's scope, for daily follow-up."""
    return contacts.in_division(
        db,
        principal=principal,
        division_id=division_id,
        purpose=purpose,
        now=utcnow(),
        offset=offset,
        limit=limit,
    )


@router.get("/api/contacts/{contact_id}")
def get_contact(
    contact_id: int, db: DbSession, principal: ContactReader, purpose: Purpose
) -> ContactOut:
    """One contact with where and when they were exposed, and their follow-ups."""
    return contacts.detail(
        db, principal=principal, contact_id=contact_id, purpose=purpose, now=utcnow()
    )


@router.post("/api/contacts/{contact_id}/follow-ups", status_code=201)
def record_follow_up(
    contact_id: int, data: FollowUpIn, db: DbSession, principal: ContactWriter
) -> FollowUpOut:
    """Record a day's report of a contact (a second one the same day replaces it)."""
    report = service.record_follow_up(
        db, principal=principal, contact_id=contact_id, data=data, now=utcnow()
    )
    return FollowUpOut.model_validate(report)


@router.post("/api/contacts/{contact_id}/quarantine")
def quarantine_contact(
    contact_id: int, data: QuarantineIn, db: DbSession, principal: ContactWriter
) -> ContactOut:
    """Record when a contact was quarantined; the case is traced again (it bounds the
    period in which the contact's own contacts become secondary contacts)."""
    now = utcnow()
    contact = service.set_quarantine(
        db,
        principal=principal,
        contact_id=contact_id,
        quarantined_at=data.quarantined_at,
        now=now,
    )
    background.request_trace(
        db, case_id=contact.case_id, reason="contact quarantined", requested_by=principal.username
    )
    return contacts.detail(db, principal=principal, contact_id=contact_id, purpose="", now=now)
