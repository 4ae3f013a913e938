"""An applicant's side: fill the form, attach documents, submit, follow the application.

Every change of an application's state is one compare-and-set UPDATE (`transition`): the
caller names the row_version it saw, and a stale one gets 409 instead of overwriting.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.approvals import attachments, forms
from epicontrol.approvals.catalogue import definition_of, latest
from epicontrol.approvals.models import (
    ApprovalApplication,
    ApprovalAttachment,
    ApprovalEvent,
    ApprovalItemVersion,
    Delivery,
    Status,
)
from epicontrol.approvals.schemas import ItemDefinition
from epicontrol.approvals.workdays import add_working_days
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.errors import Conflict, InvalidInput, NotFound
from epicontrol.divisions.models import Division

_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
EDITABLE = (Status.DRAFT.value, Status.RETURNED.value)


@dataclass(frozen=True, slots=True)
class Filled:
    """What the applicant typed: the form's answers, how the result should come, an address."""

    answers: Mapping[str, object]
    delivery: str
    address: str = ""


def new_reference() -> str:
    """A reference applicants quote (SP + 10 characters nobody misreads)."""
    return "SP" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def version_of(db: Session, application: ApprovalApplication) -> ApprovalItemVersion:
    """The item version an application was made under."""
    version = db.get(ApprovalItemVersion, application.item_version_id)
    assert version is not None  # a foreign key
    return version


def _checked(definition: ItemDefinition, filled: Filled) -> tuple[forms.Answers, str, str]:
    errors: dict[str, str] = {}
    try:
        answers = forms.validate(definition, filled.answers)
    except forms.InvalidFields as bad:
        errors.update(bad.errors)
        answers = {}
    allowed = [d.value for d in definition.delivery]
    if filled.delivery not in allowed:
        errors["delivery"] = f"one of {', '.join(allowed)}"
    address = filled.address.strip()
    if filled.delivery == Delivery.COURIER.value and not 5 <= len(address) <= 300:
        errors["courier_address"] = "a postal address (5 to 300 characters) for the courier"
    if errors:
        raise forms.InvalidFields(errors)
    return answers, filled.delivery, address


def create(
    db: Session, *, principal: Principal, vault: PersonalDataVault, code: str, filled: Filled
) -> ApprovalApplication:
    """A draft under the item's latest version; InvalidFields (422) stores nothing."""
    entry = latest(db, code=code)
    answers, delivery, address = _checked(entry.definition, filled)
    application = ApprovalApplication(
        reference=new_reference(),
        item_version_id=entry.version.id,
        applicant_user_id=principal.user_id,
        division_id=principal.division_id,
        division_path=principal.division_path,
        status=Status.DRAFT.value,
        row_version=1,
        current_step=0,
        answers_enc=vault.encrypt(json.dumps(answers, ensure_ascii=False)),
        delivery=delivery,
        address_enc=vault.encrypt(address) if address else None,
    )
    db.add(application)
    db.flush()
    _event(db, application, "created", principal)
    audit.record(
        db, actor=principal, action="create", entity="approval_application",
        entity_id=application.id, detail={"item": code},
    )  # fmt: skip
    return application


def own(db: Session, *, principal: Principal, application_id: int) -> ApprovalApplication:
    """The caller's own application, or 404 (someone else's is not theirs to know of)."""
    application = db.get(ApprovalApplication, application_id)
    if application is None or application.applicant_user_id != principal.user_id:
        raise NotFound(f"no application {application_id} of yours")
    return application


def mine(
    db: Session, *, principal: Principal
) -> list[tuple[ApprovalApplication, ApprovalItemVersion]]:
    """The caller's applications, newest first, with their item versions."""
    rows = db.execute(
        select(ApprovalApplication, ApprovalItemVersion)
        .join(ApprovalItemVersion, ApprovalItemVersion.id == ApprovalApplication.item_version_id)
        .where(ApprovalApplication.applicant_user_id == principal.user_id)
        .order_by(ApprovalApplication.id.desc())
    )
    return list(rows)


def answers_of(vault: PersonalDataVault, application: ApprovalApplication) -> dict[str, Any]:
    """The decrypted answers (callers audit the read)."""
    loaded: dict[str, Any] = json.loads(vault.decrypt(application.answers_enc))
    return loaded


def transition(
    db: Session,
    application: ApprovalApplication,
    *,
    expected_version: int,
    statuses: Collection[str],
    **values: Any,
) -> None:
    """Compare-and-set: apply `values` only if the row is still at `expected_version` and in
    one of `statuses`; else 409 (someone acted first) and nothing changes."""
    changed = db.execute(
        update(ApprovalApplication)
        .where(
            ApprovalApplication.id == application.id,
            ApprovalApplication.row_version == expected_version,
            ApprovalApplication.status.in_(list(statuses)),
        )
        .values(row_version=expected_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "this application was changed by someone else in the meantime: reload and try again"
        )
    db.refresh(application)


def edit(
    db: Session,
    *,
    principal: Principal,
    vault: PersonalDataVault,
    application_id: int,
    expected_version: int,
    filled: Filled,
) -> ApprovalApplication:
    """New answers for a draft or a returned application (same item version)."""
    application = own(db, principal=principal, application_id=application_id)
    definition = definition_of(version_of(db, application))
    answers, delivery, address = _checked(definition, filled)
    transition(
        db, application, expected_version=expected_version, statuses=EDITABLE,
        answers_enc=vault.encrypt(json.dumps(answers, ensure_ascii=False)),
        delivery=delivery, address_enc=vault.encrypt(address) if address else None,
    )  # fmt: skip
    _event(db, application, "edited", principal)
    return application


def attach(
    db: Session,
    *,
    principal: Principal,
    data_dir: Path,
    secret: str,
    application_id: int,
    requirement: str,
    filename: str,
    data: bytes,
) -> ApprovalAttachment:
    """Attach a file to a draft or returned application; replaces an earlier one of the same
    requirement. Type and size are judged on the clear bytes, then the file is stored encrypted
    under a key derived from `secret`. InvalidInput (type, size) stores nothing."""
    application = own(db, principal=principal, application_id=application_id)
    if application.status not in EDITABLE:
        raise Conflict("attachments can be changed only before submission or when returned")
    definition = definition_of(version_of(db, application))
    rule = next((a for a in definition.attachments if a.name == requirement), None)
    if rule is None:
        raise InvalidInput(f"this item asks for no attachment {requirement!r}")
    content_type = attachments.check(rule, data)
    digest = attachments.store(data_dir, application.id, data, secret=secret)
    for old in db.scalars(
        select(ApprovalAttachment).where(
            ApprovalAttachment.application_id == application.id,
            ApprovalAttachment.requirement == requirement,
        )
    ):
        db.delete(old)
    attachment = ApprovalAttachment(
        application_id=application.id,
        requirement=requirement,
        filename=attachments.clean_filename(filename),
        content_type=content_type,
        size=len(data),
        sha256=digest,
    )
    db.add(attachment)
    db.flush()
    _event(db, application, "attached", principal, note=rule.label_en)
    return attachment


def attachments_of(db: Session, application_id: int) -> list[ApprovalAttachment]:
    """An application's attachments, in upload order."""
    return list(
        db.scalars(
            select(ApprovalAttachment)
            .where(ApprovalAttachment.application_id == application_id)
            .order_by(ApprovalAttachment.id)
        )
    )


def submit(
    db: Session,
    *,
    principal: Principal,
    application_id: int,
    expected_version: int,
    now: datetime,
    today: date,
    holidays: Collection[date],
) -> ApprovalApplication:
    """Submit (or resubmit after a return): review starts at the first step, and the legal
    time limit counts from today (a corrected application is accepted anew, 行政许可法 art. 32)."""
    application = own(db, principal=principal, application_id=application_id)
    version = version_of(db, application)
    definition = definition_of(version)
    attached = {a.requirement for a in attachments_of(db, application.id)}
    missing = [a.label_en for a in definition.attachments if a.required and a.name not in attached]
    if missing:
        raise InvalidInput(f"attach first: {', '.join(missing)}")
    was_returned = application.status == Status.RETURNED.value
    transition(
        db, application, expected_version=expected_version, statuses=EDITABLE,
        status=Status.IN_REVIEW.value, current_step=0, submitted_at=now,
        reviewer_path=reviewing_path(db, application.division_path, definition, 0),
        due_on=add_working_days(today, version.time_limit_days, holidays), reason=None,
    )  # fmt: skip
    _event(db, application, "resubmitted" if was_returned else "submitted", principal)
    return application


def reviewing_path(db: Session, division_path: str, definition: ItemDefinition, step: int) -> str:
    """The path of the division whose reviewers hold `step`: the applicant's ancestor at the
    step's level, or the applicant's own division when it is above that level."""
    level = definition.steps[step].level.value
    ids = [int(part) for part in division_path.strip("/").split("/") if part]
    found = db.scalar(select(Division.path).where(Division.id.in_(ids), Division.level == level))
    return found or division_path


def _event(
    db: Session,
    application: ApprovalApplication,
    action: str,
    principal: Principal | None,
    *,
    step: int | None = None,
    note: str = "",
) -> None:
    db.add(
        ApprovalEvent(
            application_id=application.id,
            action=action,
            step=step,
            actor_user_id=principal.user_id if principal is not None else None,
            note=note,
        )
    )


record_event = _event


def history(db: Session, application_id: int) -> list[ApprovalEvent]:
    """An application's events, oldest first."""
    return list(
        db.scalars(
            select(ApprovalEvent)
            .where(ApprovalEvent.application_id == application_id)
            .order_by(ApprovalEvent.id)
        )
    )
