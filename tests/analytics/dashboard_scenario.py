"""A small outbreak on the test city for the dashboard tests: cases of every status on several
days in both districts, observations open and not, arrivals from a risk area and from
elsewhere, fever self-checks and a fever-clinic registration, an estate with coordinates."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case, ClinicRegistration
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.people.models import Household
from epicontrol.places.models import Place, PlaceKind
from epicontrol.reports.models import SelfCheck
from epicontrol.reports.monitoring_models import ObservationReason
from tests.factories import City
from tests.tasks.monitoring_fixtures import add_risk_arrival, local, observe

DAY = date(2020, 2, 10)
# short name, grid, status, onset (days before DAY), sampling, report
CASES = (
    ("wang_father", "g1", "confirmed", 9, 8, 8),
    ("wang_mother", "g1", "asymptomatic", None, 1, 0),
    ("neighbour", "g1", "suspected", None, None, 0),
    ("wang_child", "g1", "discarded", None, None, 2),
    ("m2_resident", "g3", "recovered", 14, 12, 12),
    ("m3_resident", "g4", "confirmed", 3, 1, 0),
)
# Where the map puts the districts and the estate (Zhengzhou).
COORDINATES = {"d1": (34.75, 113.62), "d2": (34.80, 113.70), "m1": (34.76, 113.63)}


def build(db: Session, city: City) -> None:
    """Store the outbreak (committed)."""
    _cases(db, city)
    _observations(db, city)
    add_risk_arrival(db, city, "neighbour", at=local(DAY, 9))  # from Wuhan: counted
    add_risk_arrival(db, city, "neighbour", at=local(DAY, 15))  # again: counted once
    add_risk_arrival(db, city, "wang_father", at=local(DAY, 11), origin="110101")  # Beijing
    add_risk_arrival(db, city, "wang_child", at=local(DAY - timedelta(days=1), 9))  # yesterday
    _fever(db, city)
    _places(db, city)
    db.commit()


def _cases(db: Session, city: City) -> None:
    for number, (short, grid, status, onset, sampling, report) in enumerate(CASES):
        db.add(
            Case(
                case_number=f"C2020-{number:06d}",
                resident_id=city.residents[short],
                division_id=city.divisions[grid],
                status=status,
                onset_date=None if onset is None else DAY - timedelta(days=onset),
                sampling_date=None if sampling is None else DAY - timedelta(days=sampling),
                report_date=DAY - timedelta(days=report),
                created_by="epidemiologist",
            )
        )
    db.flush()


def _observations(db: Session, city: City) -> None:
    observe(db, city, "wang_child", since=local(DAY - timedelta(days=3), 10))  # open
    observe(
        db,
        city,
        "m2_resident",
        since=local(DAY, 8),
        reason=ObservationReason.SECONDARY_CONTACT,
        grid="g3",
    )  # opened today
    observe(db, city, "m3_resident", since=local(DAY, 8), grid="g4")  # opened today in d2
    observe(db, city, "neighbour", since=local(DAY - timedelta(days=20), 10))  # ended
    closed = observe(db, city, "wang_mother", since=local(DAY - timedelta(days=5), 10))
    closed.closed_at = local(DAY - timedelta(days=1), 18)  # closed before the day
    observe(
        db, city, "wang_father", since=local(DAY, 9), reason=ObservationReason.RISK_AREA_ARRIVAL
    )  # not a contact


def _fever(db: Session, city: City) -> None:
    checks = (
        ("wang_father", local(DAY, 8), True),
        ("m3_resident", local(DAY, 7), True),
        ("neighbour", local(DAY, 7), False),  # no fever
        ("m2_resident", local(DAY - timedelta(days=1), 23), True),  # the day before
    )
    for short, at, fever in checks:
        db.add(
            SelfCheck(
                resident_id=city.residents[short],
                submitted_at=at,
                temperature=38.2 if fever else 36.5,
                fever=fever,
                triage="fever_clinic" if fever else "home",
            )
        )
    clinic = Place(
        code="FEVER-S1",
        name="测试发热门诊",
        kind=PlaceKind.FEVER_CLINIC.value,
        division_id=city.divisions["s1"],
    )
    db.add(clinic)
    db.flush()
    db.add(
        ClinicRegistration(
            place_id=clinic.id,
            division_id=city.divisions["s1"],
            name_enc=b"x",
            name_masked="赵*",
            sex="F",
            arrived_at=local(DAY, 10),
            status="waiting",
            registered_by="clinic_s1",
        )
    )
    db.flush()


def _places(db: Session, city: City) -> None:
    for short, (lat, lon) in COORDINATES.items():
        division = db.get_one(Division, city.divisions[short])
        division.latitude, division.longitude = lat, lon
    estate = HousingEstate(
        name="测试花园", division_id=city.divisions["m1"], latitude=34.76, longitude=113.63
    )
    db.add(estate)
    db.flush()
    db.execute(
        update(Household).where(Household.id == city.households["h1"]).values(estate_id=estate.id)
    )
    assert db.scalar(select(Household.estate_id).where(Household.id == city.households["h1"]))
