"""Phases of resumption: how they are stored, configured and listed (changes: phase_changes.py).

A phase applies to a division's subtree; companies of its categories may be approved from
`opens_on` (China date) and, when it has a `closes_on`, before that day. Its `notes` say what it
is for; they are compared like the other values when it changes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import Conflict
from epicontrol.core.local_time import local_date
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.enterprises.models import Category, ResumptionPhase
from epicontrol.enterprises.schemas import PhaseIn, PhaseOut


def stored_categories(categories: list[Category]) -> str:
    """The `categories` column for a phase: the sorted list, comma-separated."""
    return ",".join(sorted({c.value for c in categories}))


def read_categories(stored: str) -> list[Category]:
    """The categories kept in a `categories` column."""
    return [Category(c) for c in stored.split(",") if c]


def stored_values(data: PhaseIn) -> dict[str, Any]:
    """The columns a phase's values are kept in."""
    return {
        "division_id": data.division_id,
        "number": data.number,
        "opens_on": data.opens_on,
        "closes_on": data.closes_on,
        "categories": stored_categories(data.categories),
        "notes": data.notes,
    }


def still_stored(phase_id: int, values: dict[str, Any]) -> list[ColumnElement[bool]]:
    """Conditions true while the phase's row holds exactly `values` (compare-and-set)."""
    return [ResumptionPhase.id == phase_id] + [
        getattr(ResumptionPhase, column) == value for column, value in values.items()
    ]


def phase_in(phase: ResumptionPhase) -> PhaseIn:
    """A stored phase as the values an officer reads and sends back."""
    return PhaseIn(
        division_id=phase.division_id,
        number=phase.number,
        opens_on=phase.opens_on,
        closes_on=phase.closes_on,
        categories=read_categories(phase.categories),
        notes=phase.notes,
    )


def accepts_on(opens_on: date, closes_on: date | None, day: date) -> bool:
    """Whether a phase takes approvals on `day`: opened, and not closed (the closing day
    itself takes none)."""
    return opens_on <= day and (closes_on is None or day < closes_on)


def create_phase(db: Session, *, principal: Principal, data: PhaseIn) -> ResumptionPhase:
    """Configure a phase for a division of the caller's subtree (its number unique there)."""
    divisions.get_in_scope(db, principal=principal, division_id=data.division_id)
    phase = ResumptionPhase(
        **stored_values(data), created_by=principal.user_id, created_at=utcnow()
    )
    db.add(phase)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(f"phase {data.number} already exists for that division") from None
    audit.record(
        db,
        actor=principal,
        action="enterprise:phase_create",
        entity="resumption_phase",
        entity_id=phase.id,
        detail={"after": data.model_dump(mode="json")},
    )
    return phase


def _phase_out(
    phase: ResumptionPhase, division: Division, today: date, principal: Principal | None
) -> PhaseOut:
    closes_on = phase.closes_on
    return PhaseOut(
        id=phase.id,
        division_id=phase.division_id,
        division_name=division.name,
        number=phase.number,
        opens_on=phase.opens_on,
        closes_on=closes_on,
        categories=read_categories(phase.categories),
        notes=phase.notes,
        is_open=accepts_on(phase.opens_on, closes_on, today),
        is_closed=closes_on is not None and closes_on <= today,
        is_editable=principal is not None and principal.covers(division.path),
    )


def phases_for(
    db: Session,
    *,
    division_path: str,
    today: date | None = None,
    principal: Principal | None = None,
) -> list[PhaseOut]:
    """Phases that apply to a division: those of the division itself and of its ancestors."""
    today = today or local_date(utcnow())
    ids = [int(part) for part in division_path.strip("/").split("/") if part]
    rows = db.execute(
        select(ResumptionPhase, Division)
        .join(Division, Division.id == ResumptionPhase.division_id)
        .where(ResumptionPhase.division_id.in_(ids))
        .order_by(ResumptionPhase.number, ResumptionPhase.opens_on)
    ).all()
    return [_phase_out(phase, division, today, principal) for phase, division in rows]


def phases_in_scope(db: Session, *, principal: Principal) -> list[PhaseOut]:
    """Phases an officer works with: above their division and inside their subtree (only those
    of their division and below are theirs to change)."""
    today = local_date(utcnow())
    above = phases_for(db, division_path=principal.division_path, today=today, principal=principal)
    rows = db.execute(
        select(ResumptionPhase, Division)
        .join(Division, Division.id == ResumptionPhase.division_id)
        .where(
            Division.path.startswith(principal.division_path),
            Division.id != principal.division_id,
        )
        .order_by(ResumptionPhase.number, Division.name)
    ).all()
    return above + [_phase_out(phase, division, today, principal) for phase, division in rows]
