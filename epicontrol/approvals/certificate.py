"""The result document (an HTML certificate to print or save as PDF, with its verification code
and a QR code of the public verification page) and attachment downloads, both audited."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from epicontrol.approvals import applications, forms
from epicontrol.approvals.attachments import load
from epicontrol.approvals.catalogue import definition_of
from epicontrol.approvals.models import ApprovalApplication, ApprovalAttachment, Status
from epicontrol.approvals.page_support import TEMPLATE_HELPERS, qr_svg, verification_url
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.errors import Conflict, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.web.templating import render


def page(
    request: Request,
    db: Session,
    vault: PersonalDataVault,
    application: ApprovalApplication,
    *,
    reader: Principal,
) -> Response:
    """The certificate of an approved application."""
    if application.status != Status.APPROVED.value or not application.verification_code:
        raise Conflict("there is a certificate only for an approved application")
    version = applications.version_of(db, application)
    definition = definition_of(version)
    answers = applications.answers_of(vault, application)
    url = verification_url(request, application.verification_code)
    audit.record(
        db, actor=reader, action="certificate", entity="approval_application",
        entity_id=application.id, purpose="result document",
    )  # fmt: skip
    context = {
        **TEMPLATE_HELPERS,
        "a": application,
        "version": version,
        "shown": forms.shown(definition, answers),
        "decided_on": local_date(application.decided_at) if application.decided_at else None,
        "verify_url": url,
        "qr": qr_svg(url),
    }
    response = render(request, "approvals_certificate.html", context)
    response.headers["Cache-Control"] = "no-store"  # personal: no shared cache keeps it
    return response


def file_response(
    db: Session,
    data_dir: Path,
    application: ApprovalApplication,
    attachment_id: int,
    *,
    secret: str,
    reader: Principal,
) -> Response:
    """An attachment of `application` (the caller checked the application is theirs to see),
    decrypted, as a download with its sniffed type: never rendered inline by the browser. A
    stored file that fails its integrity check is StoredFileUnreadable (500), never served."""
    attachment = db.get(ApprovalAttachment, attachment_id)
    if attachment is None or attachment.application_id != application.id:
        raise NotFound(f"no attachment {attachment_id} of this application")
    content = load(data_dir, attachment, secret=secret)
    audit.record(
        db, actor=reader, action="download", entity="approval_attachment",
        entity_id=attachment.id, detail={"application": application.id},
    )  # fmt: skip
    safe_name = attachment.filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        content,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
