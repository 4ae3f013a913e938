"""A resident's own travel record (我的行程): where they were recorded in the last 14 days."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied
from epicontrol.movements.models import Movement
from epicontrol.places.models import Place

# The period residents were asked about in 2020 (the incubation period, China NHC plan).
WINDOW = timedelta(days=14)
PAGE = 20
MAX_PAGE = 100


class TravelRecordOut(BaseModel):
    """One record of the resident at a place."""

    occurred_at: datetime
    place_name: str
    place_kind: str
    kind: str  # movements.models.MovementKind or "investigation"
    direction: str | None


class TravelPage(BaseModel):
    """A page of the resident's own records, newest first."""

    since: datetime
    total: int
    offset: int
    limit: int
    items: list[TravelRecordOut]


def own_resident_id(principal: Principal, asked: int | None = None) -> int:
    """The caller's own resident id; asking for anyone else's record is refused (audited)."""
    if principal.resident_id is None:
        raise AccessDenied(
            "only a resident has a travel record", action="movement:read", entity="movements"
        )
    if asked is not None and asked != principal.resident_id:
        raise AccessDenied(
            "a resident sees only their own travel record",
            action="movement:read",
            entity="movements",
            entity_id=str(asked),
        )
    return principal.resident_id


def own_record(
    db: Session, *, principal: Principal, now: datetime, offset: int = 0, limit: int = PAGE
) -> TravelPage:
    """The caller's records of the last 14 days, newest first; audited as a read of personal
    data by the person it is about."""
    resident_id = own_resident_id(principal)
    since = now - WINDOW
    offset, limit = max(offset, 0), min(max(limit, 1), MAX_PAGE)
    mine = (Movement.resident_id == resident_id, Movement.occurred_at >= since)
    total = db.scalar(select(func.count()).select_from(Movement).where(*mine)) or 0
    rows = db.execute(
        select(Movement.occurred_at, Place.name, Place.kind, Movement.kind, Movement.direction)
        .join(Place, Place.id == Movement.place_id)
        .where(*mine)
        .order_by(Movement.occurred_at.desc(), Movement.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    items = [
        TravelRecordOut(
            occurred_at=at, place_name=name, place_kind=place_kind, kind=kind, direction=direction
        )
        for at, name, place_kind, kind, direction in rows
    ]
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="movements",
        entity_id=resident_id,
        purpose="own travel record",
        detail={"offset": offset, "records": len(items)},
    )
    return TravelPage(since=since, total=total, offset=offset, limit=limit, items=items)
