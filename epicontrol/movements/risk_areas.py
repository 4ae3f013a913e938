"""Risk areas kept by commanders: listing, declaring and ending them, each change audited."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnExpressionArgument, ScalarSelect, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import Conflict, InvalidInput, NotFound
from epicontrol.divisions.models import Division
from epicontrol.movements.models import RiskArea

# Administrative codes (GB/T 2260 and the statistical codes below it): province 2, city 4,
# county 6, town 9, village 12 digits. Shorter codes cover everything under them.
REGION_CODE_LENGTHS = (2, 4, 6, 9, 12)


class RiskLevel(StrEnum):
    """Risk levels as announced (高/中/低风险地区 high/medium/low risk area)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RiskAreaIn(BaseModel):
    """A risk area to declare; `starts_on` defaults to today (local day)."""

    region_code: str = Field(
        min_length=2,
        max_length=32,
        description="administrative code ('4201' covers a whole city) or one of our division codes",
    )
    name: str = Field(min_length=1, max_length=120)
    level: RiskLevel = RiskLevel.HIGH
    starts_on: date | None = None
    ends_on: date | None = Field(default=None, description="last day at risk; open if absent")


class RiskAreaEnd(BaseModel):
    """The last day an area is at risk; defaults to today (local day)."""

    ends_on: date | None = None


class RiskAreaOut(BaseModel):
    """A risk area as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    region_code: str
    name: str
    level: str
    starts_on: date
    ends_on: date | None
    created_by: str
    created_at: datetime


def is_active(area: RiskArea, day: date) -> bool:
    """Whether arrivals on `day` from this area are flagged."""
    return area.starts_on <= day and (area.ends_on is None or day <= area.ends_on)


def covering(day: date, *codes: ColumnExpressionArgument[Any]) -> ScalarSelect[Any]:
    """SQL: the name of the first risk area active on `day` whose region code starts any of
    `codes` (an origin, a division code), or NULL."""

    def covered(code: ColumnExpressionArgument[Any]) -> ColumnElement[bool]:
        # substr rather than LIKE: no wildcards to escape, and case-sensitive on both databases.
        return func.substr(code, 1, func.length(RiskArea.region_code)) == RiskArea.region_code

    return (
        select(RiskArea.name)
        .where(
            RiskArea.starts_on <= day,
            or_(RiskArea.ends_on.is_(None), RiskArea.ends_on >= day),
            or_(*(covered(code) for code in codes)),
        )
        .order_by(RiskArea.id)
        .limit(1)
        .scalar_subquery()
    )


def list_areas(db: Session, *, active_on: date | None = None) -> list[RiskArea]:
    """Every risk area, newest first, or only those active on `active_on`."""
    query = select(RiskArea).order_by(RiskArea.starts_on.desc(), RiskArea.id.desc())
    if active_on is not None:
        query = query.where(
            RiskArea.starts_on <= active_on,
            or_(RiskArea.ends_on.is_(None), RiskArea.ends_on >= active_on),
        )
    return list(db.scalars(query))


def create(db: Session, *, principal: Principal, data: RiskAreaIn, today: date) -> RiskArea:
    """Declare a risk area; refused if the code is unknown, the dates are reversed, or the
    same region is already at risk during those days."""
    code = _checked_region_code(db, data.region_code)
    starts_on = data.starts_on or today
    if data.ends_on is not None and data.ends_on < starts_on:
        raise InvalidInput(f"ends_on ({data.ends_on}) is before starts_on ({starts_on})")
    _refuse_overlap(db, code, starts_on, data.ends_on)
    area = RiskArea(
        region_code=code,
        name=data.name.strip(),
        level=data.level.value,
        starts_on=starts_on,
        ends_on=data.ends_on,
        created_by=principal.username,
    )
    db.add(area)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="create",
        entity="risk_area",
        entity_id=area.id,
        purpose="risk area list",
        detail={
            "region_code": code,
            "name": area.name,
            "level": area.level,
            "starts_on": starts_on.isoformat(),
            "ends_on": data.ends_on.isoformat() if data.ends_on else None,
        },
    )
    return area


def end(
    db: Session, *, principal: Principal, risk_area_id: int, ends_on: date | None, today: date
) -> RiskArea:
    """Set the last day an area is at risk (today by default); it may end earlier, not later."""
    area = db.get(RiskArea, risk_area_id)
    if area is None:
        raise NotFound(f"risk area {risk_area_id} does not exist")
    last_day = ends_on or today
    if last_day < area.starts_on:
        raise InvalidInput(f"ends_on ({last_day}) is before starts_on ({area.starts_on})")
    if area.ends_on is not None and area.ends_on <= last_day:
        raise Conflict(
            f"risk area {area.id} already ends on {area.ends_on}; declare a new one to extend it"
        )
    previous = area.ends_on
    area.ends_on = last_day
    audit.record(
        db,
        actor=principal,
        action="update",
        entity="risk_area",
        entity_id=area.id,
        purpose="risk area list",
        detail={
            "ends_on": last_day.isoformat(),
            "previous_ends_on": previous.isoformat() if previous else None,
        },
    )
    return area


def _checked_region_code(db: Session, raw: str) -> str:
    code = raw.strip()
    if code.isascii() and code.isdigit():
        if len(code) in REGION_CODE_LENGTHS:
            return code
        lengths = ", ".join(str(n) for n in REGION_CODE_LENGTHS)
        raise InvalidInput(
            f"region_code '{code}' has {len(code)} digits; an administrative code has {lengths} "
            "digits ('4201' covers a whole city)"
        )
    if db.scalar(select(Division.id).where(Division.code == code)) is None:
        raise InvalidInput(
            f"region_code '{code}' is neither an administrative code (digits) "
            "nor the code of one of our divisions"
        )
    return code


def _refuse_overlap(db: Session, code: str, starts_on: date, ends_on: date | None) -> None:
    query = select(RiskArea).where(
        RiskArea.region_code == code,
        or_(RiskArea.ends_on.is_(None), RiskArea.ends_on >= starts_on),
    )
    if ends_on is not None:
        query = query.where(RiskArea.starts_on <= ends_on)
    clash = db.scalars(query.order_by(RiskArea.id).limit(1)).first()
    if clash is not None:
        until = clash.ends_on.isoformat() if clash.ends_on else "further notice"
        raise Conflict(
            f"region {code} is already a risk area ({clash.name}, id {clash.id}) "
            f"from {clash.starts_on} until {until}"
        )
