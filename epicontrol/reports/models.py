"""Residents' self-checks, daily reports and public reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
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
