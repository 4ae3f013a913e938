"""The published whitelist (复工复产白名单): companies approved to resume work, for everyone."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.divisions.models import Division
from epicontrol.enterprises.models import (
    ApplicationStatus,
    Category,
    Enterprise,
    ResumptionApplication,
    ResumptionPhase,
)
from epicontrol.enterprises.schemas import WhitelistEntry


def entries(db: Session) -> list[WhitelistEntry]:
    """Approved companies by phase, then approval date and name (a suspended one drops off),
    each with its phase's note."""
    rows = db.execute(
        select(
            Enterprise.name,
            Enterprise.sector,
            Enterprise.category,
            Division.name,
            ResumptionPhase.number,
            ResumptionPhase.notes,
            ResumptionApplication.approved_on,
        )
        .join(ResumptionApplication, ResumptionApplication.enterprise_id == Enterprise.id)
        .join(ResumptionPhase, ResumptionPhase.id == ResumptionApplication.phase_id)
        .join(Division, Division.id == Enterprise.division_id)
        .where(ResumptionApplication.status == ApplicationStatus.APPROVED.value)
        .order_by(ResumptionPhase.number, ResumptionApplication.approved_on, Enterprise.name)
    ).all()
    return [
        WhitelistEntry(
            company=name,
            sector=sector,
            category=Category(category),
            division=division,
            phase=phase,
            phase_notes=notes,
            approved_on=approved_on or date.min,
        )
        for name, sector, category, division, phase, notes, approved_on in rows
    ]


def notes_by_phase(entries: list[WhitelistEntry]) -> dict[int, list[str]]:
    """The distinct notes of each phase number's entries, in order (phases of several
    divisions may share a number)."""
    found: dict[int, list[str]] = {}
    for entry in entries:
        notes = found.setdefault(entry.phase, [])
        if entry.phase_notes and entry.phase_notes not in notes:
            notes.append(entry.phase_notes)
    return found
