"""Labour matching (用工对接): essential manufacturers' needs, residents' profiles, applications.

A need offers `positions` jobs; `filled` counts the seats held by applications the employer has
accepted (and the resident may since have confirmed). Acceptance raises `filled` in one
conditional UPDATE (`filled < positions`), and a CHECK constraint keeps it there, so concurrent
acceptances can never fill more seats than the need has (as supplies/ does with mask rounds).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
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


class NeedStatus(StrEnum):
    """Whether a need still takes applicants."""

    OPEN = "open"
    CLOSED = "closed"  # the employer closed it (filled, or no longer needed)


class ApplicationStatus(StrEnum):
    """Where one resident stands for one need: applied or proposed, then the employer decides,
    then the resident confirms. `dropped`: their risk status stopped being green at a step;
    `released`: it stopped being green after the employer accepted them, and the employer gave
    the seat back (never automatic: a hire is not fired by a sweep)."""

    APPLIED = "applied"  # the resident applied
    PROPOSED = "proposed"  # an officer proposed them to the employer
    ACCEPTED = "accepted"  # the employer accepted: a seat is held
    CONFIRMED = "confirmed"  # the resident confirmed: the job is theirs
    DECLINED = "declined"  # the employer declined
    WITHDRAWN = "withdrawn"  # the resident withdrew
    DROPPED = "dropped"  # no longer green at a later step (re-checked every step)
    RELEASED = "released"  # a hire no longer green whose seat the employer gave back


# Statuses that hold one of the need's seats (counted in `filled`).
SEAT_HOLDING: frozenset[str] = frozenset({ApplicationStatus.ACCEPTED, ApplicationStatus.CONFIRMED})
# Statuses that are over: nothing more happens to the application.
FINISHED: frozenset[str] = frozenset(
    {
        ApplicationStatus.CONFIRMED,
        ApplicationStatus.DECLINED,
        ApplicationStatus.WITHDRAWN,
        ApplicationStatus.DROPPED,
        ApplicationStatus.RELEASED,
    }
)


class LabourNeed(Base):
    """One job posted by an essential manufacturer (e.g. 10 sewing machine operators)."""

    __tablename__ = "labour_needs"
    __table_args__ = (
        CheckConstraint("filled <= positions", name="filled_within_positions"),
        CheckConstraint("filled >= 0", name="filled_not_negative"),
        CheckConstraint("positions > 0", name="positive_positions"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The place of work's division: scopes the need for officers, commanders and figures.
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    employer_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    skills: Mapped[str] = mapped_column(String(400))  # skill codes (skills.py), comma-separated
    positions: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    place_name: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    shift: Mapped[str] = mapped_column(String(16))  # skills.SHIFTS
    days: Mapped[str] = mapped_column(String(40))  # weekday codes, comma-separated
    start_date: Mapped[date] = mapped_column(Date)
    pay_yuan_per_day: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=NeedStatus.OPEN.value, index=True)
    posted_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LabourProfile(Base):
    """A resident's offer of work: skills, when they can work, how far they will travel."""

    __tablename__ = "labour_profiles"
    __table_args__ = (CheckConstraint("max_distance_km > 0", name="positive_distance"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), unique=True)
    skills: Mapped[str] = mapped_column(String(400))
    shifts: Mapped[str] = mapped_column(String(40))
    days: Mapped[str] = mapped_column(String(40))
    max_distance_km: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LabourApplication(Base):
    """One resident for one need, from application (or an officer's proposal) to confirmation."""

    __tablename__ = "labour_applications"
    __table_args__ = (
        UniqueConstraint("need_id", "resident_id", name="uq_labour_applications_need_resident"),
        Index("ix_labour_applications_resident", "resident_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("labour_needs.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)  # the ranking score when proposed
    distance_km: Mapped[float | None] = mapped_column(Float)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
