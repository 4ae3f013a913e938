"""Resumption figures of a division's subtree for the command dashboard (aggregates only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.divisions.models import Division
from epicontrol.enterprises.models import (
    ApplicationStatus,
    Enterprise,
    ResumptionApplication,
    ResumptionPhase,
)


def resumption_figures(db: Session, division: Division) -> dict[str, Any]:
    """Applications by status, approvals and workforce back by phase, and by subdivision."""
    in_subtree = Division.path.startswith(division.path)
    by_status = dict(
        db.execute(
            select(ResumptionApplication.status, func.count())
            .join(Enterprise, Enterprise.id == ResumptionApplication.enterprise_id)
            .join(Division, Division.id == Enterprise.division_id)
            .where(in_subtree)
            .group_by(ResumptionApplication.status)
        ).all()
    )
    approved = ResumptionApplication.status == ApplicationStatus.APPROVED.value
    phases = db.execute(
        select(ResumptionPhase.number, func.count(), func.sum(Enterprise.workforce))
        .select_from(ResumptionApplication)
        .join(Enterprise, Enterprise.id == ResumptionApplication.enterprise_id)
        .join(Division, Division.id == Enterprise.division_id)
        .join(ResumptionPhase, ResumptionPhase.id == ResumptionApplication.phase_id)
        .where(in_subtree, approved)
        .group_by(ResumptionPhase.number)
        .order_by(ResumptionPhase.number)
    ).all()
    by_phase = [
        {"phase": number, "approved": count, "workforce": int(workforce or 0)}
        for number, count, workforce in phases
    ]
    return {
        "applications": sum(by_status.values()),
        "by_status": {status.value: by_status.get(status.value, 0) for status in ApplicationStatus},
        "approved_by_phase": by_phase,
        "workforce_back": sum(p["workforce"] for p in by_phase),
        "by_subdivision": _by_subdivision(db, division),
    }


def _by_subdivision(db: Session, division: Division) -> list[dict[str, Any]]:
    """Applications, approvals and workforce back in each child division."""
    children = list(
        db.scalars(select(Division).where(Division.parent_id == division.id).order_by(Division.id))
    )
    result = []
    for child in children:
        row = db.execute(
            select(
                func.count(ResumptionApplication.id),
                func.count(ResumptionApplication.id).filter(
                    ResumptionApplication.status == ApplicationStatus.APPROVED.value
                ),
                func.coalesce(
                    func.sum(Enterprise.workforce).filter(
                        ResumptionApplication.status == ApplicationStatus.APPROVED.value
                    ),
                    0,
                ),
            )
            .select_from(ResumptionApplication)
            .join(Enterprise, Enterprise.id == ResumptionApplication.enterprise_id)
            .join(Division, Division.id == Enterprise.division_id)
            .where(Division.path.startswith(child.path))
        ).one()
        if row[0]:
            result.append(
                {
                    "division_id": child.id,
                    "name": child.name,
                    "applications": row[0],
                    "approved": row[1],
                    "workforce_back": int(row[2]),
                }
            )
    return result
