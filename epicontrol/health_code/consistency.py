"""Residents whose stored status disagrees with the records: a record that should be evidence
and is not (written by a Core statement or another program, which no session event saw), or
evidence whose record no longer qualifies. The sweep recomputes them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.local_time import local_date
from epicontrol.health_code.models import RiskEvidence
from epicontrol.health_code.rules import RiskRules, Rule
from epicontrol.reports.models import SelfCheck
from epicontrol.tracing.models import Contact

CONTACT_RULES = (Rule.CLOSE_CONTACT, Rule.SECONDARY_CONTACT)


def _is_evidence(table: str, source_id: Any) -> Any:
    return exists().where(RiskEvidence.source_table == table, RiskEvidence.source_id == source_id)


def _missing(db: Session, *, now: datetime, rules: RiskRules, limit: int) -> set[int]:
    """Residents with a qualifying record that is not among their evidence."""
    window = now - timedelta(days=rules.fever_report_days)
    queries = [
        select(Case.resident_id).where(
            Case.status.in_(sorted(rules.red_case_statuses)), not_(_is_evidence("cases", Case.id))
        ),
        select(Contact.contact_resident_id).where(
            Contact.withdrawn_at.is_(None),
            Contact.degree.in_((1, 2)),
            Contact.observation_ends_on >= local_date(now),
            not_(_is_evidence("contacts", Contact.id)),
        ),
        select(SelfCheck.resident_id).where(
            SelfCheck.fever.is_(True),
            SelfCheck.cleared_at.is_(None),
            SelfCheck.submitted_at > window,
            not_(_is_evidence("self_checks", SelfCheck.id)),
        ),
    ]
    found: set[int] = set()
    for query in queries:
        found.update(db.scalars(query.distinct().limit(limit)))
    return found


def _orphaned(db: Session, *, rules: RiskRules, limit: int) -> set[int]:
    """Residents with evidence whose record is gone or no longer qualifies."""
    e = RiskEvidence
    case_gone = and_(
        e.source_table == "cases",
        not_(
            exists().where(Case.id == e.source_id, Case.status.in_(sorted(rules.red_case_statuses)))
        ),
    )
    contact_gone = and_(
        e.source_table == "contacts",
        not_(exists().where(Contact.id == e.source_id, Contact.withdrawn_at.is_(None))),
    )
    check_gone = and_(
        e.source_table == "self_checks",
        not_(exists().where(SelfCheck.id == e.source_id, SelfCheck.cleared_at.is_(None))),
    )
    query = select(e.resident_id).where(or_(case_gone, contact_gone, check_gone)).distinct()
    return set(db.scalars(query.limit(limit)))


def drifted(db: Session, *, now: datetime, rules: RiskRules, limit: int = 10_000) -> list[int]:
    """Residents to recompute because their stored evidence and the records disagree."""
    found = _missing(db, now=now, rules=rules, limit=limit)
    found |= _orphaned(db, rules=rules, limit=limit)
    return sorted(found)
