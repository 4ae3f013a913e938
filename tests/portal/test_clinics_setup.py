"""Test data of helper B's portal tests: fever clinics with known positions, estates with
known cases, waiting patients (no tests here; the other test_clinics*/estates/consult modules
import it)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import update
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case, ClinicRegistration, RegistrationStatus
from epicontrol.divisions.models import HousingEstate
from epicontrol.people.models import Household
from epicontrol.places.models import Place, PlaceKind
from epicontrol.portal.consultation_models import ClinicOpeningHours, ClinicProfile
from tests.factories import City

# code, name, division, latitude, longitude (around Zhengzhou, the test city's 4101 code)
CLINICS = (
    ("FC-EAST", "东区人民医院发热门诊", "m1", 34.760, 113.700),
    ("FC-WEST", "西区中心医院发热门诊", "m3", 34.750, 113.560),
    ("FC-NORTH", "北区医院发热门诊", "s1", 34.850, 113.640),
)
UNLOCATED = ("FC-NOWHERE", "无坐标发热门诊", "m2")


def add_clinics(db: Session, city: City, *, with_hours: bool = False) -> dict[str, int]:
    """The three located fever clinics, one without coordinates, and a plain clinic (not a fever
    clinic, never listed); returns place ids by code. `with_hours`: FC-WEST is open 24 hours,
    FC-EAST on weekdays 08:00-22:00."""
    ids: dict[str, int] = {}
    for code, name, division, lat, lon in CLINICS:
        place = Place(
            code=code,
            name=name,
            kind=PlaceKind.FEVER_CLINIC.value,
            division_id=city.divisions[division],
            address=f"{name}路1号",
            latitude=lat,
            longitude=lon,
        )
        db.add(place)
        db.flush()
        ids[code] = place.id
    code, name, division = UNLOCATED
    place = Place(
        code=code,
        name=name,
        kind=PlaceKind.FEVER_CLINIC.value,
        division_id=city.divisions[division],
    )
    db.add(place)
    db.add(
        Place(
            code="CLINIC-PLAIN",
            name="社区卫生服务站",
            kind=PlaceKind.CLINIC.value,
            division_id=city.divisions["m1"],
            latitude=34.7601,
            longitude=113.7001,
        )
    )
    db.flush()
    ids[code] = place.id
    if with_hours:
        db.add(
            ClinicProfile(
                place_id=ids["FC-WEST"], phone="0371-66660000", is_open_24h=True, updated_by="t"
            )
        )
        db.add(ClinicProfile(place_id=ids["FC-EAST"], phone="0371-88880000", updated_by="t"))
        for weekday in range(5):
            db.add(
                ClinicOpeningHours(
                    place_id=ids["FC-EAST"], weekday=weekday, opens_at=time(8), closes_at=time(22)
                )
            )
    db.commit()
    return ids


def add_registration(
    db: Session, *, place_id: int, division_id: int, arrived_at: datetime, status: str
) -> None:
    """A fever-clinic registration with only what the queue reads."""
    db.add(
        ClinicRegistration(
            place_id=place_id,
            division_id=division_id,
            name_enc=b"x",
            name_masked="张*",
            sex="M",
            arrived_at=arrived_at,
            status=status,
            result="negative" if status == RegistrationStatus.NEGATIVE.value else None,
            registered_by="clinic_s1",
            created_at=arrived_at,
        )
    )


# name, address, division, households of the test city in it
ESTATES = (
    ("阳光花园", "文化路12号", "m1", ("h1",)),
    ("锦绣华庭", "金水路88号", "m2", ("h3",)),
    ("东湖小区", "东风路3号", "m3", ("h4",)),  # a suspected case only: never listed
    ("幸福家园", "建设路5号", "m1", ()),  # no household, no case
)
FIRST, LATEST = date(2026, 11, 20), date(2026, 11, 28)


def add_estates(db: Session, city: City) -> dict[str, int]:
    """Estates holding the test city's households, and cases of their residents: 阳光花园 has a
    recovered case (FIRST) and a confirmed one (LATEST) plus a discarded one later still;
    锦绣华庭 an asymptomatic case; 东湖小区 only a suspected case."""
    ids: dict[str, int] = {}
    for name, address, division, households in ESTATES:
        estate = HousingEstate(name=name, address=address, division_id=city.divisions[division])
        db.add(estate)
        db.flush()
        ids[name] = estate.id
        for household in households:
            db.execute(
                update(Household)
                .where(Household.id == city.households[household])
                .values(estate_id=estate.id)
            )
    cases = (
        ("wang_father", "recovered", FIRST),
        ("wang_mother", "confirmed", LATEST),
        ("wang_child", "discarded", date(2026, 12, 1)),
        ("m2_resident", "asymptomatic", date(2026, 11, 25)),
        ("m3_resident", "suspected", date(2026, 11, 26)),
        ("neighbour", "confirmed", date(2026, 11, 27)),  # household h2: in no estate
    )
    for number, (resident, status, reported) in enumerate(cases, start=1):
        db.add(
            Case(
                case_number=f"C2026-{number:06d}",
                resident_id=city.residents[resident],
                division_id=city.divisions["g1"],
                status=status,
                report_date=reported,
                created_by="epidemiologist",
            )
        )
    db.commit()
    return ids
