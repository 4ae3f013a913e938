"""Mask supply rounds, household quotas, reservations and pickups.

A round offers `supply` masks to the households of one division, at most
`masks_per_household` each, for pickup at the round's pharmacies. `reserved` is the round's
supply counter: first-come rounds raise it in one conditional UPDATE per order, so it can never
pass `supply` however many orders arrive together; lottery rounds set it when the draw is made.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class Allocation(StrEnum):
    """How a round shares its supply when households want more than it has."""

    LOTTERY = "lottery"  # applications until closing time, then a published, reproducible draw
    FIRST_COME = "first_come"  # confirmed at once while the supply lasts


class ReservationStatus(StrEnum):
    """A household's reservation in one round."""

    APPLIED = "applied"  # lottery round, waiting for the draw
    CONFIRMED = "confirmed"  # has a pickup code (first come, or drawn in the lottery)
    NOT_DRAWN = "not_drawn"  # lottery round, not drawn
    COLLECTED = "collected"  # masks handed out at the pharmacy


class MaskRound(Base):
    """One supply round (一轮口罩预约) of a division."""

    __tablename__ = "mask_rounds"
    __table_args__ = (
        CheckConstraint("reserved <= supply", name="reserved_within_supply"),
        CheckConstraint("masks_per_household > 0", name="positive_quota"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    allocation: Mapped[str] = mapped_column(String(16))
    masks_per_household: Mapped[int] = mapped_column(Integer)
    supply: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pickup_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pickup_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The lottery's published seed (hex SHA-256, lottery.py says how it is made) and when drawn.
    lottery_seed: Mapped[str | None] = mapped_column(String(64))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundPharmacy(Base):
    """A pharmacy (a place of kind `pharmacy`) where a round's masks are picked up."""

    __tablename__ = "mask_round_pharmacies"
    __table_args__ = (
        UniqueConstraint("round_id", "place_id", name="uq_mask_round_pharmacies_round_place"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("mask_rounds.id"))
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)


class MaskReservation(Base):
    """A household's reservation (or lottery application) in a round: one per household."""

    __tablename__ = "mask_reservations"
    __table_args__ = (
        # The rule "one reservation per household per round", kept by the database itself so
        # that household members ordering at the same moment cannot both get one.
        UniqueConstraint("round_id", "household_id", name="uq_mask_reservations_round_household"),
        UniqueConstraint("round_id", "pickup_code", name="uq_mask_reservations_round_code"),
        Index("ix_mask_reservations_pickup_code", "pickup_code"),
        CheckConstraint("masks > 0", name="positive_masks"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("mask_rounds.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    masks: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    pickup_code: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
