"""The demo's labour needs, offers of work and applications: green residents only, seats
counted, the demo resident invited to apply; seeded once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.divisions.models import Division
from epicontrol.labour.demo import seed_demo
from epicontrol.labour.figures import labour_figures
from epicontrol.labour.models import LabourApplication, LabourNeed, LabourProfile
from tests.factories import City
from tests.health_code.records import add_fever


def test_demo_needs_and_applications_once(db: Session, city: City) -> None:
    add_fever(db, city.residents["wang_mother"])
    db.commit()
    seed_demo(db)
    db.commit()
    needs = list(db.scalars(select(LabourNeed).order_by(LabourNeed.id)))
    assert [n.positions for n in needs] == [10, 6, 2]
    assert all(n.division_id == city.divisions["s1"] for n in needs)
    profiled = set(db.scalars(select(LabourProfile.resident_id)))
    assert city.residents["wang_father"] in profiled  # the demo resident
    assert city.residents["wang_mother"] not in profiled  # not green
    applications = list(db.scalars(select(LabourApplication)))
    assert applications and city.residents["wang_father"] not in {
        a.resident_id for a in applications
    }
    held = sum(1 for a in applications if a.status in ("accepted", "confirmed"))
    figures = labour_figures(db, db.get(Division, city.divisions["city"]))  # type: ignore[arg-type]
    assert figures["filled"] == held and figures["positions"] == 18
    seed_demo(db)
    assert db.scalar(select(func.count()).select_from(LabourNeed)) == 3
