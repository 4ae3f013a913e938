"""The dashboard's arrivals from a risk area in another district of the city are daily
monitoring's own (each entry judged by the person's record before it), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.analytics import dashboard_store
from epicontrol.divisions.models import Division
from epicontrol.movements import presence_queries
from epicontrol.movements.models import Movement, RiskArea
from epicontrol.places.models import Place
from tests.analytics.dashboard_scenario import DAY
from tests.factories import City
from tests.tasks.monitoring_fixtures import local


def _scan(db: Session, place: int, at: datetime, *, resident: int | None, hashed: str) -> None:
    db.add(
        Movement(
            client_uuid=str(uuid4()),
            kind="scan",
            direction="in",
            resident_id=resident,
            person_hash=None if resident else hashed,
            place_id=place,
            occurred_at=at,
            day=at.astimezone(UTC).date(),
        )
    )


def _place(db: Session, code: str, division_id: int) -> int:
    place = Place(code=code, name=code, kind="market", division_id=division_id)
    db.add(place)
    db.flush()
    return place.id


def _another_district_at_risk(db: Session, city: City) -> None:
    """District d2 at risk; entries at the m1 gate (district d1) after a record in d2, outside
    both districts, inside d1, at no place at all, and in d2 only after the entry."""
    db.add(RiskArea(region_code="410103", name="测试d2", starts_on=DAY, created_by="commander"))
    gate = db.scalars(select(Place.id).where(Place.code == "GATE-M1")).one()
    in_d2 = _place(db, "MKT-M3", city.divisions["m3"])
    in_d1 = _place(db, "MKT-M2", city.divisions["m2"])
    outside = _place(db, "MKT-CITY", city.divisions["city"])
    yesterday = DAY - timedelta(days=1)
    visits = {  # person: their earlier records (place, local time); each then enters at noon
        "m3_resident": [(in_d2, local(DAY, 8))],  # from the risk area: counted
        "a" * 64: [(in_d2, local(DAY, 9))],  # the same, known by hash only: counted
        "b" * 64: [(in_d2, local(yesterday, 20))],  # from it yesterday evening: counted
        "c" * 64: [(outside, local(DAY, 8))],  # from elsewhere, not at risk
        # into m2 from the risk area (counted there), then from within d1 at the gate
        "d" * 64: [(in_d2, local(DAY, 7)), (in_d1, local(DAY, 8))],
        "m2_resident": [(in_d1, local(DAY, 8))],  # from within d1
        "e" * 64: [],  # no earlier record
    }
    for person, records in visits.items():
        resident = city.residents.get(person)
        for place, at in records:
            _scan(db, place, at, resident=resident, hashed=person)
        _scan(db, gate, local(DAY, 12), resident=resident, hashed=person)
    _scan(db, gate, local(DAY, 10), resident=None, hashed="f" * 64)
    _scan(db, in_d2, local(DAY, 14), resident=None, hashed="f" * 64)  # in d2 after: not counted
    db.commit()


def _by_definition(db: Session, division: Division) -> list[int]:
    """Daily monitoring's arrivals from a risk area, every entry's previous record read."""
    arrived = presence_queries.arrivals_subquery(division, DAY)
    query = (
        select(Place.division_id)
        .join(arrived, arrived.c.place_id == Place.id)
        .where(arrived.c.risk_area.isnot(None))
    )
    return sorted(db.scalars(query))


def test_arrivals_from_another_district_at_risk_equal_the_definition(
    db: Session, city: City
) -> None:
    _another_district_at_risk(db, city)
    m1, m2 = city.divisions["m1"], city.divisions["m2"]
    # "d" arrived in m2 from d2, and in m1 from m2; the city watching its own district: none
    expected = {"d1": [m1] * 3 + [m2], "s1": [m1] * 3 + [m2], "m1": [m1] * 3, "m2": [m2]}
    expected["city"] = []
    for short, divisions in expected.items():
        division = db.get_one(Division, city.divisions[short])
        found = dashboard_store.risk_area_arrivals(db, division, DAY)
        assert sorted(found.column("division_id").to_pylist()) == divisions, short
        assert _by_definition(db, division) == divisions, short
