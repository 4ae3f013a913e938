"""Applicants' pages (zh/en): the public catalogue and verification page, the form rendered
from an item's definition, my applications, attachments, submission and the result.

- GET  /public/approvals                          the catalogue (anyone)
- GET  /public/approvals/items/{code}             an item: what it needs, steps, time limit
- GET  /public/approvals/verify/{code}            a result's public check: item, date, status
- GET  /public/me/approvals                       my applications (APPROVAL_APPLY)
- GET  /public/me/approvals/new/{code}            the form; POST stores a draft (422 per field)
- GET  /public/me/approvals/{id}                  status, attachments, history, result
- GET  /public/me/approvals/{id}/edit             the form again (draft or returned); POST saves
- POST /public/me/approvals/{id}/attachments      upload one required document
- POST /public/me/approvals/{id}/submit           submit or resubmit
- GET  /public/me/approvals/{id}/attachments/{n}  my own uploaded file
- GET  /public/me/approvals/{id}/certificate      the result document (electronic delivery)
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from epicontrol.approvals import applications, attachments, certificate, forms, review
from epicontrol.approvals.catalogue import definition_of, entries, latest
from epicontrol.approvals.models import ApprovalApplication, Delivery, Status
from epicontrol.approvals.page_support import (
    TEMPLATE_HELPERS,
    Posted,
    expected_version,
    filled_from,
    pick,
    today,
)
from epicontrol.approvals.schemas import ItemDefinition
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, Vault, require
from epicontrol.core.errors import EpicontrolError, InvalidInput
from epicontrol.core.policy import Permission
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Applicant = Annotated[Principal, Depends(require(Permission.APPROVAL_APPLY))]
MINE = "/public/me/approvals"


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, name, {**TEMPLATE_HELPERS, **context}, status_code=status_code)


@router.get("/public/approvals")
def catalogue_page(request: Request, db: DbSession) -> Response:
    """Every active item, by department."""
    return _page(request, "approvals_catalogue.html", {"entries": entries(db)})


@router.get("/public/approvals/items/{code}")
def item_page(request: Request, db: DbSession, code: str) -> Response:
    """One item: its documents, steps, time limit and delivery."""
    entry = latest(db, code=code)
    return _page(request, "approvals_item.html", {"entry": entry, "d": entry.definition})


@router.get("/public/approvals/verify/{code}")
def verify_page(request: Request, db: DbSession, code: str) -> Response:
    """Whether a result document is genuine: item, date, status; nothing about the person."""
    try:
        found: review.Verified | None = review.verify(db, code=code)
    except EpicontrolError:
        found = None
    return _page(
        request, "approvals_verify.html", {"found": found}, status_code=200 if found else 404
    )


@router.get(MINE)
def my_applications(request: Request, db: DbSession, principal: Applicant) -> Response:
    """My applications, newest first."""
    rows = applications.mine(db, principal=principal)
    return _page(request, "approvals_mine.html", {"rows": rows, "today": today()})


def _form_page(
    request: Request,
    *,
    code: str,
    definition: ItemDefinition,
    action: str,
    values: dict[str, Any],
    errors: dict[str, str],
    row_version: int = 0,
    status_code: int = 200,
) -> Response:
    context = {
        "code": code,
        "d": definition,
        "action": action,
        "values": values,
        "errors": errors,
        "row_version": row_version,
    }
    return _page(request, "approvals_form.html", context, status_code=status_code)


@router.get(MINE + "/new/{code}")
def new_form(request: Request, db: DbSession, principal: Applicant, code: str) -> Response:
    """The application form of an item's latest version."""
    entry = latest(db, code=code)
    return _form_page(
        request, code=code, definition=entry.definition, action=f"{MINE}/new/{code}",
        values={}, errors={},
    )  # fmt: skip


@router.post(MINE + "/new/{code}")
def create(
    request: Request, db: DbSession, principal: Applicant, vault: Vault, code: str, form: Posted
) -> Response:
    """Store a draft; a wrong answer gives the form back (422) with a message per field."""
    entry = latest(db, code=code)
    filled = filled_from(entry.definition, form)
    try:
        made = applications.create(db, principal=principal, vault=vault, code=code, filled=filled)
    except forms.InvalidFields as bad:
        db.rollback()
        return _form_page(
            request, code=code, definition=entry.definition, action=f"{MINE}/new/{code}",
            values=dict(form), errors=bad.errors, status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"{MINE}/{made.id}", status_code=303)


def _detail(
    request: Request,
    db: Session,
    principal: Principal,
    vault: Vault,
    application: ApprovalApplication,
    *,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    version = applications.version_of(db, application)
    definition = definition_of(version)
    answers = applications.answers_of(vault, application)
    audit.record(
        db, actor=principal, action="read", entity="approval_application",
        entity_id=application.id, purpose="own application",
    )  # fmt: skip
    context = {
        "a": application,
        "version": version,
        "d": definition,
        "shown": forms.shown(definition, answers, pick),
        "files": {f.requirement: f for f in applications.attachments_of(db, application.id)},
        "events": applications.history(db, application.id),
        "editable": application.status in applications.EDITABLE,
        "message": message,
        "Status": Status,
        "Delivery": Delivery,
        "couriers": review.COURIERS,
    }
    return _page(request, "approvals_mine_detail.html", context, status_code=status_code)


@router.get(MINE + "/{application_id}")
def my_application(
    request: Request, db: DbSession, principal: Applicant, vault: Vault, application_id: int
) -> Response:
    """One of my applications."""
    application = applications.own(db, principal=principal, application_id=application_id)
    return _detail(request, db, principal, vault, application)


@router.get(MINE + "/{application_id}/edit")
def edit_form(
    request: Request, db: DbSession, principal: Applicant, vault: Vault, application_id: int
) -> Response:
    """The form again, filled with the stored answers (draft or returned for correction)."""
    application = applications.own(db, principal=principal, application_id=application_id)
    definition = definition_of(applications.version_of(db, application))
    values = {k: str(v) for k, v in applications.answers_of(vault, application).items()}
    values["delivery"] = application.delivery
    if application.address_enc:
        values["courier_address"] = vault.decrypt(application.address_enc)
    return _form_page(
        request, code="", definition=definition, action=f"{MINE}/{application_id}/edit",
        values=values, errors={}, row_version=application.row_version,
    )  # fmt: skip


@router.post(MINE + "/{application_id}/edit")
def edit(
    request: Request,
    db: DbSession,
    principal: Applicant,
    vault: Vault,
    application_id: int,
    form: Posted,
) -> Response:
    """Save corrected answers; 422 with the form back, 409 if it changed meanwhile."""
    application = applications.own(db, principal=principal, application_id=application_id)
    definition = definition_of(applications.version_of(db, application))
    try:
        applications.edit(
            db, principal=principal, vault=vault, application_id=application_id,
            expected_version=expected_version(form), filled=filled_from(definition, form),
        )  # fmt: skip
    except forms.InvalidFields as bad:
        db.rollback()
        return _form_page(
            request, code="", definition=definition, action=f"{MINE}/{application_id}/edit",
            values=dict(form), errors=bad.errors, row_version=application.row_version,
            status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"{MINE}/{application_id}", status_code=303)


@router.post(MINE + "/{application_id}/attachments")
def upload(
    request: Request,
    db: DbSession,
    principal: Applicant,
    vault: Vault,
    settings: SettingsDep,
    application_id: int,
    requirement: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Attach one document; a wrong type or size gives the page back with the reason."""
    try:
        data = attachments.read_limited(file.file, settings.approval_upload_max_bytes)
        applications.attach(
            db, principal=principal, data_dir=settings.data_dir, secret=settings.secret_key,
            application_id=application_id, requirement=requirement,
            filename=file.filename or "file", data=data,
        )  # fmt: skip
    except InvalidInput as bad:
        db.rollback()
        application = applications.own(db, principal=principal, application_id=application_id)
        return _detail(request, db, principal, vault, application, message=bad.message,
                       status_code=bad.status_code)  # fmt: skip
    return RedirectResponse(f"{MINE}/{application_id}#attachments", status_code=303)


@router.post(MINE + "/{application_id}/submit")
def submit(
    request: Request,
    db: DbSession,
    principal: Applicant,
    vault: Vault,
    settings: SettingsDep,
    application_id: int,
    row_version: Annotated[int, Form()],
) -> Response:
    """Submit for review (or resubmit after a correction)."""
    try:
        applications.submit(
            db, principal=principal, application_id=application_id, expected_version=row_version,
            now=utcnow(), today=today(), holidays=settings.approval_holidays,
        )  # fmt: skip
    except InvalidInput as bad:
        db.rollback()
        application = applications.own(db, principal=principal, application_id=application_id)
        return _detail(request, db, principal, vault, application, message=bad.message,
                       status_code=bad.status_code)  # fmt: skip
    return RedirectResponse(f"{MINE}/{application_id}", status_code=303)


@router.get(MINE + "/{application_id}/attachments/{attachment_id}")
def my_file(
    db: DbSession, principal: Applicant, settings: SettingsDep, application_id: int,
    attachment_id: int,
) -> Response:  # fmt: skip
    """A file I uploaded."""
    application = applications.own(db, principal=principal, application_id=application_id)
    return certificate.file_response(
        db, settings.data_dir, application, attachment_id, secret=settings.secret_key,
        reader=principal,
    )  # fmt: skip


@router.get(MINE + "/{application_id}/certificate")
def my_certificate(
    request: Request, db: DbSession, principal: Applicant, vault: Vault, application_id: int
) -> Response:
    """The result document of an approved application (electronic delivery)."""
    application = applications.own(db, principal=principal, application_id=application_id)
    if application.delivery != Delivery.ELECTRONIC.value:
        raise InvalidInput("this result is delivered by courier, not for download")
    return certificate.page(request, db, vault, application, reader=principal)
