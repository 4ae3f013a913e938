"""Tables of non-meeting approvals (不见面审批): catalogue items and their versions,
applications, their attachments and their history.

An item's definition (form, attachments, review steps, delivery options) is frozen in a
version row: editing an item adds a version, and an application keeps the version it was made
under. `row_version` of an application is its compare-and-set counter: every transition is one
conditional UPDATE on it, so of two reviewers acting at once exactly one wins (the other 409).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class Status(StrEnum):
    """Where an application stands."""

    DRAFT = "draft"  # being filled in by the applicant
    IN_REVIEW = "in_review"  # submitted; `current_step` says which review step holds it
    RETURNED = "returned"  # sent back for correction (补正); the applicant edits and resubmits
    APPROVED = "approved"
    REJECTED = "rejected"


class Delivery(StrEnum):
    """How the result reaches the applicant."""

    ELECTRONIC = "electronic"  # the applicant downloads the certificate
    COURIER = "courier"  # 邮寄送达: the paper certificate goes by courier


class DeliveryStatus(StrEnum):
    """Courier delivery of an approved result."""

    AWAITING = "awaiting"  # approved, not sent yet
    SENT = "sent"
    DELIVERED = "delivered"


class ApprovalItem(Base):
    """One kind of administrative approval (审批事项), by its stable code."""

    __tablename__ = "approval_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalItemVersion(Base):
    """One version of an item's definition; never changed once an application uses it."""

    __tablename__ = "approval_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("approval_items.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    time_limit_days: Mapped[int] = mapped_column(Integer)  # legal limit, in working days
    # The definition as schemas.ItemDefinition dumps it (fields, attachments, steps, delivery).
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalApplication(Base):
    """One application (申请) by a resident or an enterprise."""

    __tablename__ = "approval_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("approval_item_versions.id"))
    applicant_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"))
    division_path: Mapped[str] = mapped_column(String(200))  # the applicant's, at application
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT.value, index=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    # The path of the division whose reviewers hold the current step (the reviewer queue's scope).
    reviewer_path: Mapped[str | None] = mapped_column(String(200), index=True)
    # The answers as JSON, encrypted (they hold names and ID numbers): core/crypto's vault.
    answers_enc: Mapped[bytes] = mapped_column(LargeBinary)
    delivery: Mapped[str] = mapped_column(String(16))
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # courier address, encrypted
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_on: Mapped[date | None] = mapped_column(Date)  # the legal time limit's last working day
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # of the last return or the rejection
    verification_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    courier_company: Mapped[str | None] = mapped_column(String(16))
    tracking_number: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalAttachment(Base):
    """An uploaded file of an application, stored under settings.data_dir by its SHA-256."""

    __tablename__ = "approval_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("approval_applications.id"), index=True)
    requirement: Mapped[str] = mapped_column(String(120))  # the item's attachment name
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, cleaned
    content_type: Mapped[str] = mapped_column(String(80))  # sniffed from the bytes
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalEvent(Base):
    """One step of an application's history: submitted, approved at a step, returned, ..."""

    __tablename__ = "approval_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("approval_applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    step: Mapped[int | None] = mapped_column(Integer)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
