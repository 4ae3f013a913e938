"""API routes over places."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, require
from epicontrol.core.policy import Permission
from epicontrol.places import service
from epicontrol.places.models import PlaceKind
from epicontrol.places.schemas import PlaceOut

router = APIRouter(prefix="/api/places", tags=["places"])
Reader = Annotated[Principal, Depends(require(Permission.PLACE_READ))]


@router.get("")
def list_places(
    db: DbSession,
    _principal: Reader,
    division_id: int,
    kind: PlaceKind | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 200,
) -> list[PlaceOut]:
    """Places in a division's subtree."""
    rows = service.list_in_division(db, division_id=division_id, kind=kind, limit=limit)
    return [PlaceOut.model_validate(p) for p in rows]
