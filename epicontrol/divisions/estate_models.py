"""Housing-estate health registration (小区健康登记): one row per household visit by a grid
worker. A household's health status (normal / under observation / case) is never stored: it is
derived at read time from cases and observations (divisions/estates.py), so it cannot go stale."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class HouseholdStatus(StrEnum):
    """A household's health status, most serious first (the order pages sort by)."""

    CASE = "case"  # a member has an open case (suspected, confirmed or asymptomatic)
    UNDER_OBSERVATION = "under_observation"  # a member is under observation (contact, arrival)
    NORMAL = "normal"


class EstateRegistration(Base):
    """One visit of a grid worker to a household: who was at home, whether anyone has fever or
    symptoms, whether anyone came from outside the city in the last 14 days. The household's
    latest registration (the last stored: `registered_at` is the server's time of storing) is
    its current one; earlier ones stay as its history."""

    __tablename__ = "estate_registrations"
    __table_args__ = (
        Index("ix_estate_registrations_household_at", "household_id", "registered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    registered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_by: Mapped[str] = mapped_column(String(80))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    members_present: Mapped[int] = mapped_column(Integer)
    has_fever_or_symptoms: Mapped[bool] = mapped_column(Boolean)
    # Anyone of the household back from outside the city within REGISTRATION_ARRIVAL_DAYS.
    has_arrival_from_outside: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(400), default="")
