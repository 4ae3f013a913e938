"""Labour matching figures of a division's subtree, for the command dashboard and the board."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.divisions.models import Division
from epicontrol.labour.models import ApplicationStatus, LabourApplication, LabourNeed, NeedStatus


def labour_figures(db: Session, division: Division) -> dict[str, int | float]:
    """Needs whose place of work lies in `division`'s subtree: open needs, positions and seats
    filled (accepted or confirmed) over all needs, confirmed hires, distinct applicants, and the
    fill rate (filled / positions, 0.0 without positions). Three queries, no personal data."""
    in_subtree = LabourNeed.division_id.in_(
        select(Division.id).where(Division.path.startswith(division.path, autoescape=True))
    )
    needs_open, positions, filled = db.execute(
        select(
            func.count().filter(LabourNeed.status == NeedStatus.OPEN.value),
            func.coalesce(func.sum(LabourNeed.positions), 0),
            func.coalesce(func.sum(LabourNeed.filled), 0),
        ).where(in_subtree)
    ).one()
    applicants, confirmed = db.execute(
        select(
            func.count(func.distinct(LabourApplication.resident_id)),
            func.count().filter(LabourApplication.status == ApplicationStatus.CONFIRMED.value),
        )
        .join(LabourNeed, LabourNeed.id == LabourApplication.need_id)
        .where(in_subtree)
    ).one()
    positions, filled = int(positions), int(filled)
    return {
        "needs_open": int(needs_open),
        "positions": positions,
        "filled": filled,
        "confirmed": int(confirmed),
        "applicants": int(applicants),
        "fill_rate": round(filled / positions, 4) if positions else 0.0,
    }
