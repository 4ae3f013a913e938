"""Tracing runs, the contacts they found with their exposures, and the contacts' follow-ups."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class RunStatus(StrEnum):
    """Life of a tracing run: queued by a case change, claimed by a worker, done or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FollowUpState(StrEnum):
    """A contact's state on one day of medical observation (医学观察)."""

    REPORTING = "reporting"  # reported, no symptoms
    SYMPTOMATIC = "symptomatic"  # reported fever or symptoms: refer to a fever clinic
    NOT_REPORTING = "not_reporting"  # no report within the reporting period
    CLOSED = "closed"  # observation ended (released, or became a case)


class TracingRun(Base):
    """One run of the tracing engine for one case; the queue of the background worker."""

    __tablename__ = "tracing_runs"
    __table_args__ = (Index("ix_tracing_runs_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    engine: Mapped[str] = mapped_column(String(16), default="duckdb")
    reason: Mapped[str] = mapped_column(String(80), default="")
    requested_by: Mapped[str] = mapped_column(String(80), default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contacts_found: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")


class Contact(Base):
    """A resident exposed to a case: degree 1 (密接 close contact) or 2 (次密接 secondary contact,
    exposed to `via_resident_id`). `rule`, `place_id` and `via_resident_id` are those of the
    strongest exposure; every exposure is a ContactExposure row."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("case_id", "contact_resident_id", "degree"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Looked up by case through the unique constraint's index, which leads with case_id.
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    contact_resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    # The contact's grid when found: scopes who follows them up without a join per row.
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    degree: Mapped[int] = mapped_column(SmallInteger)
    rule: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    via_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    first_exposure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_exposure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    observation_ends_on: Mapped[date] = mapped_column(Date)
    run_id: Mapped[int] = mapped_column(ForeignKey("tracing_runs.id"))
    # When the contact was put under quarantine: ends the period in which they expose others.
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a later run no longer finds the contact but follow-ups were already recorded:
    # the record stays for the audit trail, off the lists.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactExposure(Base):
    """One exposure episode of a contact: where (place, or household), when, how long."""

    __tablename__ = "contact_exposures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    via_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)


class FollowUp(Base):
    """A contact's daily report during observation, one per day (a later one replaces it)."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("contact_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    temperature: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(400), default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
