"""Reading risk statuses (a resident their own, staff within their division, audited) and
appeals: a resident appeals, an officer upholds or corrects, every decision audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.policy import Permission, Role
from epicontrol.divisions.models import Division
from epicontrol.health_code import status
from epicontrol.health_code.models import AppealState, RiskAppeal, RiskEvidence, RiskStatus
from epicontrol.health_code.rules import Colour, active
from epicontrol.health_code.schemas import (
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    Decision,
    EvidenceOut,
    RiskStatusOut,
)
from epicontrol.people.models import Resident

MAX_APPEALS_LISTED = 200


def own_resident(principal: Principal) -> int:
    """The resident a login stands for, or 404 for a login linked to none."""
    if principal.resident_id is None:
        raise NotFound("this login is not linked to a resident, so it has no risk status")
    return principal.resident_id


def _check_visible(db: Session, principal: Principal, resident_id: int, action: str) -> None:
    """A resident sees only their own status; staff only residents of their division subtree."""
    if principal.role == Role.RESIDENT:
        if resident_id != principal.resident_id:
            raise AccessDenied(
                "a resident may only see their own risk status",
                action=action,
                entity="risk_status",
                entity_id=str(resident_id),
            )
        return
    path = db.scalar(
        select(Division.path)
        .join(Resident, Resident.division_id == Division.id)
        .where(Resident.id == resident_id)
    )
    if path is None:
        raise NotFound(f"resident {resident_id} does not exist")
    if not principal.covers(path):
        raise AccessDenied(
            f"resident {resident_id} is registered outside your scope",
            action=action,
            entity="risk_status",
            entity_id=str(resident_id),
        )


def describe(db: Session, resident_id: int, *, now: datetime) -> RiskStatusOut:
    """A resident's current status (recomputed first if expired) with its evidence and appeals."""
    current = status.current(db, resident_id, now=now)
    evidence = db.scalars(
        select(RiskEvidence)
        .where(RiskEvidence.resident_id == resident_id)
        .order_by(RiskEvidence.level.desc(), RiskEvidence.rule, RiskEvidence.source_id)
    )
    appeals = db.scalars(
        select(RiskAppeal)
        .where(RiskAppeal.resident_id == resident_id)
        .order_by(RiskAppeal.id.desc())
        .limit(20)
    )
    return _out(current, list(evidence), [AppealOut.model_validate(a) for a in appeals], now)


def _out(
    current: RiskStatus, evidence: list[RiskEvidence], appeals: list[AppealOut], now: datetime
) -> RiskStatusOut:
    return RiskStatusOut(
        resident_id=current.resident_id,
        colour=current.colour,
        reason=current.reason,
        computed_at=current.computed_at,
        changes_at=current.changes_at,
        evidence=[
            EvidenceOut(
                rule=item.rule,
                colour=Colour(item.level).label,
                source_table=item.source_table,
                source_id=item.source_id,
                reason=item.reason,
                since=item.since,
                expires_at=item.expires_at,
                overridden_until=item.overridden_until,
                counts=(item.expires_at is None or item.expires_at > now)
                and (item.overridden_until is None or item.overridden_until <= now),
            )
            for item in evidence
        ],
        appeals=appeals,
    )


def read(
    db: Session, *, principal: Principal, resident_id: int, purpose: str, now: datetime
) -> RiskStatusOut:
    """A resident's status with its evidence for a caller allowed to see it; audited."""
    _check_visible(db, principal, resident_id, str(Permission.RISK_STATUS_READ))
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="risk_status",
        entity_id=resident_id,
        purpose=purpose or ("own status" if principal.role == Role.RESIDENT else "risk status"),
    )
    return describe(db, resident_id, now=now)


def appeal(db: Session, *, principal: Principal, data: AppealIn, now: datetime) -> RiskAppeal:
    """A resident appeals their own current status; one open appeal at a time."""
    resident_id = own_resident(principal)
    pending = db.scalar(
        select(RiskAppeal.id).where(
            RiskAppeal.resident_id == resident_id, RiskAppeal.state == AppealState.OPEN.value
        )
    )
    if pending is not None:
        raise Conflict(f"appeal {pending} is still open; wait for its decision")
    current = status.current(db, resident_id, now=now)
    filed = RiskAppeal(
        resident_id=resident_id,
        state=AppealState.OPEN.value,
        reason=data.reason.strip(),
        colour_appealed=current.colour,
        submitted_by=principal.username,
        submitted_at=now,
    )
    db.add(filed)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="appeal",
        entity="risk_status",
        entity_id=resident_id,
        purpose="risk status appeal",
        detail={"appeal_id": filed.id, "colour": current.colour},
    )
    return filed


def list_appeals(db: Session, *, principal: Principal, state: str | None) -> list[AppealOut]:
    """Appeals of residents in the caller's division subtree, oldest open first."""
    query = (
        select(RiskAppeal)
        .join(Resident, Resident.id == RiskAppeal.resident_id)
        .join(Division, Division.id == Resident.division_id)
        .where(Division.path.startswith(principal.division_path, autoescape=True))
        .order_by(RiskAppeal.submitted_at, RiskAppeal.id)
        .limit(MAX_APPEALS_LISTED)
    )
    if state is not None:
        if state not in {s.value for s in AppealState}:
            raise InvalidInput(f"unknown appeal state '{state}': use open, upheld or corrected")
        query = query.where(RiskAppeal.state == state)
    return [AppealOut.model_validate(a) for a in db.scalars(query)]


def decide(
    db: Session, *, principal: Principal, appeal_id: int, data: AppealDecisionIn, now: datetime
) -> RiskAppeal:
    """Uphold an open appeal or correct the status (a colour until a moment); audited. The
    correction is evidence of the status itself while it lasts."""
    filed = db.get(RiskAppeal, appeal_id)
    if filed is None:
        raise NotFound(f"appeal {appeal_id} does not exist")
    _check_visible(db, principal, filed.resident_id, str(Permission.RISK_REVIEW))
    if filed.state != AppealState.OPEN.value:
        raise Conflict(f"appeal {appeal_id} was already decided ({filed.state})")
    if data.decision == Decision.CORRECT:
        _check_correction(data, now)
        filed.state = AppealState.CORRECTED.value
        filed.override_colour = data.colour
        filed.override_until = data.until
    elif data.colour is not None or data.until is not None:
        raise InvalidInput("an upheld appeal changes nothing: leave out colour and until")
    else:
        filed.state = AppealState.UPHELD.value
    filed.decided_by = principal.username
    filed.decided_at = now
    filed.decision_note = data.note.strip()
    audit.record(
        db,
        actor=principal,
        action="correct" if data.decision == Decision.CORRECT else "uphold",
        entity="risk_status",
        entity_id=filed.resident_id,
        purpose="risk status appeal",
        detail={
            "appeal_id": filed.id,
            "colour_appealed": filed.colour_appealed,
            "override_colour": filed.override_colour,
            "override_until": filed.override_until.isoformat() if filed.override_until else None,
            "note": filed.decision_note,
        },
    )
    db.flush()
    status.recompute(db, [filed.resident_id], now=now)
    return filed


def _check_correction(data: AppealDecisionIn, now: datetime) -> None:
    if data.colour is None or data.until is None:
        raise InvalidInput("a correction needs the colour and the moment it ends ('until')")
    if data.until <= now:
        raise InvalidInput(f"until ({data.until.isoformat()}) is not in the future")
    longest = timedelta(days=active().max_override_days)
    if data.until - now > longest:
        raise InvalidInput(
            f"a correction holds at most {longest.days} days; set 'until' before "
            f"{(now + longest).isoformat()}"
        )
