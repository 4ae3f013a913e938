"""Entries and exits of a division: who is inside now, today's arrivals, daily counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, computed_field
from sqlalchemy import Select, Subquery, and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import UTCDateTime
from epicontrol.core.errors import InvalidInput
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.movements import risk_areas, rules
from epicontrol.movements.models import Direction, Movement, MovementKind
from epicontrol.people.models import Resident
from epicontrol.places.models import Place

# "Today" and the days of the daily counts are local calendar days, while the `day` column holds
# the UTC date. A module constant rather than a setting: every deployment so far runs on China
# Standard Time (UTC+8 all year), and zoneinfo keeps the code right should that ever change.
LOCAL_TIME_ZONE = ZoneInfo("Asia/Shanghai")
MAX_PAGE = 500
MAX_DAYS = 60
PAGE_ARRIVALS = 100  # arrivals per page of the presence page
UNREGISTERED = "未登记 unregistered"
_DIRECTIONS = (Direction.IN.value, Direction.OUT.value)


class PersonInside(BaseModel):
    """Someone inside the division now, and the record that keeps them inside."""

    resident_id: int | None
    name_masked: str
    place_id: int
    place_name: str
    since: datetime


class InsideOut(BaseModel):
    """Who is inside a division now: counts and one page of people, newest first."""

    division_id: int
    as_of: datetime
    total: int
    residents: int
    unregistered: int
    offset: int
    people: list[PersonInside]


class Arrival(BaseModel):
    """Someone's first arrival of the day (a risk-area one if any), with where they came from."""

    resident_id: int | None
    name_masked: str
    place_name: str
    arrived_at: datetime
    origin: str | None
    previous_place: str | None
    previous_division: str | None
    risk_area: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_from_risk_area(self) -> bool:
        """Whether a risk area active that day covers where this person came from."""
        return self.risk_area is not None


class ArrivalsOut(BaseModel):
    """Arrivals of one local day: counts and one page, risk-area arrivals first."""

    division_id: int
    day: date
    total: int
    from_risk_areas: int
    offset: int
    arrivals: list[Arrival]


class DayCount(BaseModel):
    """In and out records at the division's places during one local day."""

    day: date
    entries: int
    exits: int


class PresenceSummary(BaseModel):
    """The four figures of the presence page (counts only, no personal data)."""

    division_id: int
    division_name: str
    as_of: datetime
    day: date
    inside_now: int
    arrivals_today: int
    arrivals_from_risk_areas: int
    entries_today: int
    exits_today: int


class Overview(BaseModel):
    """Everything the presence page shows."""

    figures: PresenceSummary
    by_day: list[DayCount]
    arrivals: ArrivalsOut


def local_date(moment: datetime) -> date:
    """The deployment's local calendar day at `moment`."""
    return moment.astimezone(LOCAL_TIME_ZONE).date()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of the local calendar day `day`."""
    start = datetime.combine(day, time(0), LOCAL_TIME_ZONE)
    end = datetime.combine(day + timedelta(days=1), time(0), LOCAL_TIME_ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def summary(
    db: Session, *, principal: Principal, division_id: int, now: datetime
) -> PresenceSummary:
    """Inside now, arrivals today (and from risk areas), entries and exits today: counts only."""
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    arrived = _arrivals(division, local_date(now))
    total, risky = db.execute(select(func.count(), func.count(arrived.c.risk_area))).one()
    return _summary(db, division, now, total, risky, _daily(db, division, days=1, now=now)[-1])


def overview(
    db: Session, *, principal: Principal, division_id: int, purpose: str, now: datetime, offset: int
) -> Overview:
    """What the presence page shows: figures, the last 14 days, a page of today's arrivals."""
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    day = local_date(now)
    arrived = _listed_arrivals(db, principal, purpose, division, day, offset, PAGE_ARRIVALS)
    by_day = _daily(db, division, days=14, now=now)
    figures = _summary(db, division, now, arrived.total, arrived.from_risk_areas, by_day[-1])
    return Overview(figures=figures, by_day=by_day, arrivals=arrived)


def inside_now(
    db: Session,
    *,
    principal: Principal,
    division_id: int,
    purpose: str,
    now: datetime,
    offset: int = 0,
    limit: int = 100,
) -> InsideOut:
    """People inside the division's subtree at `now`, newest first; the read is audited.

    Check-ins (kind "checkin") are followed per venue: inside while the newest check-in there is
    "in" and younger than `rules.auto_checkout_after(place.kind)`. Every other record (gate scans,
    rail, vehicles) is one track per person over the whole subtree: inside while their newest such
    record is "in", so entering by one gate and leaving by another is an exit. Someone is inside
    if either holds. Only the retention window is read: older records have been purged.
    """
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    inside = _inside(division, now)
    # Totals ride along as window counts: the window over every record is computed once.
    query = (
        select(inside.c.resident_id, _name_masked(), inside.c.place_id, inside.c.at.label("since"))
        .add_columns(Place.name.label("place_name"), func.count().over().label("total"))
        .add_columns(func.count(inside.c.resident_id).over().label("residents"))
        .select_from(inside)
        .join(Place, Place.id == inside.c.place_id)
        .outerjoin(Resident, Resident.id == inside.c.resident_id)
        .order_by(inside.c.at.desc(), inside.c.id.desc())
    )
    rows = _page(db, query, offset, limit)
    if rows or not offset:
        total, residents = (rows[0]["total"], rows[0]["residents"]) if rows else (0, 0)
    else:  # a page past the end: count separately
        counts = select(func.count(), func.count(inside.c.resident_id))
        total, residents = db.execute(counts).one()
    people = [PersonInside.model_validate(row) for row in rows]
    _audit_list(db, principal, purpose, division.id, "inside", len(people), offset)
    return InsideOut(
        division_id=division.id,
        as_of=now,
        total=total,
        residents=residents,
        unregistered=total - residents,
        offset=offset,
        people=people,
    )


def arrivals(
    db: Session,
    *,
    principal: Principal,
    division_id: int,
    purpose: str,
    now: datetime,
    day: date | None = None,
    offset: int = 0,
    limit: int = 100,
    from_risk_areas_only: bool = False,
) -> ArrivalsOut:
    """People who arrived in the division on local `day` (default today); the read is audited.

    An arrival is an "in" record at a place in the subtree during that day that either carries an
    `origin` (rail and vehicle imports) or whose person's previous record, wherever it was, lay
    outside the subtree or does not exist. It is from a risk area when a risk area active that day
    covers the origin or the division of the previous record's place (`risk_areas.covering`).
    Each person counts once, by their first arrival of the day (a risk-area one first). Listed
    risk-area arrivals first, then newest first.
    """
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    day = day or local_date(now)
    only_risky = from_risk_areas_only
    return _listed_arrivals(db, principal, purpose, division, day, offset, limit, only_risky)


def daily_counts(
    db: Session, *, principal: Principal, division_id: int, now: datetime, days: int = 14
) -> list[DayCount]:
    """In and out records per local day for the last `days` days up to today, oldest first.

    Every record with a direction at a place in the subtree counts, venue check-ins included.
    """
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}, not {days}")
    return _daily(db, division, days=days, now=now)


def _summary(
    db: Session, division: Division, now: datetime, arrived: int, risky: int, today: DayCount
) -> PresenceSummary:
    inside = db.scalar(select(func.count()).select_from(_inside(division, now))) or 0
    return PresenceSummary(
        division_id=division.id,
        division_name=division.name,
        as_of=now,
        day=today.day,
        inside_now=inside,
        arrivals_today=arrived,
        arrivals_from_risk_areas=risky,
        entries_today=today.entries,
        exits_today=today.exits,
    )


def _listed_arrivals(
    db: Session,
    principal: Principal,
    purpose: str,
    division: Division,
    day: date,
    offset: int,
    limit: int,
    only_risky: bool = False,
) -> ArrivalsOut:
    arrived = _arrivals(division, day)
    a = arrived.c
    total, risky = db.execute(select(func.count(), func.count(a.risk_area))).one()
    query = (
        select(a.resident_id, _name_masked(), a.previous_place, a.previous_division, a.risk_area)
        .add_columns(Place.name.label("place_name"), a.at.label("arrived_at"))
        .add_columns(func.nullif(a.origin, "").label("origin"))
        .select_from(arrived)
        .join(Place, Place.id == a.place_id)
        .outerjoin(Resident, Resident.id == a.resident_id)
        .order_by(_risk_last(a.risk_area), a.at.desc(), a.id.desc())
    )
    if only_risky:
        query = query.where(a.risk_area.isnot(None))
    rows = [Arrival.model_validate(row) for row in _page(db, query, offset, limit)]
    _audit_list(db, principal, purpose, division.id, "arrivals", len(rows), offset)
    return ArrivalsOut(
        division_id=division.id,
        day=day,
        total=total,
        from_risk_areas=risky,
        offset=offset,
        arrivals=rows,
    )


def _page(db: Session, query: Select[Any], offset: int, limit: int) -> list[dict[str, Any]]:
    paged = query.offset(offset).limit(min(limit, MAX_PAGE))
    return [dict(row._mapping) for row in db.execute(paged)]


def _name_masked() -> ColumnElement[str]:
    return func.coalesce(Resident.name_masked, UNREGISTERED).label("name_masked")


def _someone() -> ColumnElement[bool]:
    # Vehicle records may name only a plate: they cannot place a person.
    return or_(Movement.resident_id.isnot(None), Movement.person_hash.isnot(None))


def _person_hash() -> ColumnElement[Any]:
    # A resident is keyed by resident_id alone, so records with and without a hash stay together.
    return case((Movement.resident_id.is_(None), Movement.person_hash), else_=None)


def _subtree_places(division: Division) -> Select[Any]:
    return (
        select(Place.id)
        .join(Division, Division.id == Place.division_id)
        .where(Division.path.startswith(division.path, autoescape=True))
    )


def _at(moment: datetime) -> ColumnElement[datetime]:
    # Typed so SQLite compares it in the same stored text form as the column.
    return literal(moment, UTCDateTime())


def _risk_last(risk_area: ColumnElement[Any]) -> ColumnElement[int]:
    return case((risk_area.is_(None), 1), else_=0)


def _inside(division: Division, now: datetime) -> Subquery:
    """One row per person inside at `now`: id, resident_id, person_hash, place_id, at."""
    is_checkin = Movement.kind == MovementKind.CHECKIN.value
    track = case((is_checkin, Movement.place_id), else_=None)
    person_hash = _person_hash()
    newest = func.row_number().over(
        partition_by=(Movement.resident_id, person_hash, track),
        order_by=(Movement.occurred_at.desc(), Movement.id.desc()),
    )
    retained_since = (now - timedelta(days=rules.RETENTION_DAYS + 1)).date()
    records = (
        select(
            Movement.id,
            Movement.resident_id,
            person_hash.label("person_hash"),
            Movement.place_id,
            Movement.kind,
            Movement.direction,
            Movement.occurred_at.label("at"),
            Place.kind.label("place_kind"),
            newest.label("newest"),
        )
        .join(Place, Place.id == Movement.place_id)
        .join(Division, Division.id == Place.division_id)
        .where(
            Division.path.startswith(division.path, autoescape=True),
            Movement.direction.in_(_DIRECTIONS),
            _someone(),
            Movement.occurred_at <= now,
            Movement.day >= retained_since,
        )
        .subquery("records")
    )
    r = records.c
    opened_after = case(
        {k: _at(now - rules.auto_checkout_after(k)) for k in rules.AUTO_CHECKOUT_BY_PLACE_KIND},
        value=r.place_kind,
        else_=_at(now - rules.DEFAULT_AUTO_CHECKOUT),
    )
    keeps_inside = and_(
        r.newest == 1,
        r.direction == Direction.IN.value,
        or_(r.kind != MovementKind.CHECKIN.value, r.at > opened_after),
    )
    newest_open = func.row_number().over(
        partition_by=(r.resident_id, r.person_hash), order_by=(r.at.desc(), r.id.desc())
    )
    open_records = (
        select(r.id, r.resident_id, r.person_hash, r.place_id, r.at, newest_open.label("pick"))
        .where(keeps_inside)
        .subquery("open_records")
    )
    o = open_records.c
    return (
        select(o.id, o.resident_id, o.person_hash, o.place_id, o.at)
        .where(o.pick == 1)
        .subquery("inside")
    )


def _previous_place_id() -> ColumnElement[Any]:
    """The place of the person's record just before the outer Movement row."""
    earlier = aliased(Movement, name="earlier")

    def newest_before(same_person: ColumnElement[bool]) -> Any:
        # Ordered by occurred_at alone so the (resident_id, occurred_at) index answers it.
        return (
            select(earlier.place_id)
            .where(same_person, earlier.occurred_at < Movement.occurred_at)
            .order_by(earlier.occurred_at.desc())
            .limit(1)
            .correlate(Movement)
            .scalar_subquery()
        )

    return func.coalesce(
        newest_before(earlier.resident_id == Movement.resident_id),
        newest_before(earlier.person_hash == Movement.person_hash),
    )


def _arrivals(division: Division, day: date) -> Subquery:
    """One row per person who arrived on local `day` (see `arrivals`)."""
    start, end = local_day_bounds(day)
    candidates = (
        select(
            Movement.id,
            Movement.resident_id,
            _person_hash().label("person_hash"),
            Movement.place_id,
            Movement.occurred_at.label("at"),
            Movement.origin,
            _previous_place_id().label("previous_place_id"),
        )
        .where(
            Movement.place_id.in_(_subtree_places(division)),
            Movement.direction == Direction.IN.value,
            _someone(),
            Movement.occurred_at >= start,
            Movement.occurred_at < end,
            # A local day spans two UTC dates; naming them lets the day index (and day
            # partitions) narrow the scan before the time test.
            Movement.day.between(start.date(), end.date()),
        )
        .subquery("candidates")
    )
    c = candidates.c
    previous_place = aliased(Place, name="previous_place")
    previous_division = aliased(Division, name="previous_division")
    came_from_elsewhere = or_(
        and_(c.origin.isnot(None), c.origin != ""),
        # Tested on the joined row, not the column: PostgreSQL would run the subquery twice.
        previous_place.id.is_(None),
        not_(previous_division.path.startswith(division.path, autoescape=True)),
    )
    flagged = (
        select(
            c.id,
            c.resident_id,
            c.person_hash,
            c.place_id,
            c.at,
            c.origin,
            previous_place.name.label("previous_place"),
            previous_division.name.label("previous_division"),
            risk_areas.covering(day, c.origin, previous_division.code).label("risk_area"),
        )
        .select_from(candidates)
        .outerjoin(previous_place, previous_place.id == c.previous_place_id)
        .outerjoin(previous_division, previous_division.id == previous_place.division_id)
        .where(came_from_elsewhere)
        .subquery("flagged")
    )
    f = flagged.c
    first = func.row_number().over(
        partition_by=(f.resident_id, f.person_hash),
        order_by=(_risk_last(f.risk_area), f.at, f.id),
    )
    ranked = select(*f, first.label("pick")).subquery("ranked")
    return (
        select(*[col for col in ranked.c if col.name != "pick"])
        .where(ranked.c.pick == 1)
        .subquery("arrivals")
    )


def _daily(db: Session, division: Division, *, days: int, now: datetime) -> list[DayCount]:
    first = local_date(now) - timedelta(days=days - 1)
    span = [first + timedelta(days=i) for i in range(days)]
    starts = [local_day_bounds(d)[0] for d in span] + [local_day_bounds(span[-1])[1]]
    # Each record falls in the local day whose end it precedes: one CASE, exact on both
    # databases and whatever the time zone, without date arithmetic in SQL.
    bucket = case(
        *[(Movement.occurred_at < _at(end), index) for index, end in enumerate(starts[1:])],
        else_=None,
    )
    records = (
        select(bucket.label("bucket"), Movement.direction)
        .where(
            Movement.place_id.in_(_subtree_places(division)),
            Movement.direction.in_(_DIRECTIONS),
            Movement.occurred_at >= starts[0],
            Movement.occurred_at < starts[-1],
            Movement.day.between(starts[0].date(), starts[-1].date()),
        )
        .subquery("records")
    )
    # Grouped on the subquery's column: PostgreSQL would not match a GROUP BY repeating the CASE
    # with its own bound parameters.
    query = select(records.c.bucket, records.c.direction, func.count()).group_by(
        records.c.bucket, records.c.direction
    )
    found = {(b, d): n for b, d, n in db.execute(query)}
    return [
        DayCount(
            day=d,
            entries=found.get((i, Direction.IN.value), 0),
            exits=found.get((i, Direction.OUT.value), 0),
        )
        for i, d in enumerate(span)
    ]


def _audit_list(
    db: Session,
    principal: Principal,
    purpose: str,
    division_id: int,
    view: str,
    count: int,
    offset: int,
) -> None:
    """The read of a list of people, audited as people.service audits its lists."""
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="movement",
        purpose=purpose or f"routine work of {principal.role}",
        detail={"division_id": division_id, "view": view, "count": count, "offset": offset},
    )
