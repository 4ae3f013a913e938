"""Entries and exits of a division: who is inside now, today's arrivals, daily counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.movements import presence_queries
from epicontrol.movements.models import Direction, Movement
from epicontrol.movements.presence_queries import (
    DIRECTIONS,
    MAX_DAYS,
    MAX_PAGE,
    PAGE_ARRIVALS,
    UNREGISTERED,
    local_day_bounds,
)
from epicontrol.movements.presence_schemas import (
    Arrival,
    ArrivalsOut,
    DayCount,
    InsideOut,
    Overview,
    PersonInside,
    PresenceSummary,
)
from epicontrol.people.models import Resident
from epicontrol.places.models import Place

__all__ = [
    "LOCAL_TIME",
    "MAX_PAGE",
    "MAX_DAYS",
    "PAGE_ARRIVALS",
    "UNREGISTERED",
    "local_date",
    "local_day_bounds",
    "PersonInside",
    "InsideOut",
    "Arrival",
    "ArrivalsOut",
    "DayCount",
    "PresenceSummary",
    "Overview",
]


def summary(
    db: Session, *, principal: Principal, division_id: int, now: datetime
) -> PresenceSummary:
    """Inside now, arrivals today (and from risk areas), entries and exits today: counts only."""
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    arrived = presence_queries.arrivals_subquery(division, local_date(now))
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
    inside = presence_queries.inside_subquery(division, now)
    # Totals ride along as window counts: the window over every record is computed once.
    query = (
        select(
            inside.c.resident_id,
            presence_queries.name_masked(),
            inside.c.place_id,
            inside.c.at.label("since"),
        )
        .add_columns(Place.name.label("place_name"), func.count().over().label("total"))
        .add_columns(func.count(inside.c.resident_id).over().label("residents"))
        .select_from(inside)
        .join(Place, Place.id == inside.c.place_id)
        .outerjoin(Resident, Resident.id == inside.c.resident_id)
        .order_by(inside.c.at.desc(), inside.c.id.desc())
    )
    rows = presence_queries.page(db, query, offset, limit)
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
    inside = (
        db.scalar(select(func.count()).select_from(presence_queries.inside_subquery(division, now)))
        or 0
    )
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
    arrived = presence_queries.arrivals_subquery(division, day)
    a = arrived.c
    total, risky = db.execute(select(func.count(), func.count(a.risk_area))).one()
    query = (
        select(
            a.resident_id,
            presence_queries.name_masked(),
            a.previous_place,
            a.previous_division,
            a.risk_area,
        )
        .add_columns(Place.name.label("place_name"), a.at.label("arrived_at"))
        .add_columns(func.nullif(a.origin, "").label("origin"))
        .select_from(arrived)
        .join(Place, Place.id == a.place_id)
        .outerjoin(Resident, Resident.id == a.resident_id)
        .order_by(presence_queries.risk_last(a.risk_area), a.at.desc(), a.id.desc())
    )
    if only_risky:
        query = query.where(a.risk_area.isnot(None))
    rows = [Arrival.model_validate(row) for row in presence_queries.page(db, query, offset, limit)]
    _audit_list(db, principal, purpose, division.id, "arrivals", len(rows), offset)
    return ArrivalsOut(
        division_id=division.id,
        day=day,
        total=total,
        from_risk_areas=risky,
        offset=offset,
        arrivals=rows,
    )


def _daily(db: Session, division: Division, *, days: int, now: datetime) -> list[DayCount]:
    first = local_date(now) - timedelta(days=days - 1)
    span = [first + timedelta(days=i) for i in range(days)]
    starts = [local_day_bounds(d)[0] for d in span] + [local_day_bounds(span[-1])[1]]
    # Each record falls in the local day whose end it precedes: one CASE, exact on both
    # databases and whatever the time zone, without date arithmetic in SQL.
    bucket = case(
        *[
            (Movement.occurred_at < presence_queries.as_stored(end), index)
            for index, end in enumerate(starts[1:])
        ],
        else_=None,
    )
    records = (
        select(bucket.label("bucket"), Movement.direction)
        .where(
            Movement.place_id.in_(presence_queries.subtree_places(division)),
            Movement.direction.in_(DIRECTIONS),
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
