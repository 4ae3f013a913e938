"""Where a self-check comes from and which designated fever clinic is nearest to it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from epicontrol.core.errors import InvalidInput
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.movements.models import RiskArea
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import Place, PlaceKind
from epicontrol.reports.schemas import ClinicOut, TravelIn

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the advice is for: a position if known, and the division it lies in if known."""

    latitude: float | None = None
    longitude: float | None = None
    division_id: int | None = None

    @property
    def has_position(self) -> bool:
        """Whether a latitude and longitude are both known."""
        return self.latitude is not None and self.longitude is not None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance; straight line, not the road, which is enough to rank."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _division_chain(db: Session, division_id: int) -> list[Division]:
    """The division and its ancestors, deepest first."""
    division = db.get(Division, division_id)
    if division is None:
        return []
    ids = [int(part) for part in division.path.strip("/").split("/") if part]
    found = {d.id: d for d in db.scalars(select(Division).where(Division.id.in_(ids)))}
    return [found[i] for i in reversed(ids) if i in found]


def division_origin(db: Session, *, division_id: int) -> Origin:
    """The division's own position, or its nearest ancestor's; InvalidInput if it is unknown."""
    chain = _division_chain(db, division_id)
    if not chain:
        raise InvalidInput(f"division {division_id} does not exist")
    for division in chain:
        if division.latitude is not None and division.longitude is not None:
            return Origin(division.latitude, division.longitude, division_id)
    return Origin(division_id=division_id)


def home_origin(db: Session, *, resident_id: int) -> Origin:
    """A resident's home: their housing estate's position, else their grid's (or above)."""
    row = db.execute(
        select(Resident.division_id, HousingEstate.latitude, HousingEstate.longitude)
        .outerjoin(Household, Household.id == Resident.household_id)
        .outerjoin(HousingEstate, HousingEstate.id == Household.estate_id)
        .where(Resident.id == resident_id)
    ).first()
    if row is None:
        raise InvalidInput(f"resident {resident_id} does not exist")
    division_id, latitude, longitude = row
    if latitude is not None and longitude is not None:
        return Origin(latitude, longitude, division_id)
    return division_origin(db, division_id=division_id)


def _clinic_out(place: Place, distance: float | None) -> ClinicOut:
    rounded = None if distance is None else round(distance, 1)
    return ClinicOut(place_id=place.id, name=place.name, address=place.address, distance_km=rounded)


def nearest_fever_clinic(db: Session, *, origin: Origin) -> ClinicOut | None:
    """The designated fever clinic nearest to `origin`; without a position, one in the smallest
    division around it that has any; None when the city has none recorded."""
    kind = PlaceKind.FEVER_CLINIC.value
    if origin.has_position:
        assert origin.latitude is not None and origin.longitude is not None
        located = db.scalars(
            select(Place).where(
                Place.kind == kind, Place.latitude.is_not(None), Place.longitude.is_not(None)
            )
        ).all()
        # A city has tens of designated fever clinics (Wuhan named 61): ranking them all in
        # Python is cheaper than a spatial index.
        ranked = sorted(
            (distance_km(origin.latitude, origin.longitude, p.latitude, p.longitude), p.id, p)
            for p in located
            if p.latitude is not None and p.longitude is not None
        )
        if ranked:
            distance, _, place = ranked[0]
            return _clinic_out(place, distance)
    if origin.division_id is None:
        return None
    for division in _division_chain(db, origin.division_id):
        near = db.scalar(
            select(Place)
            .join(Division, Division.id == Place.division_id)
            .where(Place.kind == kind, Division.path.startswith(division.path, autoescape=True))
            .order_by(Place.code)
            .limit(1)
        )
        if near is not None:
            return _clinic_out(near, None)
    return None


def risk_areas_visited(db: Session, travel: list[TravelIn]) -> list[str]:
    """Names of declared risk areas whose code covers a travelled place on the day it was
    visited (RiskArea.region_code is a prefix of administrative codes)."""
    coded = [t for t in travel if t.region_code]
    if not coded:
        return []
    first: date = min(t.on for t in coded)
    areas = db.scalars(
        select(RiskArea).where(or_(RiskArea.ends_on.is_(None), RiskArea.ends_on >= first))
    ).all()
    names: list[str] = []
    for trip in coded:
        assert trip.region_code is not None
        for area in areas:
            active = area.starts_on <= trip.on and (area.ends_on is None or trip.on <= area.ends_on)
            if active and trip.region_code.startswith(area.region_code) and area.name not in names:
                names.append(area.name)
    return names


# Levels a member of the public picks from when they give no position (district to community).
PICKABLE_LEVELS = ("district", "street", "community")


def pickable_divisions(db: Session, *, limit: int = 1000) -> list[Division]:
    """Divisions a member of the public may choose as where they are, in code order."""
    query = (
        select(Division)
        .where(Division.level.in_(PICKABLE_LEVELS))
        .order_by(Division.code)
        .limit(limit)
    )
    return list(db.scalars(query))
