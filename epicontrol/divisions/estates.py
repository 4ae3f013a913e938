"""Housing-estate health registration: the estates of a caller's scope with their summaries,
an estate's households with their live status (estate_status.py) and latest visit, new visits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import in_chunks
from epicontrol.core.errors import AccessDenied, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission
from epicontrol.divisions.estate_models import EstateRegistration, HouseholdStatus
from epicontrol.divisions.estate_schemas import (
    EstateOut,
    EstateSort,
    EstatesOut,
    EstateSummaryOut,
    HouseholdOut,
    RegistrationIn,
    RegistrationOut,
)
from epicontrol.divisions.estate_status import (
    OPEN_CASE_STATUSES,
    HouseholdRow,
    Visit,
    household_rows,
)
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.people.models import Household, Resident

# Issue 6 asks for the households "registered in the last 7 days": a visit older than a week
# no longer counts as recent (it still counts as registered).
RECENT_WITHIN = timedelta(days=7)
ESTATES_PAGE = 50
HOUSEHOLDS_PAGE = 100
STATUS_ORDER = tuple(HouseholdStatus)


@dataclass(frozen=True, slots=True)
class EstateRef:
    """An estate with its community (id, name, path)."""

    id: int
    name: str
    division_id: int
    division_name: str
    division_path: str


def is_recent(registration: Visit | None, now: datetime) -> bool:
    """Whether the visit lies within RECENT_WITHIN of `now`."""
    return registration is not None and registration.registered_at >= now - RECENT_WITHIN


def summarise(
    estate: EstateRef, rows: Iterable[HouseholdRow], *, now: datetime, partial: bool
) -> EstateSummaryOut:
    """The figures of one estate over `rows`."""
    listed = list(rows)
    statuses = Counter(r.status for r in listed)
    visits = [r.latest for r in listed if r.latest is not None]
    return EstateSummaryOut(
        id=estate.id,
        name=estate.name,
        division_id=estate.division_id,
        division_name=estate.division_name,
        households=len(listed),
        registered=len(visits),
        registered_recently=sum(is_recent(v, now) for v in visits),
        normal=statuses[HouseholdStatus.NORMAL],
        under_observation=statuses[HouseholdStatus.UNDER_OBSERVATION],
        cases=statuses[HouseholdStatus.CASE],
        residents=sum(r.residents for r in listed),
        fever_reported=sum(v.has_fever_or_symptoms for v in visits),
        arrivals_reported=sum(v.has_arrival_from_outside for v in visits),
        is_partial=partial,
    )


def _estates_query(principal: Principal) -> Select[int, str, int, str, str]:
    # An estate lies in a community; a grid worker's scope is one grid below it, so for them an
    # estate is in scope when one of its households lives in their grid.
    own_grid = select(Household.estate_id).where(Household.division_id == principal.division_id)
    return (
        select(HousingEstate.id, HousingEstate.name, Division.id, Division.name, Division.path)
        .join(Division, Division.id == HousingEstate.division_id)
        .where(
            or_(
                Division.path.startswith(principal.division_path, autoescape=True),
                HousingEstate.id.in_(own_grid),
            )
        )
    )


def case_households_by_estate(db: Session, *, scope_path: str) -> dict[int, int]:
    """Households with an open case, per estate, in the scope: what "sort by cases" orders by."""
    query = (
        select(Household.estate_id, func.count(func.distinct(Household.id)))
        .join(Resident, Resident.household_id == Household.id)
        .join(Case, Case.resident_id == Resident.id)
        .join(Division, Division.id == Household.division_id)
        .where(
            Household.estate_id.is_not(None),
            Case.status.in_(OPEN_CASE_STATUSES),
            Division.path.startswith(scope_path, autoescape=True),
        )
        .group_by(Household.estate_id)
    )
    return {estate_id: count for estate_id, count in db.execute(query) if estate_id is not None}


def list_in_scope(
    db: Session,
    *,
    principal: Principal,
    now: datetime,
    name: str = "",
    sort: EstateSort = EstateSort.NAME,
    page: int = 1,
    purpose: str = "estate list",
) -> EstatesOut:
    """One page of the estates in scope with their summaries, filtered by name (Chinese or
    pinyin), by name or most case households first; audited."""
    query = _estates_query(principal)
    wanted = name.strip()
    if wanted:
        query = query.where(
            or_(
                HousingEstate.name.contains(wanted, autoescape=True),
                HousingEstate.name_pinyin.icontains(wanted, autoescape=True),
            )
        )
    estates = [EstateRef(*row) for row in db.execute(query)]
    if sort == EstateSort.CASES:
        cases = case_households_by_estate(db, scope_path=principal.division_path)
        estates.sort(key=lambda e: (-cases.get(e.id, 0), e.name, e.id))
    else:
        estates.sort(key=lambda e: (e.name, e.id))
    page = max(page, 1)
    shown = estates[(page - 1) * ESTATES_PAGE : page * ESTATES_PAGE]
    rows = household_rows(
        db,
        estate_ids=[e.id for e in shown],
        scope_path=principal.division_path,
        today=local_date(now),
    )
    by_estate: dict[int, list[HouseholdRow]] = defaultdict(list)
    for row in rows:
        by_estate[row.estate_id].append(row)
    summaries = [
        summarise(e, by_estate[e.id], now=now, partial=not principal.covers(e.division_path))
        for e in shown
    ]
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="housing_estate",
        purpose=purpose,
        detail={"count": len(summaries), "name": wanted[:40], "sort": sort.value},
    )
    return EstatesOut(
        total=len(estates),
        page=page,
        page_size=ESTATES_PAGE,
        name=wanted,
        sort=sort,
        estates=summaries,
    )


def visible_estate(db: Session, *, principal: Principal, estate_id: int, action: str) -> EstateRef:
    """The estate if in scope; NotFound or AccessDenied (audited by the request)."""
    row = db.execute(_estates_query(principal).where(HousingEstate.id == estate_id)).first()
    if row is not None:
        return EstateRef(*row)
    if db.get(HousingEstate, estate_id) is None:
        raise NotFound(f"housing estate {estate_id} does not exist")
    raise AccessDenied(
        f"housing estate {estate_id} lies outside your scope",
        action=action,
        entity="housing_estate",
        entity_id=str(estate_id),
    )


def read(
    db: Session,
    *,
    principal: Principal,
    estate_id: int,
    now: datetime,
    status: HouseholdStatus | None = None,
    page: int = 1,
    purpose: str = "estate health registration",
) -> EstateOut:
    """An estate's summary and a page of its households in scope (cases, then observations,
    then normal; unvisited before visited), with masked member names; audited."""
    estate = visible_estate(
        db, principal=principal, estate_id=estate_id, action=str(Permission.ESTATE_READ)
    )
    rows = household_rows(
        db, estate_ids=[estate_id], scope_path=principal.division_path, today=local_date(now)
    )
    summary = summarise(estate, rows, now=now, partial=not principal.covers(estate.division_path))
    listed = [r for r in rows if status is None or r.status == status]
    listed.sort(key=lambda r: (STATUS_ORDER.index(r.status), is_recent(r.latest, now), r.id))
    page = max(page, 1)
    shown = listed[(page - 1) * HOUSEHOLDS_PAGE : page * HOUSEHOLDS_PAGE]
    members = _masked_members(db, [r.id for r in shown])
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="housing_estate",
        entity_id=estate_id,
        purpose=purpose,
        detail={"households": len(shown), "status": status.value if status else None},
    )
    return EstateOut(
        summary=summary,
        as_of=now,
        status=status,
        page=page,
        page_size=HOUSEHOLDS_PAGE,
        listed_total=len(listed),
        households=[_household_out(r, members.get(r.id, []), now) for r in shown],
    )


def _masked_members(db: Session, household_ids: list[int]) -> dict[int, list[str]]:
    members: dict[int, list[str]] = defaultdict(list)
    for chunk in in_chunks(household_ids):
        query = (
            select(Resident.household_id, Resident.name_masked)
            .where(Resident.household_id.in_(chunk))
            .order_by(Resident.household_id, Resident.id)
        )
        for household_id, masked in db.execute(query):
            if household_id is not None:
                members[household_id].append(masked)
    return members


def _household_out(row: HouseholdRow, members: list[str], now: datetime) -> HouseholdOut:
    return HouseholdOut(
        id=row.id,
        division_id=row.division_id,
        division_name=row.division_name,
        status=row.status,
        residents=row.residents,
        members=members,
        latest=RegistrationOut.model_validate(row.latest) if row.latest else None,
        is_registered_recently=is_recent(row.latest, now),
    )


def register(
    db: Session,
    *,
    principal: Principal,
    estate_id: int,
    household_id: int,
    data: RegistrationIn,
    now: datetime,
) -> RegistrationOut:
    """Store a visit to a household of the estate that lies in the caller's scope; audited."""
    action = str(Permission.ESTATE_REGISTER)
    visible_estate(db, principal=principal, estate_id=estate_id, action=action)
    found = db.execute(
        select(Household.estate_id, Division.path)
        .join(Division, Division.id == Household.division_id)
        .where(Household.id == household_id)
    ).first()
    if found is None or found.estate_id != estate_id:
        raise NotFound(f"household {household_id} is not in housing estate {estate_id}")
    if not principal.covers(found.path):
        raise AccessDenied(
            f"household {household_id} lives in a grid outside your scope",
            action=action,
            entity="household",
            entity_id=str(household_id),
        )
    registration = EstateRegistration(
        household_id=household_id,
        registered_by_user_id=principal.user_id,
        registered_by=principal.username[:80],
        registered_at=now,
        members_present=data.members_present,
        has_fever_or_symptoms=data.has_fever_or_symptoms,
        has_arrival_from_outside=data.has_arrival_from_outside,
        note=data.note.strip(),
    )
    db.add(registration)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="register",
        entity="estate_registration",
        entity_id=registration.id,
        purpose="estate health registration",
        detail={
            "estate_id": estate_id,
            "household_id": household_id,
            "fever_or_symptoms": data.has_fever_or_symptoms,
            "arrival_from_outside": data.has_arrival_from_outside,
        },
    )
    return RegistrationOut.model_validate(registration)
