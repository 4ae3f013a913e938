"""Inspection cases: opened from a flag or a report, assigned, inspected, closed with an outcome.

Every transition is one compare-and-set UPDATE naming the version the inspector saw and the
statuses it may start from: of two inspectors acting on the same case at once, one changes it
and the other's UPDATE matches no row, which is a 409 asking them to reload. One open case per
seller is kept by a unique key (models.py), so two inspectors opening one together get one case.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division
from epicontrol.market import sellers
from epicontrol.market.models import (
    CaseStatus,
    MarketCase,
    MarketCaseReport,
    MarketReport,
    MarketSeller,
    Outcome,
)
from epicontrol.market.schemas import AssignIn, CaseOpenIn, CaseOut, CloseIn, InspectIn

INSPECTOR_ROLES = (Role.MARKET_INSPECTOR.value, Role.ADMIN.value)
# Outcomes that need an inspection first; "unfounded" may close a case straight away.
NEEDS_INSPECTION = frozenset(set(Outcome) - {Outcome.UNFOUNDED})


def open_case(db: Session, *, principal: Principal, data: CaseOpenIn, now: datetime) -> MarketCase:
    """Open a case about a seller of the caller's subtree with the reports it is about."""
    seller = sellers.get_in_scope(db, principal=principal, seller_id=data.seller_id)
    wanted = set(data.report_ids)
    found = set(
        db.scalars(
            select(MarketReport.id).where(
                MarketReport.id.in_(wanted), MarketReport.seller_id == seller.id
            )
        )
    )
    if found != wanted:
        raise InvalidInput(f"reports {sorted(wanted - found)} are not about this seller")
    row = MarketCase(
        seller_id=seller.id,
        open_seller_id=seller.id,
        division_id=seller.division_id,
        source=data.source,
        status=CaseStatus.OPEN.value,
        version=1,
        opened_by=principal.user_id,
        opened_at=now,
        findings="",
        samples="",
    )
    try:
        with db.begin_nested():  # losing the race for the seller's open case undoes only this
            db.add(row)
            db.flush()
    except IntegrityError:
        existing = db.scalar(select(MarketCase.id).where(MarketCase.open_seller_id == seller.id))
        raise Conflict(f"this seller already has an open case (#{existing})") from None
    db.add_all(MarketCaseReport(case_id=row.id, report_id=r) for r in sorted(wanted))
    _audit(db, principal, row.id, "open", {"seller": seller.id, "reports": sorted(wanted)})
    db.flush()
    return row


def get_in_scope(db: Session, *, principal: Principal, case_id: int) -> MarketCase:
    """A case of the caller's subtree."""
    row = db.get(MarketCase, case_id)
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    path = db.scalar(select(Division.path).where(Division.id == row.division_id)) or ""
    if not principal.covers(path):
        raise AccessDenied(
            "this case is outside your division",
            action="market:inspect",
            entity="market_case",
            entity_id=str(case_id),
        )
    return row


def read(db: Session, *, principal: Principal, case_id: int) -> MarketCase:
    """A case of the caller's subtree, the read audited (its reports come from residents)."""
    row = get_in_scope(db, principal=principal, case_id=case_id)
    audit.record(
        db, actor=principal, action="market:read_case", entity="market_case", entity_id=row.id
    )
    return row


def assign(db: Session, *, principal: Principal, case_id: int, data: AssignIn) -> MarketCase:
    """Give an open (or assigned) case to an inspector whose scope covers it."""
    row = get_in_scope(db, principal=principal, case_id=case_id)
    path = db.scalar(select(Division.path).where(Division.id == row.division_id)) or ""
    if data.assignee_user_id not in {i for i, _n in assignable(db, division_path=path)}:
        raise InvalidInput("assign the case to an active inspector whose area covers it")
    _compare_and_set(
        db,
        row,
        data.version,
        (CaseStatus.OPEN, CaseStatus.ASSIGNED),
        status=CaseStatus.ASSIGNED.value,
        assignee_user_id=data.assignee_user_id,
    )
    _audit(db, principal, row.id, "assign", {"assignee": data.assignee_user_id})
    return _reloaded(db, row)


def record_inspection(
    db: Session, *, principal: Principal, case_id: int, data: InspectIn, now: datetime
) -> MarketCase:
    """Record the inspection of an assigned case (again, to correct it, before closing)."""
    row = get_in_scope(db, principal=principal, case_id=case_id)
    if data.inspected_on > now.astimezone(LOCAL_TIME).date():  # the inspector's calendar
        raise InvalidInput("the inspection date cannot be in the future")
    _compare_and_set(
        db,
        row,
        data.version,
        (CaseStatus.ASSIGNED, CaseStatus.INSPECTED),
        status=CaseStatus.INSPECTED.value,
        inspected_on=data.inspected_on,
        findings=data.findings.strip(),
        samples=data.samples.strip(),
    )
    _audit(db, principal, row.id, "inspect", {"inspected_on": data.inspected_on.isoformat()})
    return _reloaded(db, row)


def close(
    db: Session, *, principal: Principal, case_id: int, data: CloseIn, now: datetime
) -> MarketCase:
    """Close with the outcome: after an inspection, or at once as unfounded."""
    row = get_in_scope(db, principal=principal, case_id=case_id)
    allowed = (
        (CaseStatus.INSPECTED,)
        if data.outcome in NEEDS_INSPECTION
        else (CaseStatus.OPEN, CaseStatus.ASSIGNED, CaseStatus.INSPECTED)
    )
    if data.outcome in NEEDS_INSPECTION and row.status in (CaseStatus.OPEN, CaseStatus.ASSIGNED):
        raise Conflict("record the inspection before this outcome")
    fine = int(data.fine_yuan * 100) if data.outcome == Outcome.FINE and data.fine_yuan else None
    _compare_and_set(
        db,
        row,
        data.version,
        allowed,
        status=CaseStatus.CLOSED.value,
        open_seller_id=None,
        outcome=data.outcome.value,
        fine_fen=fine,
        closed_at=now,
        closed_by=principal.user_id,
    )
    _audit(db, principal, row.id, "close", {"outcome": data.outcome.value, "fine_fen": fine})
    return _reloaded(db, row)


def _compare_and_set(
    db: Session,
    row: MarketCase,
    version: int,
    from_statuses: tuple[CaseStatus, ...],
    **values: Any,
) -> None:
    changed = db.execute(
        update(MarketCase)
        .where(
            MarketCase.id == row.id,
            MarketCase.version == version,
            MarketCase.status.in_([s.value for s in from_statuses]),
        )
        .values(version=MarketCase.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "the case changed since you opened it (someone else acted on it): reload and retry"
        )


def _reloaded(db: Session, row: MarketCase) -> MarketCase:
    db.refresh(row)
    return row


def _audit(
    db: Session, principal: Principal, case_id: int, step: str, detail: dict[str, Any]
) -> None:
    audit.record(
        db,
        actor=principal,
        action=f"market:case_{step}",
        entity="market_case",
        entity_id=case_id,
        detail=detail,
    )


def assignable(db: Session, *, division_path: str) -> list[tuple[int, str]]:
    """(user id, login) of active inspectors whose scope covers a division, by login."""
    rows = db.execute(
        select(User.id, User.username, Division.path)
        .join(Division, Division.id == User.division_id)
        .where(User.role.in_(INSPECTOR_ROLES), User.is_active.is_(True))
        .order_by(User.username)
    ).all()
    return [(user_id, name) for user_id, name, path in rows if division_path.startswith(path)]


def describe(db: Session, row: MarketCase) -> CaseOut:
    """A case for its page and the API."""
    assignee = aliased(User)
    seller_name, assignee_name = db.execute(
        select(MarketSeller.name, assignee.username)
        .select_from(MarketSeller)
        .outerjoin(assignee, assignee.id == row.assignee_user_id)
        .where(MarketSeller.id == row.seller_id)
    ).one()
    report_ids = db.scalars(
        select(MarketCaseReport.report_id)
        .where(MarketCaseReport.case_id == row.id)
        .order_by(MarketCaseReport.report_id)
    ).all()
    return CaseOut(
        id=row.id,
        seller_id=row.seller_id,
        seller_name=seller_name,
        source=row.source,
        status=CaseStatus(row.status),
        version=row.version,
        assignee=assignee_name,
        inspected_on=row.inspected_on,
        findings=row.findings,
        samples=row.samples,
        outcome=Outcome(row.outcome) if row.outcome else None,
        fine_yuan=Decimal(row.fine_fen) / 100 if row.fine_fen else None,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        report_ids=list(report_ids),
    )


def cases_of_seller(db: Session, *, seller_id: int) -> list[MarketCase]:
    """A seller's cases, newest first."""
    return list(
        db.scalars(
            select(MarketCase)
            .where(MarketCase.seller_id == seller_id)
            .order_by(MarketCase.id.desc())
        )
    )
