"""A hand-made outbreak in the test city's store: movements inserted directly, every contact known.

Case: wang_father, onset 10 Feb 2026, isolated 11 Feb 12:00 (China time); his infectious
window opens 8 Feb 00:00. Traced "now" = 12 Feb 12:00.

- wang_mother, wang_child: his household -> close contacts (household).
- neighbour: at the supermarket with him on 9 Feb, 10:10-10:40 together (30 min) -> close.
- m3_resident: at the supermarket 10:40-11:00 (0 min with him, 10 with neighbour: too short),
  then at the restaurant with neighbour on 10 Feb 18:00-19:00 -> secondary, via neighbour.
- m2_resident: at the supermarket with him on 7 Feb (before his window) and at the restaurant
  with neighbour on 8 Feb (before neighbour's first exposure) -> not a contact at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case, CaseStatus
from epicontrol.cases.schemas import CaseIn
from epicontrol.cases.service import create
from epicontrol.core.auth import Principal, issue_token
from epicontrol.core.deps import load_principal
from epicontrol.core.models import User
from epicontrol.movements.models import Movement
from epicontrol.places.models import Place, PlaceKind
from tests.factories import TEST_SECRET, City

CHINA = ZoneInfo("Asia/Shanghai")
ONSET = date(2026, 2, 10)
ISOLATED_AT = datetime(2026, 2, 11, 12, 0, tzinfo=CHINA)
NOW = datetime(2026, 2, 12, 12, 0, tzinfo=CHINA)

# (who, place, day, in hh:mm, out hh:mm), China time
STAYS = (
    ("wang_father", "market", 9, "10:00", "10:40"),
    ("neighbour", "market", 9, "10:10", "10:50"),
    ("m3_resident", "market", 9, "10:40", "11:00"),
    ("neighbour", "restaurant", 10, "18:00", "19:00"),
    ("m3_resident", "restaurant", 10, "18:00", "19:00"),
    ("wang_father", "market", 7, "10:00", "11:00"),
    ("m2_resident", "market", 7, "10:00", "11:00"),
    ("neighbour", "restaurant", 8, "12:00", "13:00"),
    ("m2_resident", "restaurant", 8, "12:00", "13:00"),
)

# (contact, degree, rule, place, via) of the trace at NOW
EXPECTED = {
    ("wang_mother", 1, "household", None, None),
    ("wang_child", 1, "household", None, None),
    ("neighbour", 1, "co_location", "market", None),
    ("m3_resident", 2, "co_location", "restaurant", "neighbour"),
}


@dataclass
class Scenario:
    """Ids of the scenario's places and case."""

    places: dict[str, int]
    case_id: int


def china(day: int, hhmm: str) -> datetime:
    """A moment of February 2026 in China time."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime(2026, 2, day, hours, minutes, tzinfo=CHINA)


def principal(db: Session, username: str) -> Principal:
    """The principal of a test login."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    found = load_principal(db, user_id)
    assert found is not None
    return found


def add_places(db: Session, city: City) -> dict[str, int]:
    """A supermarket in community m1 and a restaurant in m3."""
    places = {
        "market": Place(
            code="MKT-M1",
            name="测试超市",
            kind=PlaceKind.SUPERMARKET.value,
            division_id=city.divisions["m1"],
        ),
        "restaurant": Place(
            code="RST-M3",
            name="测试饭店",
            kind=PlaceKind.RESTAURANT.value,
            division_id=city.divisions["m3"],
        ),
    }
    db.add_all(places.values())
    db.flush()
    return {name: place.id for name, place in places.items()}


def add_stay(db: Session, resident_id: int, place_id: int, start: datetime, end: datetime) -> None:
    """A check-in and a check-out, stored as the checkin endpoint stores them."""
    for direction, at in (("in", start), ("out", end)):
        db.add(
            Movement(
                client_uuid=str(uuid4()),
                kind="checkin",
                direction=direction,
                resident_id=resident_id,
                place_id=place_id,
                occurred_at=at,
                day=at.astimezone(UTC).date(),  # the store's day is the UTC date
            )
        )


def add_movements(db: Session, city: City, places: dict[str, int]) -> None:
    """Every stay of STAYS."""
    for who, place, day, start, end in STAYS:
        add_stay(db, city.residents[who], places[place], china(day, start), china(day, end))


def build(db: Session, city: City, *, status: str = "confirmed") -> Scenario:
    """Places, movements and the case of wang_father (committed; no tracing run queued)."""
    places = add_places(db, city)
    add_movements(db, city, places)
    data = CaseIn(
        resident_id=city.residents["wang_father"],
        status=CaseStatus(status),
        onset_date=ONSET,
        report_date=date(2026, 2, 11),
        isolated_at=ISOLATED_AT,
    )
    change = create(db, principal=principal(db, "epidemiologist"), data=data, now=NOW)
    db.commit()
    return Scenario(places=places, case_id=change.case.id)


def described(db: Session, city: City, scenario: Scenario, case_id: int) -> set[tuple]:
    """The stored contacts of a case as EXPECTED's tuples."""
    from epicontrol.tracing.models import Contact

    names = {v: k for k, v in city.residents.items()}
    place_names = {v: k for k, v in scenario.places.items()}
    db.expire_all()
    rows = db.scalars(
        select(Contact).where(Contact.case_id == case_id, Contact.withdrawn_at.is_(None))
    )
    return {
        (
            names[c.contact_resident_id],
            c.degree,
            c.rule,
            place_names.get(c.place_id) if c.place_id else None,
            names.get(c.via_resident_id) if c.via_resident_id else None,
        )
        for c in rows
    }


def case_of(db: Session, case_id: int) -> Case:
    """The case, fresh from the store."""
    db.expire_all()
    case = db.get(Case, case_id)
    assert case is not None
    return case


def bearer(db: Session, username: str) -> dict[str, str]:
    """Bearer headers of a test login, signed directly: no password hashing (argon2 takes a
    third of a second a login, which the API tests would pay dozens of times)."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET, user_id)}"}
