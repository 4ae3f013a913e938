"""Enterprise resumption pages: the company's (register, list, apply), the officers' (queue,
application, decision, phases) and the public whitelist (zh/en).

- GET  /enterprise                         the caller's company: registration, list, application
- POST /enterprise/register | /enterprise/employees | /enterprise/apply
- GET  /enterprises/review?status=         the queue (the status filter swaps it in with HTMX)
- GET  /enterprises/review/{id}            an application, its check, the decision forms
- POST /enterprises/review/{id}/decision
- /enterprises/phases...                   the phases and their forms: phase_pages.py
- GET  /public/resumption                  the whitelist, anonymous, Chinese or English
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, Vault, require
from epicontrol.core.errors import EpicontrolError
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.enterprises import companies, review, whitelist
from epicontrol.enterprises.employees import read_upload
from epicontrol.enterprises.models import ApplicationStatus, Category
from epicontrol.enterprises.schemas import (
    CATEGORY_LABELS,
    MEASURES,
    CompanyIn,
    Decision,
    DecisionIn,
)
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Company = Annotated[Principal, Depends(require(Permission.ENTERPRISE_APPLY))]
Reviewer = Annotated[Principal, Depends(require(Permission.ENTERPRISE_REVIEW))]
STATUS_LABELS = {
    "submitted": "待审核 Waiting",
    "approved": "已批准 Approved",
    "refused": "未批准 Refused",
    "suspended": "已暂停 Suspended",
}
LABELS = {"categories": CATEGORY_LABELS, "measures": MEASURES, "statuses": STATUS_LABELS}


def refusal_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
    return error.message if isinstance(error, EpicontrolError) else str(error)


def refusal_status(error: Exception) -> int:
    return error.status_code if isinstance(error, EpicontrolError) else 422


def divisions_in_scope(
    db: Session, principal: Principal, levels: tuple[DivisionLevel, ...]
) -> list[Division]:
    return list(
        db.scalars(
            select(Division)
            .where(
                Division.path.startswith(principal.division_path),
                Division.level.in_([level.value for level in levels]),
            )
            .order_by(Division.path)
            .limit(500)
        )
    )


# --- the company ---------------------------------------------------------------------------


@router.get("/enterprise")
def company_page(request: Request, db: DbSession, principal: Company) -> Response:
    """The caller's company, or the form to register it."""
    return _company_page(request, db, principal, error=None, status_code=200)


def _company_page(
    request: Request, db: Session, principal: Principal, *, error: str | None, status_code: int
) -> Response:
    context: dict[str, Any] = {
        "company": companies.mine(db, principal=principal),
        "divisions": divisions_in_scope(db, principal, tuple(DivisionLevel)),
        "error": error,
        "notice": request.query_params.get("done"),
        **LABELS,
    }
    return render(request, "enterprise_company.html", context, status_code=status_code)


@router.post("/enterprise/register")
def register_from_page(
    request: Request,
    db: DbSession,
    principal: Company,
    name: Annotated[str, Form(max_length=200)],
    credit_code: Annotated[str, Form(max_length=40)],
    sector: Annotated[str, Form(max_length=80)],
    category: Annotated[str, Form(max_length=40)],
    division_id: Annotated[int, Form()],
    workforce: Annotated[int, Form()],
    measures: Annotated[list[str] | None, Form()] = None,
    measures_note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The registration form: back to the company page, or the form with the reason."""
    try:
        data = CompanyIn(
            name=name,
            credit_code=credit_code,
            sector=sector,
            category=category,  # type: ignore[arg-type]
            division_id=division_id,
            workforce=workforce,
            measures=measures or [],
            measures_note=measures_note,
        )
        companies.register(db, principal=principal, data=data)
    except (ValidationError, EpicontrolError) as refused:
        db.rollback()
        return _company_page(
            request,
            db,
            principal,
            error=refusal_message(refused),
            status_code=refusal_status(refused),
        )
    return RedirectResponse("/enterprise?done=registered", status_code=303)


@router.post("/enterprise/employees")
def employees_from_page(
    request: Request,
    db: DbSession,
    principal: Company,
    vault: Vault,
    file: Annotated[UploadFile, File()],
) -> Response:
    """The employee-list upload: the counts, or every bad row (nothing stored)."""
    try:
        data = read_upload(file)
        companies.upload_employees(db, principal=principal, data=data, vault=vault)
    except EpicontrolError as refused:
        db.rollback()
        return _company_page(
            request, db, principal, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/enterprise?done=uploaded#check", status_code=303)


@router.post("/enterprise/apply")
def apply_from_page(request: Request, db: DbSession, principal: Company) -> Response:
    """The apply button."""
    try:
        companies.submit(db, principal=principal)
    except EpicontrolError as refused:
        db.rollback()
        return _company_page(
            request, db, principal, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/enterprise?done=applied#application", status_code=303)


# --- officers --------------------------------------------------------------------------------


@router.get("/enterprises/review")
def queue_page(request: Request, db: DbSession, principal: Reviewer, status: str = "") -> Response:
    """Applications of the officer's area; `status` filters (HTMX swaps the table in)."""
    chosen = ApplicationStatus(status) if status in set(ApplicationStatus) else None
    context = {
        "applications": review.queue(db, principal=principal, status=chosen),
        "status": status,
        **LABELS,
    }
    return render(request, "enterprise_queue.html", context)


@router.get("/enterprises/review/{application_id}")
def detail_page(
    request: Request, db: DbSession, principal: Reviewer, application_id: int
) -> Response:
    """An application, its employees' check and the decision forms."""
    return _detail_page(request, db, principal, application_id, error=None, status_code=200)


def _detail_page(
    request: Request,
    db: Session,
    principal: Principal,
    application_id: int,
    *,
    error: str | None,
    status_code: int,
) -> Response:
    found = review.detail(
        db, principal=principal, application_id=application_id, purpose="resumption review page"
    )
    context = {"d": found, "error": error, **LABELS}
    return render(request, "enterprise_detail.html", context, status_code=status_code)


@router.post("/enterprises/review/{application_id}/decision")
def decide_from_page(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    application_id: int,
    decision: Annotated[str, Form(max_length=16)],
    version: Annotated[int, Form()],
    phase_id: Annotated[str, Form(max_length=12)] = "",
    reason: Annotated[str, Form(max_length=400)] = "",
    yellow_measure: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """A decision form: back to the application, or it with the reason it failed."""
    try:
        data = DecisionIn(
            decision=Decision(decision) if decision in set(Decision) else Decision.REFUSE,
            version=version,
            phase_id=int(phase_id) if phase_id.strip().isdigit() else None,
            reason=reason,
            yellow_measure=yellow_measure,
        )
        if decision not in set(Decision):
            raise ValueError(f"unknown decision {decision!r}")
        review.decide(db, principal=principal, application_id=application_id, data=data)
    except (ValidationError, EpicontrolError, ValueError) as refused:
        db.rollback()
        return _detail_page(
            request,
            db,
            principal,
            application_id,
            error=refusal_message(refused),
            status_code=refusal_status(refused),
        )
    return RedirectResponse(f"/enterprises/review/{application_id}", status_code=303)


# --- the public ------------------------------------------------------------------------------


@router.get("/public/resumption")
def public_page(request: Request, db: DbSession) -> Response:
    """The whitelist of companies back at work, by phase."""
    entries = whitelist.entries(db)
    phases = sorted({entry.phase for entry in entries})
    notes = whitelist.notes_by_phase(entries)
    context = {"entries": entries, "phases": phases, "notes": notes, "Category": Category}
    return render(request, "resumption_public.html", context)
