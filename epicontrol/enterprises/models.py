"""Tables of enterprise resumption: companies, their representatives, employees, applications,
and the phases in which the command lets companies back to work (复工复产白名单 whitelist)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
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


class Category(StrEnum):
    """Essential categories, most urgent first: the order in which phases usually admit them."""

    MEDICAL_SUPPLIES = "medical_supplies"  # 防疫物资 masks, protective clothing, disinfectant
    DAILY_NECESSITIES = "daily_necessities"  # 生活必需品 food, household goods
    UTILITIES_TRANSPORT = "utilities_transport"  # 公用事业与交通 water, power, gas, logistics
    MAJOR_INDUSTRY = "major_industry"  # 重点工业企业 other major industrial companies
    OTHER = "other"


class ApplicationStatus(StrEnum):
    """Where a resumption application stands."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"
    SUSPENDED = "suspended"


class Enterprise(Base):
    """A company as registered by its representative; `division_id` is where it operates."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    sector: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(32), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    workforce: Mapped[int] = mapped_column(Integer)
    measures: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of checklist keys
    measures_note: Mapped[str] = mapped_column(Text, default="")
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EnterpriseMember(Base):
    """A login that represents a company: one company per login."""

    __tablename__ = "enterprise_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)


class EnterpriseEmployee(Base):
    """One line of a company's employee list: the ID number only as the residents' lookup hash,
    the name and phone encrypted, and the resident it matched (None: not in the register)."""

    __tablename__ = "enterprise_employees"
    __table_args__ = (UniqueConstraint("enterprise_id", "id_number_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    id_number_hash: Mapped[str] = mapped_column(String(64))
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    name_masked: Mapped[str] = mapped_column(String(40))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResumptionPhase(Base):
    """A phase of resumption in a division's subtree: from `opens_on`, and before `closes_on`
    when an officer closed it early, companies of the listed categories may be approved (Huzhou
    let the major companies back first). `notes` says what the phase is for, as the officer
    wrote it; it is published with the whitelist."""

    __tablename__ = "resumption_phases"
    __table_args__ = (UniqueConstraint("division_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    categories: Mapped[str] = mapped_column(String(200))  # comma-separated Category values
    notes: Mapped[str | None] = mapped_column(String(500))  # what the phase is for (officer's)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResumptionApplication(Base):
    """A company's application to resume work; one per company. `version` grows with each
    decision so that two officers deciding at once cannot both succeed (compare-and-set)."""

    __tablename__ = "resumption_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("resumption_phases.id"), index=True)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(400), default="")  # refusal or suspension
    yellow_measure: Mapped[str] = mapped_column(String(400), default="")
