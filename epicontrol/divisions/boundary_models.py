"""Division boundaries: one GeoJSON polygon or multipolygon per division, for the maps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class BoundarySource(StrEnum):
    """Where a stored boundary came from."""

    IMPORTED = "imported"  # a GeoJSON file from the surveying office, via the CLI


class DivisionBoundary(Base):
    """The outline of a division as GeoJSON geometry text (WGS84 lon/lat); a re-import
    replaces it, so `division_id` is unique."""

    __tablename__ = "division_boundaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), unique=True)
    # Text, not a PostGIS type: the store also runs on SQLite and the maps only draw it.
    geometry: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default=BoundarySource.IMPORTED.value)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
