"""Estates for the test city: 东苑 (m1) holds h1 and h2 of grid g1 and a household of g2;
西苑 (m2) holds h3; 南苑 (m3) holds h4. Cases and observations at times the test chooses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.local_time import local_date
from epicontrol.divisions.models import HousingEstate
from epicontrol.people.models import Household, Resident
from epicontrol.reports.monitoring_models import Observation, ObservationReason
from tests.factories import City


@dataclass
class Estates:
    """Ids of the test estates and of the g2 household added to 东苑."""

    ids: dict[str, int] = field(default_factory=dict)
    g2_household: int = 0


def make_estates(db: Session, city: City) -> Estates:
    """Store the estates and move the city's households into them (the caller commits)."""
    made = Estates()
    for short, name, pinyin, community in (
        ("east", "东苑小区", "dongyuan xiaoqu", "m1"),
        ("west", "西苑小区", "xiyuan xiaoqu", "m2"),
        ("south", "南苑小区", "nanyuan xiaoqu", "m3"),
    ):
        estate = HousingEstate(name=name, name_pinyin=pinyin, division_id=city.divisions[community])
        db.add(estate)
        db.flush()
        made.ids[short] = estate.id
    for household, estate in (("h1", "east"), ("h2", "east"), ("h3", "west"), ("h4", "south")):
        db.get_one(Household, city.households[household]).estate_id = made.ids[estate]
    other = Household(division_id=city.divisions["g2"], estate_id=made.ids["east"])
    db.add(other)
    db.flush()
    made.g2_household = other.id
    return made


def add_case(db: Session, city: City, resident: str, *, status: str = "confirmed") -> Case:
    """A case of a test resident in the given status."""
    case = Case(
        case_number=f"C2020-{uuid4().hex[:6]}",
        resident_id=city.residents[resident],
        division_id=db.get_one(Resident, city.residents[resident]).division_id,
        status=status,
        report_date=date(2020, 2, 1),
        created_by="epidemiologist",
    )
    db.add(case)
    db.flush()
    return case


def add_observation(
    db: Session,
    city: City,
    resident: str,
    *,
    now: datetime | None = None,
    days_ago: int = 2,
    days: int = 14,
    reason: ObservationReason = ObservationReason.CLOSE_CONTACT,
) -> Observation:
    """An observation that began `days_ago` local days before `now` and runs `days` days."""
    moment = now or datetime.now(UTC)
    starts = local_date(moment) - timedelta(days=days_ago)
    observation = Observation(
        resident_id=city.residents[resident],
        division_id=db.get_one(Resident, city.residents[resident]).division_id,
        reason=reason.value,
        starts_on=starts,
        ends_on=starts + timedelta(days=days),
        last_exposure_at=moment - timedelta(days=days_ago + 1),
        created_at=moment - timedelta(days=days_ago),
    )
    db.add(observation)
    db.flush()
    return observation
