"""SQL of the presence views: subqueries for who is inside, arrivals, shared pieces."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, Subquery, and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from epicontrol.core.db import UTCDateTime
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.divisions.models import Division
from epicontrol.movements import risk_areas, rules
from epicontrol.movements.models import Direction, Movement, MovementKind
from epicontrol.people.models import Resident
from epicontrol.places.models import Place

# "Today" and the days of the daily counts are local calendar days, while the `day` column holds
# the UTC date. A module constant rather than a setting: every deployment so far runs on China
# Standard Time (UTC+8 all year), and zoneinfo keeps the code right should that ever change.
MAX_PAGE = 500
MAX_DAYS = 60
PAGE_ARRIVALS = 100  # arrivals per page of the presence page
UNREGISTERED = "未登记 unregistered"
DIRECTIONS = (Direction.IN.value, Direction.OUT.value)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of the local calendar day `day`; InvalidInput for a day
    at the edge of the calendar (0001-01-01, 9999-12-31), whose bounds no datetime holds."""
    try:
        start = datetime.combine(day, time(0), LOCAL_TIME)
        end = datetime.combine(day + timedelta(days=1), time(0), LOCAL_TIME)
        return start.astimezone(UTC), end.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"day {day.isoformat()} is out of range") from None


def page(db: Session, query: Select[Any], offset: int, limit: int) -> list[dict[str, Any]]:
    paged = query.offset(offset).limit(min(limit, MAX_PAGE))
    return [dict(row._mapping) for row in db.execute(paged)]


def name_masked() -> ColumnElement[str]:
    return func.coalesce(Resident.name_masked, UNREGISTERED).label("name_masked")


def someone() -> ColumnElement[bool]:
    # Vehicle records may name only a plate: they cannot place a person.
    return or_(Movement.resident_id.isnot(None), Movement.person_hash.isnot(None))


def person_hash() -> ColumnElement[Any]:
    # A resident is keyed by resident_id alone, so records with and without a hash stay together.
    return case((Movement.resident_id.is_(None), Movement.person_hash), else_=None)


def subtree_places(division: Division) -> Select[Any]:
    return (
        select(Place.id)
        .join(Division, Division.id == Place.division_id)
        .where(Division.path.startswith(division.path, autoescape=True))
    )


def as_stored(moment: datetime) -> ColumnElement[datetime]:
    # Typed so SQLite compares it in the same stored text form as the column.
    return literal(moment, UTCDateTime())


def risk_last(risk_area: ColumnElement[Any]) -> ColumnElement[int]:
    return case((risk_area.is_(None), 1), else_=0)


def inside_subquery(division: Division, now: datetime) -> Subquery:
    """One row per person inside at `now`: id, resident_id, person_hash, place_id, at."""
    is_checkin = Movement.kind == MovementKind.CHECKIN.value
    track = case((is_checkin, Movement.place_id), else_=None)
    hashed = person_hash()
    newest = func.row_number().over(
        partition_by=(Movement.resident_id, hashed, track),
        order_by=(Movement.occurred_at.desc(), Movement.id.desc()),
    )
    retained_since = (now - timedelta(days=rules.RETENTION_DAYS + 1)).date()
    records = (
        select(
            Movement.id,
            Movement.resident_id,
            hashed.label("person_hash"),
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
            Movement.direction.in_(DIRECTIONS),
            someone(),
            Movement.occurred_at <= now,
            Movement.day >= retained_since,
        )
        .subquery("records")
    )
    r = records.c
    opened_after = case(
        {
            k: as_stored(now - rules.auto_checkout_after(k))
            for k in rules.AUTO_CHECKOUT_BY_PLACE_KIND
        },
        value=r.place_kind,
        else_=as_stored(now - rules.DEFAULT_AUTO_CHECKOUT),
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


def previous_place_id() -> ColumnElement[Any]:
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


def arrivals_subquery(division: Division, day: date) -> Subquery:
    """One row per person who arrived on local `day` (see `arrivals`)."""
    start, end = local_day_bounds(day)
    candidates = (
        select(
            Movement.id,
            Movement.resident_id,
            person_hash().label("person_hash"),
            Movement.place_id,
            Movement.occurred_at.label("at"),
            Movement.origin,
            previous_place_id().label("previous_place_id"),
        )
        .where(
            Movement.place_id.in_(subtree_places(division)),
            Movement.direction == Direction.IN.value,
            someone(),
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
        order_by=(risk_last(f.risk_area), f.at, f.id),
    )
    ranked = select(*f, first.label("pick")).subquery("ranked")
    return (
        select(*[col for col in ranked.c if col.name != "pick"])
        .where(ranked.c.pick == 1)
        .subquery("arrivals")
    )
