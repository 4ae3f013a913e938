"""Anonymised case itineraries (病例轨迹): drafted from an investigation, approved by a second
officer, published, possibly withdrawn. Only published ones are public."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class ItineraryState(StrEnum):
    """An itinerary's life: draft (stops editable) -> published -> withdrawn."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class CasePublicNumber(Base):
    """The public sequence number of a case ("病例12" / "Case 12"), given when its first
    itinerary is published and kept if it is withdrawn and published again; never the
    internal id or the report card's number."""

    __tablename__ = "case_public_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)


class CaseItinerary(Base):
    """One anonymised itinerary of one case: what the public sees is copied in here (age band,
    sex, stops), so later edits of the investigation change nothing until a new draft."""

    __tablename__ = "case_itineraries"
    __table_args__ = (Index("ix_case_itineraries_state_published", "state", "published_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The case's division, which scopes staff access.
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=ItineraryState.DRAFT.value)
    public_number: Mapped[int | None] = mapped_column(Integer)
    age_band: Mapped[int] = mapped_column(Integer)  # lower bound of a 10-year band: 30 = 30-39
    sex: Mapped[str] = mapped_column(String(1))
    report_date: Mapped[date] = mapped_column(Date)
    left_out: Mapped[int] = mapped_column(Integer, default=0)  # stays not public (home, work)
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ItineraryStop(Base):
    """A public place the case visited, with times rounded outward to the half hour."""

    __tablename__ = "case_itinerary_stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    itinerary_id: Mapped[int] = mapped_column(ForeignKey("case_itineraries.id"), index=True)
    # Kept for "did I cross paths?" (residents' records name places by id); never shown.
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    place_name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(300), default="")
    place_kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
