"""Places where movements are recorded: gates, venues, stations, expressway exits, clinics..."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class PlaceKind(StrEnum):
    """Kinds of place; tracing rules (dwell estimates, vehicle rules) key on these."""

    COMMUNITY_GATE = "community_gate"
    VENUE = "venue"
    MARKET = "market"
    SUPERMARKET = "supermarket"
    RESTAURANT = "restaurant"
    RAILWAY_STATION = "railway_station"
    BUS_STATION = "bus_station"
    METRO_STATION = "metro_station"
    EXPRESSWAY_EXIT = "expressway_exit"
    CLINIC = "clinic"
    FEVER_CLINIC = "fever_clinic"
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"
    WORKPLACE = "workplace"
    SCHOOL = "school"
    OFFICE = "office"


class Place(Base):
    """A place with a QR code; `code` is what the place QR carries."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("housing_estates.id"))
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class CheckpointDevice(Base):
    """A scanner or phone registered at a place; it authenticates with an API key kept hashed."""

    __tablename__ = "checkpoint_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "in" or "out" for a one-way gate; None lets each scan alternate per person.
    fixed_direction: Mapped[str | None] = mapped_column(String(3))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
