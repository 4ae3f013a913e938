"""The officers' phases page: the phases, the form to configure one, and per phase of their area
the forms to change, close, reopen or delete it (the rules are in phase_changes.py).

- GET  /enterprises/phases                 the phases and the forms (`?done=` names what was done)
- POST /enterprises/phases                 configure a phase
- POST /enterprises/phases/{id}/edit | /close | /reopen | /delete

Each change form carries the values the officer saw (the `seen_*` hidden fields): a change made
by someone else meanwhile makes the form come back with a 409 and the phase as it is now.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, require
from epicontrol.core.errors import AccessDenied, EpicontrolError
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import DivisionLevel
from epicontrol.enterprises import phase_changes, phases
from epicontrol.enterprises.pages import (
    LABELS,
    divisions_in_scope,
    refusal_message,
    refusal_status,
)
from epicontrol.enterprises.schemas import NOTES_MAX_CHARS, PhaseIn
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[Principal, Depends(require(Permission.ENTERPRISE_REVIEW))]
_PHASE_LEVELS = (
    DivisionLevel.PROVINCE,
    DivisionLevel.CITY,
    DivisionLevel.DISTRICT,
    DivisionLevel.STREET,
)
DONE = {
    "created": "已新建批次 Phase configured",
    "edited": "已修改批次 Phase changed",
    "closed": "已提前结束批次 Phase closed",
    "reopened": "已重新开放批次 Phase reopened",
    "deleted": "已删除批次 Phase deleted",
}
Refused = (ValidationError, EpicontrolError)
# A bound on the form field only: past NOTES_MAX_CHARS (PhaseIn) the page says so; far past
# it (not something the form's maxlength lets through) FastAPI's plain 422.
NOTES_FORM_CHARS = 4 * NOTES_MAX_CHARS


def _seen_form(
    seen_division_id: Annotated[int, Form()],
    seen_number: Annotated[int, Form()],
    seen_opens_on: Annotated[str, Form(max_length=10)],
    seen_categories: Annotated[str, Form(max_length=200)],
    seen_closes_on: Annotated[str, Form(max_length=10)] = "",
    seen_notes: Annotated[str, Form(max_length=NOTES_FORM_CHARS)] = "",
) -> dict[str, Any]:
    """The phase's values as the form showed them (validated in the handler, which answers with
    the page and the reason)."""
    return {
        "division_id": seen_division_id,
        "number": seen_number,
        "opens_on": seen_opens_on,
        "closes_on": seen_closes_on or None,
        "categories": [c for c in seen_categories.split(",") if c],
        "notes": seen_notes,
    }


SeenForm = Annotated[dict[str, Any], Depends(_seen_form)]


@router.get("/enterprises/phases")
def phases_page(request: Request, db: DbSession, principal: Reviewer, done: str = "") -> Response:
    """Phases and the forms to configure and change them."""
    return _phases_page(request, db, principal, error=None, status_code=200, done=done)


def _phases_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    error: str | None,
    status_code: int,
    done: str = "",
) -> Response:
    context = {
        "phases": phases.phases_in_scope(db, principal=principal),
        "divisions": divisions_in_scope(db, principal, _PHASE_LEVELS),
        "error": error,
        "notice": DONE.get(done),
        "notes_max": NOTES_MAX_CHARS,
        **LABELS,
    }
    return render(request, "enterprise_phases.html", context, status_code=status_code)


def _refused(request: Request, db: Session, principal: Principal, refused: Exception) -> Response:
    if isinstance(refused, AccessDenied):
        raise refused  # the request's session audits a denial (core/deps.py)
    db.rollback()
    return _phases_page(
        request,
        db,
        principal,
        error=refusal_message(refused),
        status_code=refusal_status(refused),
    )


def _done(what: str, phase_id: int | None = None) -> Response:
    anchor = f"#phase-{phase_id}" if phase_id else ""
    return RedirectResponse(f"/enterprises/phases?done={what}{anchor}", status_code=303)


@router.post("/enterprises/phases")
def phase_from_page(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    division_id: Annotated[int, Form()],
    number: Annotated[int, Form()],
    opens_on: Annotated[date, Form()],
    closes_on: Annotated[str, Form(max_length=10)] = "",
    notes: Annotated[str, Form(max_length=NOTES_FORM_CHARS)] = "",
    categories: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The form to configure a phase."""
    values = {
        "division_id": division_id,
        "number": number,
        "opens_on": opens_on,
        "closes_on": closes_on or None,
        "categories": categories or [],
        "notes": notes,
    }
    try:
        data = PhaseIn.model_validate(values)
        phase = phases.create_phase(db, principal=principal, data=data)
    except Refused as refused:
        return _refused(request, db, principal, refused)
    return _done("created", phase.id)


@router.post("/enterprises/phases/{phase_id}/edit")
def edit_from_page(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    phase_id: int,
    seen: SeenForm,
    division_id: Annotated[int, Form()],
    number: Annotated[int, Form()],
    opens_on: Annotated[str, Form(max_length=10)],
    closes_on: Annotated[str, Form(max_length=10)] = "",
    notes: Annotated[str, Form(max_length=NOTES_FORM_CHARS)] = "",
    categories: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """A phase's edit form."""
    values = {
        "division_id": division_id,
        "number": number,
        "opens_on": opens_on,
        "closes_on": closes_on or None,
        "categories": categories or [],
        "notes": notes,
    }
    try:
        phase_changes.edit_phase(
            db,
            principal=principal,
            phase_id=phase_id,
            seen=PhaseIn.model_validate(seen),
            values=PhaseIn.model_validate(values),
        )
    except Refused as refused:
        return _refused(request, db, principal, refused)
    return _done("edited", phase_id)


@router.post("/enterprises/phases/{phase_id}/close")
def close_from_page(
    request: Request, db: DbSession, principal: Reviewer, phase_id: int, seen: SeenForm
) -> Response:
    """A phase's close button."""
    try:
        phase_changes.close_phase(
            db, principal=principal, phase_id=phase_id, seen=PhaseIn.model_validate(seen)
        )
    except Refused as refused:
        return _refused(request, db, principal, refused)
    return _done("closed", phase_id)


@router.post("/enterprises/phases/{phase_id}/reopen")
def reopen_from_page(
    request: Request, db: DbSession, principal: Reviewer, phase_id: int, seen: SeenForm
) -> Response:
    """A closed phase's reopen button."""
    try:
        phase_changes.reopen_phase(
            db, principal=principal, phase_id=phase_id, seen=PhaseIn.model_validate(seen)
        )
    except Refused as refused:
        return _refused(request, db, principal, refused)
    return _done("reopened", phase_id)


@router.post("/enterprises/phases/{phase_id}/delete")
def delete_from_page(
    request: Request, db: DbSession, principal: Reviewer, phase_id: int
) -> Response:
    """A phase's delete button."""
    try:
        phase_changes.delete_phase(db, principal=principal, phase_id=phase_id)
    except Refused as refused:
        return _refused(request, db, principal, refused)
    return _done("deleted")
