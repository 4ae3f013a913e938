"""Tables of daily monitoring: observations (who is watched, why, until when), the records
that put each person under observation, and the residents' daily health reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class ObservationReason(StrEnum):
    """Why someone is under observation (医学观察 / 居家健康观察)."""

    CLOSE_CONTACT = "close_contact"  # 密接
    SECONDARY_CONTACT = "secondary_contact"  # 次密接
    RISK_AREA_ARRIVAL = "risk_area_arrival"  # arrived from a risk area


class SourceKind(StrEnum):
    """The kind of record that put someone under observation."""

    CONTACT = "contact"  # a tracing.models.Contact row
    ARRIVAL = "arrival"  # a movements.models.Movement row: an arrival from a risk area


class MonitoringState(StrEnum):
    """A person's monitoring state, as Sara Alert's line lists have them."""

    SYMPTOMATIC = "symptomatic"
    NOT_REPORTING = "not_reporting"
    REPORTING = "reporting"
    CLOSED = "closed"


class Observation(Base):
    """One episode of observation of a person for one reason: from `starts_on` to `ends_on`
    (the last day), unless closed earlier by an officer. A new exposure for the same reason
    while the episode is open extends it rather than starting another."""

    __tablename__ = "observations"
    __table_args__ = (Index("ix_observations_resident_reason", "resident_id", "reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    # The resident's grid when the observation began: scopes who watches them.
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    reason: Mapped[str] = mapped_column(String(24))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    last_exposure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When monitoring began: the 24-hour reporting clock starts here before the first report.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(80))
    close_reason: Mapped[str | None] = mapped_column(String(400))


class ObservationSource(Base):
    """A record (a contact, an arrival) that opened or extended an observation. Unique, so
    running the generation again never counts a record twice, nor reopens a closed episode."""

    __tablename__ = "observation_sources"
    __table_args__ = (UniqueConstraint("source_kind", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    observation_id: Mapped[int] = mapped_column(
        ForeignKey("observations.id", ondelete="CASCADE"), index=True
    )
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(Integer)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def source_ref(self) -> str:
        """The record as text, e.g. "contact:12"."""
        return f"{self.source_kind}:{self.source_id}"


class DailyReport(Base):
    """A resident's own health report for one local day; a later report that day replaces it."""

    __tablename__ = "daily_reports"
    __table_args__ = (UniqueConstraint("resident_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    day: Mapped[date] = mapped_column(Date)
    temperature: Mapped[float] = mapped_column(Float)
    # Codes of monitoring_rules.SYMPTOMS, comma-separated; empty for none.
    symptoms: Mapped[str] = mapped_column(String(300), default="")
    is_symptomatic: Mapped[bool] = mapped_column(Boolean)
    is_at_home: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(400), default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many times it was submitted that day (1 unless replaced).
    submissions: Mapped[int] = mapped_column(Integer, default=1)
