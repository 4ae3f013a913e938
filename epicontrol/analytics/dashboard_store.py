"""The dashboard's reads of the operational store: a few narrow columns of a subtree, as Arrow.

Each query filters by the subtree in the store (Division.path prefix, joined on an indexed
division_id) and by the day on an indexed date or time, so only the rows the dashboard counts
travel: the cases (a few thousand), the day's observations, arrivals and fever reports, and
resident counts already grouped by grid. No personal data leaves this module: ids of divisions
and estates, dates, statuses, sex and birth year.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Executable, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case, CaseStatus, ClinicRegistration
from epicontrol.core.db import in_chunks
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.movements import presence_queries
from epicontrol.movements.models import Direction, Movement, RiskArea
from epicontrol.movements.presence_queries import as_stored, local_day_bounds
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import Place
from epicontrol.reports.models import SelfCheck
from epicontrol.reports.monitoring_models import Observation, ObservationReason

if TYPE_CHECKING:
    import pyarrow as pa

CONTACT_REASONS = (ObservationReason.CLOSE_CONTACT.value, ObservationReason.SECONDARY_CONTACT.value)


def in_subtree(division: Division) -> Any:
    """SQL: the joined Division row lies in `division`'s subtree."""
    return Division.path.startswith(division.path, autoescape=True)


def _arrow(db: Session, query: Executable, columns: dict[str, pa.DataType]) -> pa.Table:
    """The rows of `query` as an Arrow table with these column names and types."""
    import pyarrow as pa

    rows = db.execute(query).all()
    names = list(columns)
    arrays = [
        pa.array([row[i] for row in rows], type=kind) for i, kind in enumerate(columns.values())
    ]
    return pa.Table.from_arrays(arrays, names=names)


def divisions(db: Session, division: Division) -> pa.Table:
    """The subtree's divisions: id and which child of `division` each falls under (NULL for
    `division` itself)."""
    import pyarrow as pa

    rows = db.execute(select(Division.id, Division.path).where(in_subtree(division))).all()
    depth = len(division.path.strip("/").split("/"))
    children: list[int | None] = []
    for _, path in rows:
        parts = path.strip("/").split("/")
        children.append(int(parts[depth]) if len(parts) > depth else None)
    return pa.table(
        {
            "id": pa.array([row[0] for row in rows], pa.int64()),
            "child_id": pa.array(children, pa.int64()),
        }
    )


def children(db: Session, division: Division) -> list[Division]:
    """The direct subdivisions, by code."""
    query = select(Division).where(Division.parent_id == division.id).order_by(Division.code)
    return list(db.scalars(query))


def cases(db: Session, division: Division, day: date) -> pa.Table:
    """Cases of the subtree reported on or before `day`, not discarded: dates, status, the
    resident's sex and birth year, and the household's estate."""
    import pyarrow as pa

    query = (
        select(
            Case.division_id,
            Case.status,
            Case.onset_date,
            Case.sampling_date,
            Case.report_date,
            Resident.sex,
            Resident.birth_year,
            Household.estate_id,
        )
        .join(Division, Division.id == Case.division_id)
        .join(Resident, Resident.id == Case.resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .where(
            in_subtree(division),
            Case.status != CaseStatus.DISCARDED.value,
            Case.report_date <= day,
        )
    )
    columns = {
        "division_id": pa.int64(),
        "status": pa.string(),
        "onset_date": pa.date32(),
        "sampling_date": pa.date32(),
        "report_date": pa.date32(),
        "sex": pa.string(),
        "birth_year": pa.int32(),
        "estate_id": pa.int64(),
    }
    return _arrow(db, query, columns)


def population(db: Session, division: Division) -> pa.Table:
    """Registered residents per division of the subtree, counted in the store."""
    import pyarrow as pa

    # An IN list of the subtree's divisions, not a join: the residents' division index then
    # reads only the subtree's residents (a community's are 1% of a city's).
    subtree = select(Division.id).where(in_subtree(division))
    query = (
        select(Resident.division_id, func.count())
        .where(Resident.division_id.in_(subtree))
        .group_by(Resident.division_id)
    )
    return _arrow(db, query, {"division_id": pa.int64(), "residents": pa.int64()})


def observations(db: Session, division: Division, day: date) -> pa.Table:
    """Observations for a close or secondary contact open on `day` in the subtree."""
    import pyarrow as pa

    day_start, _ = local_day_bounds(day)
    query = (
        select(
            Observation.resident_id,
            Observation.division_id,
            Observation.reason,
            Observation.starts_on,
        )
        .join(Division, Division.id == Observation.division_id)
        .where(
            in_subtree(division),
            Observation.ends_on >= day,
            Observation.starts_on <= day,
            Observation.reason.in_(CONTACT_REASONS),
            or_(Observation.closed_at.is_(None), Observation.closed_at >= as_stored(day_start)),
        )
    )
    columns = {
        "resident_id": pa.int64(),
        "division_id": pa.int64(),
        "reason": pa.string(),
        "starts_on": pa.date32(),
    }
    return _arrow(db, query, columns)


def risk_area_arrivals(db: Session, division: Division, day: date) -> pa.Table:
    """Arrivals of `day` from a risk area, one per person (daily monitoring's definition,
    presence_queries.arrivals_subquery), with the division of the place they arrived at."""
    import pyarrow as pa

    codes = _active_risk_codes(db, day)
    if not codes:
        divisions: list[int] = []
    elif _covers_a_division_outside(db, codes, division):
        divisions = _arrivals_by_previous_place(db, division, day)
    else:
        divisions = _arrivals_by_origin(db, division, day, codes)
    return pa.table({"division_id": pa.array(divisions, pa.int64())})


def _active_risk_codes(db: Session, day: date) -> list[str]:
    query = select(RiskArea.region_code).where(
        RiskArea.starts_on <= day, or_(RiskArea.ends_on.is_(None), RiskArea.ends_on >= day)
    )
    return sorted(set(db.scalars(query)))


def _covered(column: Any, code: str) -> Any:
    """SQL: `column` starts with `code` (a range the index answers, then the exact test)."""
    following = code[:-1] + chr(ord(code[-1]) + 1)
    exact = func.substr(column, 1, len(code)) == code
    return and_(column >= code, column < following, exact)


def _covers_a_division_outside(db: Session, codes: list[str], division: Division) -> bool:
    """Whether a risk area covers one of our divisions outside `division`'s subtree. Only then
    can a previous place flag an entry: arrivals_subquery counts a previous place only when it
    lies outside the subtree, so a risk area inside the viewed area (a district of the city a
    commander watches) leaves only origins to flag entries."""
    covered = or_(*(_covered(Division.code, c) for c in codes))
    outside = not_(Division.path.startswith(division.path, autoescape=True))
    return db.scalar(select(Division.id).where(covered, outside).limit(1)) is not None


def _arrivals_by_previous_place(db: Session, division: Division, day: date) -> list[int]:
    """The definition itself: each of the day's entries is checked against the person's record
    before it, which costs an index probe per entry (seconds for a whole city's day)."""
    arrived = presence_queries.arrivals_subquery(division, day)
    query = (
        select(Place.division_id)
        .select_from(arrived)
        .join(Place, Place.id == arrived.c.place_id)
        .where(arrived.c.risk_area.isnot(None))
    )
    return [row[0] for row in db.execute(query)]


def _arrivals_by_origin(db: Session, division: Division, day: date, codes: list[str]) -> list[int]:
    """The same arrivals when no risk area covers one of our divisions: then only an origin in
    a risk area can flag an entry (the previous place's division never can), and an entry with
    such an origin always counts as coming from elsewhere; so the origin index finds them and
    the previous records need not be read. Per person, the earliest such entry (then lowest
    id) gives the place, as arrivals_subquery picks it."""
    first: dict[tuple[Any, Any], tuple[Any, int, int]] = {}
    for code in codes:
        entries = _entries_from(division, day, code, db.get_bind().dialect.name)
        for resident_id, hashed, at, movement_id, division_id in db.execute(entries):
            key = (resident_id, hashed)
            if key not in first or (at, movement_id) < first[key][:2]:
                first[key] = (at, movement_id, division_id)
    return [division_id for _, _, division_id in first.values()]


def _entries_from(division: Division, day: date, code: str, dialect: str) -> Any:
    """SQL: the day's entries into the subtree with an origin in region `code`."""
    start, end = local_day_bounds(day)
    conditions = [
        _covered(Movement.origin, code),
        in_subtree(division),
        Movement.direction == Direction.IN.value,
        presence_queries.someone(),
        Movement.occurred_at >= as_stored(start),
        Movement.occurred_at < as_stored(end),
    ]
    # PostgreSQL prunes day partitions with the day; SQLite, without statistics, would take
    # the day index (a whole day of a city's records) over the origin index (the few entries
    # with an origin) if it were named.
    if dialect != "sqlite":
        conditions.append(Movement.day.between(start.date(), end.date()))
    return (
        select(
            Movement.resident_id,
            presence_queries.person_hash(),
            Movement.occurred_at,
            Movement.id,
            Place.division_id,
        )
        .join(Place, Place.id == Movement.place_id)
        .join(Division, Division.id == Place.division_id)
        .where(*conditions)
    )


def fever_reports(db: Session, division: Division, day: date) -> pa.Table:
    """Fever self-checks by the subtree's residents and fever-clinic registrations at its
    clinics on `day`: one row each, with the division and the kind."""
    import pyarrow as pa

    start, end = local_day_bounds(day)
    checks = (
        select(Resident.division_id)
        .select_from(SelfCheck)
        .join(Resident, Resident.id == SelfCheck.resident_id)
        .join(Division, Division.id == Resident.division_id)
        .where(
            in_subtree(division),
            SelfCheck.fever.is_(True),
            SelfCheck.submitted_at >= as_stored(start),
            SelfCheck.submitted_at < as_stored(end),
        )
    )
    clinics = (
        select(ClinicRegistration.division_id)
        .join(Division, Division.id == ClinicRegistration.division_id)
        .where(
            in_subtree(division),
            ClinicRegistration.arrived_at >= as_stored(start),
            ClinicRegistration.arrived_at < as_stored(end),
        )
    )
    self_checks = [row[0] for row in db.execute(checks)]
    registrations = [row[0] for row in db.execute(clinics)]
    return pa.table(
        {
            "division_id": pa.array(self_checks + registrations, pa.int64()),
            "kind": pa.array(
                ["self_check"] * len(self_checks) + ["clinic"] * len(registrations), pa.string()
            ),
        }
    )


def estates(
    db: Session, estate_ids: Sequence[int]
) -> list[tuple[int, str, float | None, float | None]]:
    """Id, name, latitude and longitude of the estates with these ids."""
    columns = (
        HousingEstate.id,
        HousingEstate.name,
        HousingEstate.latitude,
        HousingEstate.longitude,
    )
    found: list[tuple[int, str, float | None, float | None]] = []
    for chunk in in_chunks(list(estate_ids)):
        rows = db.execute(select(*columns).where(HousingEstate.id.in_(chunk)))
        found.extend((row[0], row[1], row[2], row[3]) for row in rows)
    return found
