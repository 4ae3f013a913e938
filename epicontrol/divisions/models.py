"""Administrative divisions (province > city > district > street > community > grid) and estates."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base


class DivisionLevel(StrEnum):
    """Levels of the administrative tree, from the top."""

    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"  # district or county
    STREET = "street"  # street (街道) or town (镇/乡)
    COMMUNITY = "community"  # community (社区) or village (村)
    GRID = "grid"  # a few hundred households (网格)


LEVEL_ORDER: tuple[DivisionLevel, ...] = tuple(DivisionLevel)


class Division(Base):
    """A node of the administrative tree; `path` ("/1/4/9/") makes subtree queries one LIKE."""

    __tablename__ = "divisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_pinyin: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class HousingEstate(Base):
    """A residential compound (小区 housing estate) inside a community."""

    __tablename__ = "housing_estates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_pinyin: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
