"""Reviewers' side: the queue of their division (overdue first), decisions step by step, and the
courier delivery of approved results. Each decision is a compare-and-set transition."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.approvals.applications import record_event, reviewing_path, transition, version_of
from epicontrol.approvals.catalogue import definition_of
from epicontrol.approvals.models import (
    ApprovalApplication,
    ApprovalItem,
    ApprovalItemVersion,
    Delivery,
    DeliveryStatus,
    Status,
)
from epicontrol.approvals.workdays import is_overdue
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import local_date

# Verification codes: 12 characters of 31 (59 bits), not guessable by walking the codes.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12

# Waybill formats of the couriers an officer may pick (the shapes their tracking pages accept).
COURIERS: dict[str, tuple[str, re.Pattern[str]]] = {
    "EMS": ("中国邮政EMS China Post EMS", re.compile(r"^(?:[A-Z]{2}\d{9}[A-Z]{2}|\d{13})$")),
    "SF": ("顺丰速运 SF Express", re.compile(r"^SF\d{12,13}$")),
    "JD": ("京东物流 JD Logistics", re.compile(r"^JD[A-Z0-9]{13,15}$")),
    "ZTO": ("中通快递 ZTO Express", re.compile(r"^\d{12,15}$")),
    "YTO": ("圆通速递 YTO Express", re.compile(r"^YT\d{13,15}$")),
}


STALE = "this application was changed by someone else in the meantime: reload and try again"


class Action(StrEnum):
    """What a reviewer decides at a step."""

    APPROVE = "approve"
    RETURN = "return"  # back to the applicant for correction (补正)
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One application waiting for the caller."""

    application: ApprovalApplication
    version: ApprovalItemVersion
    code: str
    is_overdue: bool

    @property
    def step_name(self) -> str:
        step = definition_of(self.version).steps[self.application.current_step]
        return f"{step.name_zh} {step.name_en}"


def queue(db: Session, *, principal: Principal, today: date) -> list[QueueRow]:
    """Applications whose current step the caller's division holds: overdue first, then by
    the nearest legal deadline."""
    rows = db.execute(
        select(ApprovalApplication, ApprovalItemVersion, ApprovalItem.code)
        .join(ApprovalItemVersion, ApprovalItemVersion.id == ApprovalApplication.item_version_id)
        .join(ApprovalItem, ApprovalItem.id == ApprovalItemVersion.item_id)
        .where(
            ApprovalApplication.status == Status.IN_REVIEW.value,
            ApprovalApplication.reviewer_path.startswith(principal.division_path, autoescape=True),
        )
        .order_by(ApprovalApplication.due_on, ApprovalApplication.id)
    )
    found = [QueueRow(a, v, code, is_overdue(a.due_on, today)) for a, v, code in rows]
    return sorted(found, key=lambda row: not row.is_overdue)  # stable: due date within each


def in_scope(
    db: Session, *, principal: Principal, application_id: int, purpose: str
) -> ApprovalApplication:
    """An application of the caller's division subtree (audited read), or 404/403."""
    application = db.get(ApprovalApplication, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}")
    if not (
        application.division_path.startswith(principal.division_path)
        or (application.reviewer_path or "").startswith(principal.division_path)
    ):
        raise AccessDenied(
            "this application belongs to a division outside your scope",
            action="read", entity="approval_application", entity_id=str(application_id),
        )  # fmt: skip
    audit.record(
        db, actor=principal, action="read", entity="approval_application",
        entity_id=application_id, purpose=purpose or "approval review",
    )  # fmt: skip
    return application


def _holds_step(principal: Principal, application: ApprovalApplication) -> None:
    if not (application.reviewer_path or "").startswith(principal.division_path):
        raise AccessDenied(
            "the current step is reviewed by another division",
            action="review", entity="approval_application", entity_id=str(application.id),
        )  # fmt: skip


def new_verification_code() -> str:
    """A fresh verification code for a result document."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def decide(
    db: Session,
    *,
    principal: Principal,
    application_id: int,
    expected_version: int,
    action: Action,
    reason: str,
    now: datetime,
) -> ApprovalApplication:
    """Approve the current step (the last one approves the application), return it for
    correction or reject it; a return or rejection needs a reason. 409 if someone acted first."""
    application = db.get(ApprovalApplication, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}")
    if application.row_version != expected_version:
        # Stale before anything else: whoever acted first may have moved it out of our scope.
        raise Conflict(STALE)
    _holds_step(principal, application)
    reason = reason.strip()
    if action != Action.APPROVE and not reason:
        raise InvalidInput("give the reason: the applicant sees it")
    if application.status != Status.IN_REVIEW.value:
        raise Conflict(f"this application is {application.status}, not in review")
    step = application.current_step
    definition = definition_of(version_of(db, application))
    values: dict[str, Any]
    if action == Action.RETURN:
        values = {"status": Status.RETURNED.value, "reason": reason}
    elif action == Action.REJECT:
        values = {"status": Status.REJECTED.value, "reason": reason, "decided_at": now}
    elif step + 1 < len(definition.steps):
        next_path = reviewing_path(db, application.division_path, definition, step + 1)
        values = {"current_step": step + 1, "reviewer_path": next_path}
    else:
        courier = application.delivery == Delivery.COURIER.value
        values = {
            "status": Status.APPROVED.value,
            "decided_at": now,
            "verification_code": new_verification_code(),
            "reason": None,
            "delivery_status": DeliveryStatus.AWAITING.value if courier else None,
        }
    transition(
        db, application, expected_version=expected_version,
        statuses=(Status.IN_REVIEW.value,), **values,
    )  # fmt: skip
    record_event(db, application, action.value, principal, step=step, note=reason)
    audit.record(
        db, actor=principal, action=action.value, entity="approval_application",
        entity_id=application.id, detail={"step": step},
    )  # fmt: skip
    return application


def send_by_courier(
    db: Session,
    *,
    principal: Principal,
    application_id: int,
    expected_version: int,
    company: str,
    tracking_number: str,
) -> ApprovalApplication:
    """Record the courier and waybill of an approved result (delivery status: sent)."""
    number = re.sub(r"\s", "", tracking_number).upper()
    if company not in COURIERS:
        raise InvalidInput(f"courier must be one of {', '.join(COURIERS)}")
    if not COURIERS[company][1].match(number):
        raise InvalidInput(f"{number!r} is not a {company} tracking number")
    application = _approved_for_courier(db, principal, application_id)
    transition(
        db, application, expected_version=expected_version, statuses=(Status.APPROVED.value,),
        courier_company=company, tracking_number=number, delivery_status=DeliveryStatus.SENT.value,
    )  # fmt: skip
    record_event(db, application, "sent", principal, note=f"{company} {number}")
    return application


def mark_delivered(
    db: Session, *, principal: Principal, application_id: int, expected_version: int
) -> ApprovalApplication:
    """The courier reports the result delivered."""
    application = _approved_for_courier(db, principal, application_id)
    if application.delivery_status != DeliveryStatus.SENT.value:
        raise Conflict("only a sent result can be marked delivered")
    transition(
        db, application, expected_version=expected_version, statuses=(Status.APPROVED.value,),
        delivery_status=DeliveryStatus.DELIVERED.value,
    )  # fmt: skip
    record_event(db, application, "delivered", principal)
    return application


def _approved_for_courier(
    db: Session, principal: Principal, application_id: int
) -> ApprovalApplication:
    application = db.get(ApprovalApplication, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}")
    _holds_step(principal, application)
    if application.status != Status.APPROVED.value or application.delivery != "courier":
        raise Conflict("only an approved application to be sent by courier has a delivery")
    return application


@dataclass(frozen=True, slots=True)
class Verified:
    """What the public verification page may show: no person, no reference."""

    name_zh: str
    name_en: str
    department: str
    decided_on: date | None
    status: str


def verify(db: Session, *, code: str) -> Verified:
    """The public facts of the result with this verification code, or 404."""
    normalised = re.sub(r"[^0-9A-Z]", "", code.upper())
    row = db.execute(
        select(ApprovalApplication, ApprovalItemVersion)
        .join(ApprovalItemVersion, ApprovalItemVersion.id == ApprovalApplication.item_version_id)
        .where(ApprovalApplication.verification_code == normalised)
    ).first()
    if row is None or len(normalised) != CODE_LENGTH:
        raise NotFound("no result with this verification code")
    application, version = row
    return Verified(
        name_zh=version.name_zh,
        name_en=version.name_en,
        department=version.department,
        decided_on=local_date(application.decided_at) if application.decided_at else None,
        status=application.status,
    )
