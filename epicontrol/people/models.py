"""Households and residents; identity fields are only ever stored hashed and encrypted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class Household(Base):
    """A household (户) living at one address in a grid, possibly inside a housing estate."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("housing_estates.id"), index=True)
    # Building/unit/room identifies a home; kept encrypted like other personal data.
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_hash: Mapped[str | None] = mapped_column(String(64), index=True)


class Resident(Base):
    """A person registered in the city; `division_id` is the grid that scopes access to them."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    name_masked: Mapped[str] = mapped_column(String(40))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(Integer)
    occupation: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[str] = mapped_column(String(20), default="register")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
