"""Fever-clinic opening hours and online consultation bookings (helper B).

Opening hours are a clinic's weekly timetable (or "open 24 hours") and its phone, set by an
officer; the public clinic pages read them. A consultation is a free online consultation a
resident books in a 15-minute slot: a slot holds `capacity` bookings, enforced by a unique
(slot, seat) pair so that concurrent requests cannot overfill it (consultation.py).
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class ClinicProfile(Base):
    """A fever clinic's public contact details: its phone and whether it never closes."""

    __tablename__ = "clinic_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), unique=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_open_24h: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClinicOpeningHours(Base):
    """One weekday's opening hours of a clinic (local time); a weekday without a row is closed.
    `closes_at` at or before `opens_at` means the clinic closes after midnight."""

    __tablename__ = "clinic_opening_hours"
    __table_args__ = (UniqueConstraint("place_id", "weekday"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday (Python's date.weekday())
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)


class ConsultationState(StrEnum):
    """A booking's life: booked, then cancelled by the resident or done by clinic staff."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    DONE = "done"


class Consultation(Base):
    """A resident's booking of a free online consultation in one 15-minute slot.

    `seat` (1..capacity) is set while the booking holds its place; the unique (slot_at, seat)
    pair is what stops two concurrent bookings taking the same place. A cancelled booking frees
    its seat (NULL, and NULLs never collide). `open_resident_id` is the resident while the
    booking is open, so the unique index lets a resident hold one open booking at a time.
    """

    __tablename__ = "consultations"
    __table_args__ = (
        UniqueConstraint("slot_at", "seat"),
        UniqueConstraint("open_resident_id"),
        Index("ix_consultations_slot_at_state", "slot_at", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    open_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seat: Mapped[int | None] = mapped_column(Integer)
    symptoms_summary: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(16), default=ConsultationState.BOOKED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_by: Mapped[str | None] = mapped_column(String(80))
