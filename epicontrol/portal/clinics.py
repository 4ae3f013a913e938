"""Designated fever clinics for the public: where they are, the nearest, hours, queue estimate.

Distances are great-circle (haversine, reports/selfcheck_places.py), the same measure the
self-check uses to name the nearest clinic. The queue estimate is today's registrations at the
clinic still waiting (cases/clinics.py stores each patient as `waiting` until sampled) times
MINUTES_PER_PATIENT.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import ClinicRegistration, RegistrationStatus
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import AccessDenied, InvalidInput, NotFound
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.places.models import Place, PlaceKind
from epicontrol.portal.clinics_schemas import (
    ClinicHoursIn,
    ClinicListOut,
    ClinicPublicOut,
    DayHoursOut,
    OriginOut,
)
from epicontrol.portal.consultation_models import ClinicOpeningHours, ClinicProfile
from epicontrol.reports.selfcheck_places import (
    Origin,
    distance_km,
    division_origin,
    nearest_fever_clinic,
)

# Minutes of a fever clinic's time per waiting patient (triage, blood count, sampling): a
# planning assumption of this deployment, not a measured figure; the page says so.
MINUTES_PER_PATIENT = 15


def origin_from(
    db: Session,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    division_id: int | None = None,
    estate_id: int | None = None,
) -> Origin | None:
    """Where the visitor is: a position, else an estate's or a division's; None if not given."""
    if (latitude is None) != (longitude is None):
        raise InvalidInput("give both latitude and longitude, or neither")
    if latitude is not None and longitude is not None:
        return Origin(latitude, longitude, division_id)
    if estate_id is not None:
        estate = db.get(HousingEstate, estate_id)
        if estate is None:
            raise InvalidInput(f"housing estate {estate_id} does not exist")
        if estate.latitude is not None and estate.longitude is not None:
            return Origin(estate.latitude, estate.longitude, estate.division_id)
        return division_origin(db, division_id=estate.division_id)
    if division_id is not None:
        return division_origin(db, division_id=division_id)
    return None


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(local_date(now), time.min, LOCAL_TIME)
    return start, start + timedelta(days=1)


def waiting_counts(db: Session, *, place_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Registrations of today (local date) per clinic still waiting to be seen."""
    ids = list(place_ids)
    if not ids:
        return {}
    start, end = _day_bounds(now)
    rows = db.execute(
        select(ClinicRegistration.place_id, func.count())
        .where(
            ClinicRegistration.place_id.in_(ids),
            ClinicRegistration.status == RegistrationStatus.WAITING.value,
            ClinicRegistration.arrived_at >= start,
            ClinicRegistration.arrived_at < end,
        )
        .group_by(ClinicRegistration.place_id)
    ).all()
    return {int(place_id): int(count) for place_id, count in rows}


def is_open(
    weekly: dict[int, tuple[time, time]], *, is_open_24h: bool, moment: datetime
) -> bool | None:
    """Whether a clinic with these hours is open at `moment` (local time); None if unknown."""
    if is_open_24h:
        return True
    if not weekly:
        return None
    local = moment.astimezone(LOCAL_TIME)
    today, clock = local.weekday(), local.time()
    hours = weekly.get(today)
    if hours is not None:
        opens, closes = hours
        if opens < closes and opens <= clock < closes:
            return True
        if closes <= opens and clock >= opens:  # open past midnight: the evening part
            return True
    yesterday = weekly.get((today - 1) % 7)
    if yesterday is not None:
        opens, closes = yesterday
        if closes <= opens and clock < closes:  # the small hours of yesterday's opening
            return True
    return False


def _hours(db: Session, place_ids: list[int]) -> dict[int, dict[int, tuple[time, time]]]:
    weekly: dict[int, dict[int, tuple[time, time]]] = defaultdict(dict)
    if place_ids:
        rows = db.execute(
            select(
                ClinicOpeningHours.place_id,
                ClinicOpeningHours.weekday,
                ClinicOpeningHours.opens_at,
                ClinicOpeningHours.closes_at,
            ).where(ClinicOpeningHours.place_id.in_(place_ids))
        ).all()
        for place_id, weekday, opens, closes in rows:
            weekly[place_id][weekday] = (opens, closes)
    return weekly


def _profiles(db: Session, place_ids: list[int]) -> dict[int, ClinicProfile]:
    if not place_ids:
        return {}
    query = select(ClinicProfile).where(ClinicProfile.place_id.in_(place_ids))
    return {profile.place_id: profile for profile in db.scalars(query)}


def _distance(origin: Origin | None, place: Place) -> float | None:
    if origin is None or not origin.has_position or place.latitude is None:
        return None
    if place.longitude is None:
        return None
    assert origin.latitude is not None and origin.longitude is not None
    return round(distance_km(origin.latitude, origin.longitude, place.latitude, place.longitude), 2)


def list_clinics(db: Session, *, origin: Origin | None, now: datetime) -> ClinicListOut:
    """Every designated fever clinic with hours and queue; nearest first given an origin."""
    rows = db.execute(
        select(Place, Division.name)
        .join(Division, Division.id == Place.division_id)
        .where(Place.kind == PlaceKind.FEVER_CLINIC.value)
        .order_by(Place.name, Place.id)
    ).all()
    ids = [place.id for place, _ in rows]
    weekly, profiles = _hours(db, ids), _profiles(db, ids)
    waiting = waiting_counts(db, place_ids=ids, now=now)
    clinics = [
        _public(place, division, weekly.get(place.id, {}), profiles.get(place.id), waiting, now)
        for place, division in rows
    ]
    for clinic, (place, _) in zip(clinics, rows, strict=True):
        clinic.distance_km = _distance(origin, place)
    if origin is not None and origin.has_position:
        # Clinics without coordinates go last: they cannot be ranked.
        clinics.sort(key=lambda c: (c.distance_km is None, c.distance_km or 0.0, c.place_id))
    nearest = nearest_fever_clinic(db, origin=origin) if origin is not None else None
    return ClinicListOut(
        origin=None
        if origin is None
        else OriginOut(
            latitude=origin.latitude, longitude=origin.longitude, division_id=origin.division_id
        ),
        nearest_place_id=nearest.place_id if nearest else None,
        minutes_per_patient=MINUTES_PER_PATIENT,
        clinics=clinics,
    )


def _public(
    place: Place,
    division: str,
    weekly: dict[int, tuple[time, time]],
    profile: ClinicProfile | None,
    waiting: dict[int, int],
    now: datetime,
) -> ClinicPublicOut:
    is_24h = bool(profile and profile.is_open_24h)
    count = waiting.get(place.id, 0)
    return ClinicPublicOut(
        place_id=place.id,
        code=place.code,
        name=place.name,
        address=place.address,
        division=division,
        latitude=place.latitude,
        longitude=place.longitude,
        distance_km=None,
        phone=profile.phone if profile else "",
        is_open_24h=is_24h,
        weekly=[
            DayHoursOut(weekday=day, opens_at=opens, closes_at=closes)
            for day, (opens, closes) in sorted(weekly.items())
        ],
        is_open_now=is_open(weekly, is_open_24h=is_24h, moment=now),
        waiting=count,
        queue_minutes=count * MINUTES_PER_PATIENT,
    )


def set_hours(
    db: Session, *, principal: Principal, code: str, data: ClinicHoursIn
) -> ClinicPublicOut:
    """Replace a fever clinic's phone and weekly hours (a clinic in the caller's scope)."""
    row = db.execute(
        select(Place, Division.path, Division.name)
        .join(Division, Division.id == Place.division_id)
        .where(Place.code == code)
    ).first()
    if row is None or row[0].kind != PlaceKind.FEVER_CLINIC.value:
        raise NotFound(f"no fever clinic has the code {code!r}")
    place, path, division = row
    if not principal.covers(path):
        raise AccessDenied(
            f"fever clinic {place.name} is outside your scope",
            action="place:write",
            entity="clinic_hours",
            entity_id=str(place.id),
        )
    now = utcnow()
    profile = db.scalar(select(ClinicProfile).where(ClinicProfile.place_id == place.id))
    if profile is None:
        profile = ClinicProfile(place_id=place.id)
        db.add(profile)
    profile.phone, profile.is_open_24h = data.phone.strip(), data.is_open_24h
    profile.updated_by, profile.updated_at = principal.username, now
    db.execute(delete(ClinicOpeningHours).where(ClinicOpeningHours.place_id == place.id))
    for day in data.weekly:
        db.add(
            ClinicOpeningHours(
                place_id=place.id,
                weekday=day.weekday,
                opens_at=day.opens_at,
                closes_at=day.closes_at,
            )
        )
    audit.record(
        db,
        actor=principal,
        action="update",
        entity="clinic_hours",
        entity_id=place.id,
        purpose="fever clinic opening hours",
        detail={"is_open_24h": data.is_open_24h, "days": len(data.weekly)},
    )
    db.flush()
    weekly = {day.weekday: (day.opens_at, day.closes_at) for day in data.weekly}
    waiting = waiting_counts(db, place_ids=[place.id], now=now)
    return _public(place, division, weekly, profile, waiting, now)
