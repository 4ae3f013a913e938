"""Queries over places."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.places.models import Place, PlaceKind

MAX_PAGE = 1000


def list_in_division(
    db: Session, *, division_id: int, kind: PlaceKind | None = None, limit: int = 200
) -> list[Place]:
    """Places in a division's subtree, optionally of one kind."""
    division = divisions.get(db, division_id=division_id)
    query = (
        select(Place)
        .join(Division, Division.id == Place.division_id)
        .where(Division.path.startswith(division.path, autoescape=True))
        .order_by(Place.code)
        .limit(min(limit, MAX_PAGE))
    )
    if kind is not None:
        query = query.where(Place.kind == kind.value)
    return list(db.scalars(query))
