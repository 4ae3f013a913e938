"""A household's health status, derived live and set-wise: "case" if a member has an open
case, else "under observation" if a member is observed today, else "normal"; with its residents
and latest registration, for whole estates in one query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import OPEN_STATUSES, Case
from epicontrol.core.db import in_chunks
from epicontrol.divisions.estate_models import EstateRegistration, HouseholdStatus
from epicontrol.divisions.models import Division
from epicontrol.people.models import Household, Resident
from epicontrol.reports.monitoring_models import Observation

OPEN_CASE_STATUSES = sorted(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True, slots=True)
class Visit:
    """A registration's columns (plain values: loading thousands of ORM rows per page costs)."""

    id: int
    household_id: int
    registered_by: str
    registered_at: datetime
    members_present: int
    has_fever_or_symptoms: bool
    has_arrival_from_outside: bool
    note: str


VISIT_COLUMNS = tuple(getattr(EstateRegistration, name) for name in Visit.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    """A household as one query returns it: its status inputs and latest registration."""

    id: int
    estate_id: int
    division_id: int
    division_name: str
    residents: int
    status: HouseholdStatus
    latest: Visit | None


def _households_with_open_case(in_estates: Select[int]) -> Subquery:
    return (
        select(Resident.household_id.label("household_id"))
        .join(Case, Case.resident_id == Resident.id)
        .where(Resident.household_id.in_(in_estates), Case.status.in_(OPEN_CASE_STATUSES))
        .distinct()
        .subquery()
    )


def _households_observed(in_estates: Select[int], today: date) -> Subquery:
    # Observed today: not closed by an officer, started, not yet past its last day.
    return (
        select(Resident.household_id.label("household_id"))
        .join(Observation, Observation.resident_id == Resident.id)
        .where(
            Resident.household_id.in_(in_estates),
            Observation.closed_at.is_(None),
            Observation.starts_on <= today,
            Observation.ends_on >= today,
        )
        .distinct()
        .subquery()
    )


def _household_query(chunk: list[int], scope_path: str, today: date) -> Select[Any]:
    """Households of the estates in `chunk` within the scope, each joined to grouped derived
    tables (residents, open cases, observations, latest visit) rather than subqueries run per
    household: the databases hash-join them, and PostgreSQL's planner sees a cheap query."""
    in_estates = select(Household.id).where(Household.estate_id.in_(chunk))
    residents = (
        select(Resident.household_id.label("household_id"), func.count().label("count"))
        .where(Resident.household_id.in_(in_estates))
        .group_by(Resident.household_id)
        .subquery()
    )
    cases = _households_with_open_case(in_estates)
    observed = _households_observed(in_estates, today)
    # Visits are stored with the server's time as they arrive: the last stored is the latest.
    latest = (
        select(
            EstateRegistration.household_id.label("household_id"),
            func.max(EstateRegistration.id).label("id"),
        )
        .where(EstateRegistration.household_id.in_(in_estates))
        .group_by(EstateRegistration.household_id)
        .subquery()
    )
    return (
        select(
            Household.id,
            Household.estate_id,
            Household.division_id,
            Division.name,
            func.coalesce(residents.c.count, 0).label("residents"),
            cases.c.household_id.is_not(None).label("has_case"),
            observed.c.household_id.is_not(None).label("has_observation"),
            *VISIT_COLUMNS,
        )
        .join(Division, Division.id == Household.division_id)
        .outerjoin(residents, residents.c.household_id == Household.id)
        .outerjoin(cases, cases.c.household_id == Household.id)
        .outerjoin(observed, observed.c.household_id == Household.id)
        .outerjoin(latest, latest.c.household_id == Household.id)
        .outerjoin(EstateRegistration, EstateRegistration.id == latest.c.id)
        .where(
            Household.estate_id.in_(chunk),
            Division.path.startswith(scope_path, autoescape=True),
        )
    )


def household_rows(
    db: Session, *, estate_ids: Sequence[int], scope_path: str, today: date
) -> list[HouseholdRow]:
    """Every household of the estates that lies in the scope, with status and latest visit, in
    one query per IN chunk of estates, never one per household."""
    rows: list[HouseholdRow] = []
    for chunk in in_chunks(list(estate_ids)):
        for row in db.execute(_household_query(chunk, scope_path, today)):
            rows.append(
                HouseholdRow(
                    id=row.id,
                    estate_id=row.estate_id,
                    division_id=row.division_id,
                    division_name=row.name,
                    residents=row.residents,
                    status=_status(bool(row.has_case), bool(row.has_observation)),
                    latest=Visit(*row[7:]) if row[7] is not None else None,
                )
            )
    return rows


def _status(has_case: bool, has_observation: bool) -> HouseholdStatus:
    # A case outranks an observation: the household is then handled as a case household.
    if has_case:
        return HouseholdStatus.CASE
    if has_observation:
        return HouseholdStatus.UNDER_OBSERVATION
    return HouseholdStatus.NORMAL
