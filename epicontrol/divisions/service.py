"""Queries over the administrative tree."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, NotFound
from epicontrol.divisions.models import Division


def get(db: Session, *, division_id: int) -> Division:
    """The division with this id, or NotFound."""
    division = db.get(Division, division_id)
    if division is None:
        raise NotFound(f"division {division_id} does not exist")
    return division


def get_by_code(db: Session, *, code: str) -> Division:
    """The division with this code, or NotFound."""
    division = db.scalar(select(Division).where(Division.code == code))
    if division is None:
        raise NotFound(f"division code '{code}' does not exist")
    return division


def get_in_scope(db: Session, *, principal: Principal, division_id: int) -> Division:
    """The division if it lies in the caller's subtree; AccessDenied otherwise."""
    division = get(db, division_id=division_id)
    if not principal.covers(division.path):
        raise AccessDenied(
            f"division {division.name} is outside your scope",
            action="division:read",
            entity="division",
            entity_id=str(division_id),
        )
    return division


def children(db: Session, *, division_id: int) -> list[Division]:
    """The direct subdivisions, by name."""
    query = select(Division).where(Division.parent_id == division_id).order_by(Division.code)
    return list(db.scalars(query))


def ancestors(db: Session, *, division: Division) -> list[Division]:
    """The divisions from the root down to `division`'s parent."""
    ids = [int(part) for part in division.path.strip("/").split("/")[:-1]]
    if not ids:
        return []
    found = {d.id: d for d in db.scalars(select(Division).where(Division.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def child_path(parent: Division | None, division_id: int) -> str:
    """The materialised path of a new division under `parent`."""
    return f"{parent.path if parent else '/'}{division_id}/"


def count(db: Session) -> int:
    """How many divisions are stored."""
    return db.scalar(select(func.count()).select_from(Division)) or 0
