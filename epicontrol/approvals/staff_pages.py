"""Reviewers' pages: the queue (overdue first), an application with its history, decisions,
courier delivery; and the catalogue editor (a new version on every save).

- GET  /approvals/queue                                  APPROVAL_REVIEW
- GET  /approvals/applications/{id}                      detail (audited), decision form
- POST /approvals/applications/{id}/decision             approve | return | reject (409 if stale)
- POST /approvals/applications/{id}/courier              courier company and tracking number
- POST /approvals/applications/{id}/delivered            courier delivered
- GET  /approvals/applications/{id}/attachments/{n}      an uploaded document
- GET  /approvals/applications/{id}/certificate          the result document
- GET  /approvals/catalogue                              APPROVAL_CATALOGUE: items, new item form
- GET  /approvals/catalogue/{code}                       the editor of one item
- POST /approvals/catalogue                              save (new item or new version)
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.approvals import applications, catalogue, certificate, forms, review
from epicontrol.approvals.models import Delivery, DeliveryStatus, Status
from epicontrol.approvals.page_support import TEMPLATE_HELPERS, today
from epicontrol.approvals.schemas import ItemIn
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, SettingsDep, Vault, require
from epicontrol.core.errors import EpicontrolError
from epicontrol.core.models import User
from epicontrol.core.policy import Permission
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[Principal, Depends(require(Permission.APPROVAL_REVIEW))]
Editor = Annotated[Principal, Depends(require(Permission.APPROVAL_CATALOGUE))]
BASE = "/approvals/applications"


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, name, {**TEMPLATE_HELPERS, **context}, status_code=status_code)


@router.get("/approvals/queue")
def queue_page(request: Request, db: DbSession, principal: Reviewer) -> Response:
    """Applications waiting for the caller's division, overdue first."""
    rows = review.queue(db, principal=principal, today=today())
    return _page(request, "approvals_queue.html", {"rows": rows, "today": today()})


def _detail(
    request: Request,
    db: Session,
    principal: Principal,
    vault: Vault,
    application_id: int,
    *,
    purpose: str = "",
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    application = review.in_scope(
        db, principal=principal, application_id=application_id, purpose=purpose
    )
    version = applications.version_of(db, application)
    definition = catalogue.definition_of(version)
    answers = applications.answers_of(vault, application)
    applicant = db.get(User, application.applicant_user_id)
    names = {u.id: u.username for u in db.query(User).filter(User.id.in_(_actors(db, application)))}
    holds = (application.reviewer_path or "").startswith(principal.division_path)
    context = {
        "a": application,
        "version": version,
        "d": definition,
        "applicant": applicant.display_name or applicant.username if applicant else "",
        "shown": forms.shown(definition, answers),
        "address": vault.decrypt(application.address_enc) if application.address_enc else "",
        "files": applications.attachments_of(db, application.id),
        "events": applications.history(db, application.id),
        "names": names,
        "can_decide": holds and application.status == Status.IN_REVIEW.value,
        "can_send": holds
        and application.status == Status.APPROVED.value
        and application.delivery == Delivery.COURIER.value,
        "overdue": review.is_overdue(application.due_on, today())
        and application.status == Status.IN_REVIEW.value,
        "message": message,
        "couriers": review.COURIERS,
        "DeliveryStatus": DeliveryStatus,
    }
    return _page(request, "approvals_review.html", context, status_code=status_code)


def _actors(db: Session, application: Any) -> set[int]:
    ids = {e.actor_user_id for e in applications.history(db, application.id)}
    return {i for i in ids if i is not None}


@router.get(BASE + "/{application_id}")
def review_page(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    vault: Vault,
    purpose: Purpose,
    application_id: int,
) -> Response:
    """One application of the caller's scope: answers (ID numbers masked), files, history."""
    return _detail(request, db, principal, vault, application_id, purpose=purpose)


def _after(
    request: Request,
    db: Session,
    principal: Principal,
    vault: Vault,
    application_id: int,
    work: Any,
) -> Response:
    try:
        work()
    except EpicontrolError as refused:
        db.rollback()
        if "text/html" not in request.headers.get("accept", ""):
            raise
        return _detail(request, db, principal, vault, application_id, message=refused.message,
                       status_code=refused.status_code)  # fmt: skip
    return RedirectResponse(f"{BASE}/{application_id}", status_code=303)


@router.post(BASE + "/{application_id}/decision")
def decide(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    vault: Vault,
    application_id: int,
    action: Annotated[review.Action, Form()],
    row_version: Annotated[int, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Approve the current step, return for correction or reject (reason required)."""
    return _after(request, db, principal, vault, application_id, lambda: review.decide(
        db, principal=principal, application_id=application_id, expected_version=row_version,
        action=action, reason=reason, now=utcnow(),
    ))  # fmt: skip


@router.post(BASE + "/{application_id}/courier")
def send(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    vault: Vault,
    application_id: int,
    company: Annotated[str, Form(max_length=16)],
    tracking_number: Annotated[str, Form(max_length=40)],
    row_version: Annotated[int, Form()],
) -> Response:
    """Record the courier and waybill number of the result (status: sent)."""
    return _after(request, db, principal, vault, application_id, lambda: review.send_by_courier(
        db, principal=principal, application_id=application_id, expected_version=row_version,
        company=company, tracking_number=tracking_number,
    ))  # fmt: skip


@router.post(BASE + "/{application_id}/delivered")
def delivered(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    vault: Vault,
    application_id: int,
    row_version: Annotated[int, Form()],
) -> Response:
    """The courier delivered the result."""
    return _after(request, db, principal, vault, application_id, lambda: review.mark_delivered(
        db, principal=principal, application_id=application_id, expected_version=row_version,
    ))  # fmt: skip


@router.get(BASE + "/{application_id}/attachments/{attachment_id}")
def review_file(
    db: DbSession,
    principal: Reviewer,
    settings: SettingsDep,
    purpose: Purpose,
    application_id: int,
    attachment_id: int,
) -> Response:
    """An uploaded document of an application in the caller's scope."""
    application = review.in_scope(
        db, principal=principal, application_id=application_id, purpose=purpose
    )
    return certificate.file_response(
        db, settings.data_dir, application, attachment_id, secret=settings.secret_key,
        reader=principal,
    )  # fmt: skip


@router.get(BASE + "/{application_id}/certificate")
def review_certificate(
    request: Request,
    db: DbSession,
    principal: Reviewer,
    vault: Vault,
    purpose: Purpose,
    application_id: int,
) -> Response:
    """The result document, to print for courier delivery."""
    application = review.in_scope(
        db, principal=principal, application_id=application_id, purpose=purpose
    )
    return certificate.page(request, db, vault, application, reader=principal)


@router.get("/approvals/catalogue")
def catalogue_page(request: Request, db: DbSession, principal: Editor) -> Response:
    """Every item with its latest version; the form to add one."""
    return _editor(request, db, item=None)


def _editor(
    request: Request,
    db: Session,
    *,
    item: dict[str, Any] | None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"entries": catalogue.entries(db, active_only=False), "item": item, "error": error}
    return _page(request, "approvals_catalogue_edit.html", context, status_code=status_code)


@router.get("/approvals/catalogue/{code}")
def edit_item_page(request: Request, db: DbSession, principal: Editor, code: str) -> Response:
    """The editor, filled with an item's latest version."""
    entry = catalogue.latest(db, code=code)
    v = entry.version
    item = {
        "code": entry.item.code, "name_zh": v.name_zh, "name_en": v.name_en,
        "department": v.department, "description": v.description,
        "time_limit_days": v.time_limit_days, "version": v.version,
        "definition": json.dumps(v.definition, ensure_ascii=False, indent=2),
    }  # fmt: skip
    return _editor(request, db, item=item)


@router.post("/approvals/catalogue")
def save_item(
    request: Request,
    db: DbSession,
    principal: Editor,
    code: Annotated[str, Form(max_length=40)],
    name_zh: Annotated[str, Form(max_length=200)],
    name_en: Annotated[str, Form(max_length=200)],
    department: Annotated[str, Form(max_length=200)],
    time_limit_days: Annotated[int, Form()],
    definition: Annotated[str, Form(max_length=100_000)],
    description: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Save the item: a new code makes version 1, a change makes the next version."""
    posted = {
        "code": code.strip(), "name_zh": name_zh, "name_en": name_en, "department": department,
        "description": description, "time_limit_days": time_limit_days, "definition": definition,
    }  # fmt: skip
    try:
        data = ItemIn.model_validate({**posted, "definition": json.loads(definition)})
        catalogue.save(db, data=data, actor=principal)
    except (ValidationError, ValueError) as bad:
        db.rollback()
        error = (
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in bad.errors()[:5])
            if isinstance(bad, ValidationError)
            else f"definition is not JSON: {bad}"
        )
        return _editor(request, db, item=posted, error=error, status_code=422)
    return RedirectResponse(f"/approvals/catalogue/{data.code}", status_code=303)
