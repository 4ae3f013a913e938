"""Personal QR passes (a pseudonymous id per resident, signed, revocable and reissuable) and
risk statuses with the evidence behind them and their appeals."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class PersonalPass(Base):
    """A pass issued to a resident. `pass_id` is the only identifier the QR carries."""

    __tablename__ = "personal_passes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pass_id: Mapped[str] = mapped_column(String(32), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")


class RiskStatus(Base):
    """A resident's stored risk status (健康码 colour) and its plain reason; rewritten whenever
    an input changes. `changes_at` is the first moment a piece of its evidence expires: from
    then on the row is stale and readers fall back to the evidence (service.colours)."""

    __tablename__ = "risk_statuses"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    colour: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Indexed: the fast path's cache asks which statuses other processes rewrote lately.
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    changes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class RiskEvidence(Base):
    """One record behind a resident's status: which table and row, which rule, how bad, the
    reason shown to the resident, and when it stops counting (NULL: while the record lasts)."""

    __tablename__ = "risk_evidence"
    # The sweep looks evidence up by its record (health_code/consistency.py).
    __table_args__ = (Index("ix_risk_evidence_source", "source_table", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    rule: Mapped[str] = mapped_column(String(24))
    level: Mapped[int] = mapped_column(SmallInteger)  # rules.Colour
    source_table: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(400))
    # When the record arose: an officer's correction covers evidence older than its decision.
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while an officer's correction (an override) replaces this record's colour.
    overridden_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppealState(StrEnum):
    """Where an appeal stands."""

    OPEN = "open"
    UPHELD = "upheld"  # the status stands as computed
    CORRECTED = "corrected"  # an officer set an override colour until a date


class RiskAppeal(Base):
    """A resident's appeal against their status and the officer's decision; a correction is
    itself evidence of the status while it lasts."""

    __tablename__ = "risk_appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=AppealState.OPEN.value, index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    colour_appealed: Mapped[str] = mapped_column(String(8))
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(1000), default="")
    override_colour: Mapped[str | None] = mapped_column(String(8))
    override_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
