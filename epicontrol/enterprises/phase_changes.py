"""Changing a phase after it is configured: edit its values, close it early, reopen it, delete it.

Rules: a change may not leave an approved company outside the phase it was approved in (its
division no longer under the phase's, its category no longer admitted, its approval day before
the opening or after the closing): 409 naming how many. A phase in which any application was
approved (still approved or since suspended) cannot be deleted: close it instead.

Two officers at once: each change carries the values the officer read (`seen`) and the UPDATE
is conditioned on them (`WHERE id = ? AND division_id = ? AND number = ? AND opens_on = ? AND
closes_on = ? AND categories = ? AND notes = ?`, NULLs compared with IS NULL), so the second of
two edits from the same reading changes nothing and is 409. An approval compares all but the
notes (a note changes nothing about who may be approved).
The approved companies are counted after the UPDATE, in the same transaction: on PostgreSQL the
row lock makes an approval in progress (review.decide holds the phase FOR SHARE) finish first,
so the count sees it; on SQLite writers take turns.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.enterprises.models import (
    ApplicationStatus,
    Enterprise,
    ResumptionApplication,
    ResumptionPhase,
)
from epicontrol.enterprises.phases import phase_in, still_stored, stored_values
from epicontrol.enterprises.schemas import PhaseIn

# Why an approval would fall outside the changed phase, as the refusal names it.
_OUTSIDE = {
    "division": "division no longer covered",
    "category": "category no longer admitted",
    "before": "approved before the new opening day",
    "after": "approved after the new closing day",
}


def _stored_phase(db: Session, principal: Principal, phase_id: int) -> ResumptionPhase:
    """The phase, if its division is in the caller's subtree (403 otherwise, 404 if none)."""
    phase = db.scalar(
        select(ResumptionPhase)
        .where(ResumptionPhase.id == phase_id)
        .execution_options(populate_existing=True)
    )
    if phase is None:
        raise NotFound(f"no resumption phase {phase_id}")
    divisions.get_in_scope(db, principal=principal, division_id=phase.division_id)
    return phase


def _outside(db: Session, phase_id: int, values: PhaseIn) -> Counter[str]:
    """The approved applications of the phase that `values` would leave outside it, by why."""
    covering = db.scalar(select(Division.path).where(Division.id == values.division_id)) or ""
    rows = db.execute(
        select(Enterprise.category, Division.path, ResumptionApplication.approved_on)
        .join(Enterprise, Enterprise.id == ResumptionApplication.enterprise_id)
        .join(Division, Division.id == Enterprise.division_id)
        .where(
            ResumptionApplication.phase_id == phase_id,
            ResumptionApplication.status == ApplicationStatus.APPROVED.value,
        )
    ).all()
    found: Counter[str] = Counter()
    for category, path, approved_on in rows:
        if not path.startswith(covering):
            found["division"] += 1
        elif category not in values.categories:
            found["category"] += 1
        elif approved_on is not None and approved_on < values.opens_on:
            found["before"] += 1
        elif approved_on is not None and values.closes_on and approved_on > values.closes_on:
            found["after"] += 1
    return found


def _change(
    db: Session,
    *,
    principal: Principal,
    phase_id: int,
    seen: PhaseIn,
    values: PhaseIn,
    action: str,
) -> ResumptionPhase:
    """Store `values` if the phase still holds `seen`; refuse if approvals would be orphaned."""
    phase = _stored_phase(db, principal, phase_id)
    divisions.get_in_scope(db, principal=principal, division_id=values.division_id)
    before = stored_values(seen)
    try:
        changed = (
            db.connection()
            .execute(
                update(ResumptionPhase)
                .where(*still_stored(phase_id, before))
                .values(**stored_values(values))
            )
            .rowcount
        )
    except IntegrityError:
        raise Conflict(f"phase {values.number} already exists for that division") from None
    if changed != 1:
        now = db.scalar(
            select(ResumptionPhase)
            .where(ResumptionPhase.id == phase_id)
            .execution_options(populate_existing=True)
        )
        if now is None:
            raise NotFound(f"phase {seen.number} was deleted by someone else meanwhile")
        raise Conflict(
            f"phase {now.number} was changed by someone else meanwhile "
            f"(now {_describe(phase_in(now))}); reload it and try again"
        )
    outside = _outside(db, phase_id, values)
    if outside:
        reasons = ", ".join(f"{count} {_OUTSIDE[why]}" for why, count in sorted(outside.items()))
        raise Conflict(
            f"this change would leave {outside.total()} approved companies outside phase "
            f"{seen.number} ({reasons}); nothing was changed"
        )
    db.refresh(phase)
    audit.record(
        db,
        actor=principal,
        action=action,
        entity="resumption_phase",
        entity_id=phase_id,
        detail={"before": seen.model_dump(mode="json"), "after": values.model_dump(mode="json")},
    )
    return phase


def _describe(values: PhaseIn) -> str:
    closes = f" to {values.closes_on}" if values.closes_on else ""
    said = f"opens {values.opens_on}{closes}, {', '.join(c.value for c in values.categories)}"
    if values.notes:  # a note changed meanwhile would otherwise read as no change at all
        shown = values.notes if len(values.notes) <= 60 else values.notes[:59] + "…"
        said += f", notes: {' '.join(shown.split())}"
    return said


def edit_phase(
    db: Session, *, principal: Principal, phase_id: int, seen: PhaseIn, values: PhaseIn
) -> ResumptionPhase:
    """Change a phase's division, number, dates, categories or notes (see the module's rules)."""
    return _change(
        db,
        principal=principal,
        phase_id=phase_id,
        seen=seen,
        values=values,
        action="enterprise:phase_edit",
    )


def close_phase(
    db: Session, *, principal: Principal, phase_id: int, seen: PhaseIn, today: date | None = None
) -> ResumptionPhase:
    """Close an open phase today: no approvals in it from now on; those made stay."""
    today = today or local_date(utcnow())
    if seen.opens_on > today:
        raise InvalidInput(
            f"phase {seen.number} opens on {seen.opens_on}, not yet: change its dates or delete it"
        )
    if seen.closes_on is not None and seen.closes_on <= today:
        raise Conflict(f"phase {seen.number} is already closed (since {seen.closes_on})")
    values = seen.model_copy(update={"closes_on": today})
    return _change(
        db,
        principal=principal,
        phase_id=phase_id,
        seen=seen,
        values=values,
        action="enterprise:phase_close",
    )


def reopen_phase(
    db: Session, *, principal: Principal, phase_id: int, seen: PhaseIn, today: date | None = None
) -> ResumptionPhase:
    """Reopen a closed phase: it takes approvals again, with no closing day."""
    today = today or local_date(utcnow())
    if seen.closes_on is None or seen.closes_on > today:
        raise Conflict(f"phase {seen.number} is not closed")
    values = seen.model_copy(update={"closes_on": None})
    return _change(
        db,
        principal=principal,
        phase_id=phase_id,
        seen=seen,
        values=values,
        action="enterprise:phase_reopen",
    )


def _approved_in(db: Session, phase_id: int) -> int:
    return db.scalar(select(func.count()).where(ResumptionApplication.phase_id == phase_id)) or 0


def delete_phase(db: Session, *, principal: Principal, phase_id: int) -> None:
    """Delete a phase in which no application was ever approved; 409 otherwise."""
    phase = _stored_phase(db, principal, phase_id)
    number, values = phase.number, phase_in(phase)
    refusal = (
        f"{{count}} applications were approved in phase {number}: it cannot be deleted; "
        "close it instead (no approvals from today, those made stay)"
    )
    approved = _approved_in(db, phase_id)
    if approved:
        raise Conflict(refusal.format(count=approved))
    used = exists().where(ResumptionApplication.phase_id == ResumptionPhase.id)
    try:
        deleted = (
            db.connection()
            .execute(delete(ResumptionPhase).where(ResumptionPhase.id == phase_id, ~used))
            .rowcount
        )
    except IntegrityError:  # an approval committed between the count and the delete
        raise Conflict(refusal.format(count="some")) from None
    if deleted != 1:
        approved = _approved_in(db, phase_id)
        if approved:
            raise Conflict(refusal.format(count=approved))
        raise NotFound(f"phase {number} was deleted by someone else meanwhile")
    db.expunge(phase)
    audit.record(
        db,
        actor=principal,
        action="enterprise:phase_delete",
        entity="resumption_phase",
        entity_id=phase_id,
        detail={"before": values.model_dump(mode="json")},
    )
