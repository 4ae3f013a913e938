"""The public situation: local figures from the platform's cases, the others from the feed.

Definitions: situation_schemas.py. Aggregates only, so nothing here is audited (no personal
record is read out); a handful of grouped queries, so the page is cheap even uncached.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case, CaseStatus
from epicontrol.core.i18n import current_language
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.movements.presence_queries import as_stored, local_day_bounds
from epicontrol.portal.feed_models import FeedFigure, FeedLevel
from epicontrol.portal.situation_schemas import (
    Figure,
    LocalSituation,
    RegionSituation,
    Situation,
    TrendDay,
)
from epicontrol.reports.monitoring_models import Observation, ObservationReason

TREND_DAYS = 30
CONTACT_REASONS = (ObservationReason.CLOSE_CONTACT.value, ObservationReason.SECONDARY_CONTACT.value)

_RECOVERED = Case.status == CaseStatus.RECOVERED.value
# The dashboard's classes (analytics/dashboard.py): a case keeps no history of its statuses.
CONFIRMED: ColumnElement[bool] = or_(
    Case.status.in_((CaseStatus.CONFIRMED.value, CaseStatus.DECEASED.value)),
    and_(_RECOVERED, Case.onset_date.is_not(None)),
)
ASYMPTOMATIC: ColumnElement[bool] = or_(
    Case.status == CaseStatus.ASYMPTOMATIC.value, and_(_RECOVERED, Case.onset_date.is_(None))
)
SUSPECTED: ColumnElement[bool] = Case.status == CaseStatus.SUSPECTED.value


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def _case_figures(db: Session, day: date) -> dict[str, Figure]:
    today = Case.report_date == day
    row = db.execute(
        select(
            _count_if(CONFIRMED),
            _count_if(and_(CONFIRMED, today)),
            _count_if(SUSPECTED),
            _count_if(and_(SUSPECTED, today)),
            _count_if(ASYMPTOMATIC),
            _count_if(and_(ASYMPTOMATIC, today)),
            _count_if(_RECOVERED),
            _count_if(Case.status == CaseStatus.DECEASED.value),
        ).where(Case.report_date <= day)
    ).one()
    return {
        "confirmed": Figure(total=row[0], new=row[1]),
        "suspected": Figure(total=row[2], new=row[3]),
        "asymptomatic": Figure(total=row[4], new=row[5]),
        # A case keeps no date of its recovery or death: only the totals are known.
        "recovered": Figure(total=row[6], new=None),
        "deaths": Figure(total=row[7], new=None),
    }


def _observed(db: Session, day: date) -> Figure:
    day_start, _ = local_day_bounds(day)
    started = case((Observation.starts_on == day, Observation.resident_id))
    row = db.execute(
        select(func.count(distinct(Observation.resident_id)), func.count(distinct(started))).where(
            Observation.reason.in_(CONTACT_REASONS),
            Observation.starts_on <= day,
            Observation.ends_on >= day,
            or_(Observation.closed_at.is_(None), Observation.closed_at >= as_stored(day_start)),
        )
    ).one()
    return Figure(total=row[0], new=row[1])


def _local_trend(db: Session, day: date) -> list[TrendDay]:
    start = day - timedelta(days=TREND_DAYS - 1)
    rows = db.execute(
        select(Case.report_date, _count_if(CONFIRMED), _count_if(ASYMPTOMATIC))
        .where(Case.report_date >= start, Case.report_date <= day)
        .group_by(Case.report_date)
    ).all()
    counted = {row[0]: (row[1], row[2]) for row in rows}
    days = (start + timedelta(days=n) for n in range(TREND_DAYS))
    return [
        TrendDay(day=d, confirmed=counted.get(d, (0, 0))[0], asymptomatic=counted.get(d, (0, 0))[1])
        for d in days
    ]


def _area(db: Session) -> Division | None:
    """The platform's area: its one city, else its top division."""
    cities = db.scalars(
        select(Division).where(Division.level == DivisionLevel.CITY.value).limit(2)
    ).all()
    if len(cities) == 1:
        return cities[0]
    return db.scalars(select(Division).where(Division.parent_id.is_(None)).limit(1)).first()


def _area_name(area: Division | None) -> str:
    if area is None:
        return ""
    if current_language() != "zh" and area.name_pinyin:
        return area.name_pinyin
    return area.name


def local_situation(db: Session, *, day: date, now: datetime) -> LocalSituation:
    """The platform's own figures for China date `day`."""
    return LocalSituation(
        area_name=_area_name(_area(db)),
        day=day,
        **_case_figures(db, day),
        under_observation=_observed(db, day),
        trend=_local_trend(db, day),
        updated_at=now,
    )


def _region(rows: list[Any]) -> RegionSituation:
    """A region's latest figures, with the change from its previous day and its trend."""
    latest = rows[-1]
    before = rows[-2] if len(rows) > 1 else None

    def figure(name: str) -> Figure:
        total = getattr(latest, name)
        return Figure(total=total, new=None if before is None else total - getattr(before, name))

    trend = [
        TrendDay(day=row.day, confirmed=max(row.confirmed - previous.confirmed, 0), asymptomatic=0)
        for previous, row in zip(rows, rows[1:], strict=False)
    ]
    values: dict[str, Any] = {
        name: figure(name) for name in ("confirmed", "suspected", "asymptomatic", "cured", "deaths")
    }
    return RegionSituation(
        level=latest.level,
        region_code=latest.region_code,
        region_name=latest.region_name,
        day=latest.day,
        source=latest.source,
        imported_at=latest.imported_at,
        trend=trend,
        **values,
    )


def _feed_rows(db: Session, level: FeedLevel, since: date) -> dict[str, list[Any]]:
    """Each region's rows of `level` from `since`, oldest first (plain rows: no ORM objects to
    build for a page that only reads them)."""
    rows = db.execute(
        select(*FeedFigure.__table__.columns)
        .where(FeedFigure.level == level.value, FeedFigure.day >= since)
        .order_by(FeedFigure.region_code, FeedFigure.day)
    )
    regions: dict[str, list[Any]] = {}
    for row in rows:
        regions.setdefault(row.region_code, []).append(row)
    return regions


def _feed_since(db: Session) -> date | None:
    newest = db.scalar(select(func.max(FeedFigure.day)))
    # One day more than the trend shows: the first day's change needs the day before it.
    return None if newest is None else newest - timedelta(days=TREND_DAYS)


def _our_province_code(db: Session) -> str | None:
    return db.scalar(
        select(Division.code).where(Division.level == DivisionLevel.PROVINCE.value).limit(1)
    )


def situation(db: Session, *, day: date, now: datetime) -> Situation:
    """Local figures for `day` and the feed's latest provincial and national ones."""
    local = local_situation(db, day=day, now=now)
    since = _feed_since(db)
    if since is None:
        return Situation(local=local, province=None, nation=None, provinces=[])
    provinces = {
        code: _region(rows) for code, rows in _feed_rows(db, FeedLevel.PROVINCE, since).items()
    }
    nations = [_region(rows) for rows in _feed_rows(db, FeedLevel.NATION, since).values()]
    nation = max(nations, key=lambda n: (n.day, n.imported_at)) if nations else None
    newest = max((p.day for p in provinces.values()), default=None)
    table = sorted(
        (p.model_copy(update={"trend": []}) for p in provinces.values() if p.day == newest),
        key=lambda p: (-p.confirmed.total, p.region_code),
    )
    ours = _our_province_code(db)
    return Situation(
        local=local,
        province=provinces.get(ours) if ours else None,
        nation=nation,
        provinces=table,
    )
