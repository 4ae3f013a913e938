"""Residents' self-checks, daily reports and public reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class SelfCheck(Base):
    """One resident's fever self-check and the triage advice it gave.

    Risk status reads `fever` and `cleared_at`: a fever reported here keeps the resident yellow
    until cleared (health_code/rules.py)."""

    __tablename__ = "self_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    temperature: Mapped[float | None] = mapped_column(Float)
    fever: Mapped[bool] = mapped_column(Boolean, default=False)
    # "home", "fever_clinic" or "emergency": the advice given.
    triage: Mapped[str] = mapped_column(String(16))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(80))
    # The answers behind the advice (rules.Symptom / rules.Exposure codes, comma-separated) and
    # the reasons shown, so the advice can be explained later exactly as it was given.
    symptoms: Mapped[str] = mapped_column(String(400), default="")
    exposures: Mapped[str] = mapped_column(String(200), default="")
    travel: Mapped[str] = mapped_column(Text, default="")  # JSON list of {place, region_code, on}
    reasons: Mapped[str] = mapped_column(Text, default="")  # JSON list of strings
    clinic_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    clear_note: Mapped[str | None] = mapped_column(String(300))


class TipKind(StrEnum):
    """What a public report (举报 / 自主申报) is about."""

    UNREPORTED_ARRIVAL = "unreported_arrival"  # 风险地区来人未报备
    HIDDEN_SYMPTOMS = "hidden_symptoms"  # 隐瞒症状
    GATHERING = "gathering"  # 聚集
    PRICE_GOUGING = "price_gouging"  # 哄抬物价
    OTHER = "other"


class TipStatus(StrEnum):
    """Where a report stands in the officers' triage queue."""

    NEW = "new"
    IN_REVIEW = "in_review"
    CLOSED = "closed"


class TipOutcome(StrEnum):
    """What came of a report; required to close it."""

    ACTION_TAKEN = "action_taken"  # 已处置: checked and dealt with
    REFERRED = "referred"  # 已移交: passed to market regulation, public security, CDC...
    UNFOUNDED = "unfounded"  # 查无实据: checked, nothing found
    DUPLICATE = "duplicate"  # 重复: same matter as another report
    NOT_ACTIONABLE = "not_actionable"  # 信息不足: too little to act on


# Moves a report may make; reopening a closed report is allowed and audited like any other.
TIP_TRANSITIONS: dict[TipStatus, frozenset[TipStatus]] = {
    TipStatus.NEW: frozenset({TipStatus.IN_REVIEW, TipStatus.CLOSED}),
    TipStatus.IN_REVIEW: frozenset({TipStatus.CLOSED}),
    TipStatus.CLOSED: frozenset({TipStatus.IN_REVIEW}),
}


class Tip(Base):
    """A public report, anonymous or from a logged-in resident.

    `client_hash` is a keyed hash of the sender's IP address (never the address itself), used
    only for the hourly rate limit; `content_hash` refuses a repeat of the same report."""

    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text)
    location_text: Mapped[str] = mapped_column(String(300), default="")
    # The division the report is about; reports without one are triaged by city-level staff.
    division_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id"), index=True)
    contact_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_phone_masked: Mapped[str | None] = mapped_column(String(16))
    reporter_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    client_hash: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default=TipStatus.NEW.value, index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    handled_by: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TipClient(Base):
    """One row per client hash: the row every submission from that client locks first, so that
    counting its recent reports and adding one is serialised across processes (rate limit)."""

    __tablename__ = "tip_clients"

    client_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
