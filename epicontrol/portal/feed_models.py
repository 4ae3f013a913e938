"""Provincial and national figures imported from a CSV feed (helper A).

One row per (level, region, day): the figures a health commission publishes for that day.
`confirmed`, `cured` and `deaths` are cumulative (累计); `suspected` and `asymptomatic` are the
cases open that day (现有), as China's NHC daily reports give them. A re-import of the same
day replaces the row (feed.py).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class FeedLevel(StrEnum):
    """Whose figures a feed row gives."""

    PROVINCE = "province"  # a province, region code GB/T 2260 (e.g. 420000)
    NATION = "nation"  # the whole country


class FeedFigure(Base):
    """One day's published figures of a province or of the nation."""

    __tablename__ = "portal_feed_figures"
    __table_args__ = (
        UniqueConstraint("level", "region_code", "day"),
        Index("ix_portal_feed_figures_level_day", "level", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(12))
    region_name: Mapped[str] = mapped_column(String(80))
    day: Mapped[date] = mapped_column(Date)
    confirmed: Mapped[int] = mapped_column(Integer)
    suspected: Mapped[int] = mapped_column(Integer)
    asymptomatic: Mapped[int] = mapped_column(Integer)
    cured: Mapped[int] = mapped_column(Integer)
    deaths: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))  # the publishing body, shown as the source
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(80))
