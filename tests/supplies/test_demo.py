"""The demo's mask rounds: one of each kind around the demo resident, yesterday's drawn."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.supplies import lottery
from epicontrol.supplies.demo import seed_demo
from epicontrol.supplies.models import MaskReservation, MaskRound
from tests.factories import City
from tests.supplies.support import add_pharmacies


def test_demo_rounds_around_the_resident_once(db: Session, city: City) -> None:
    add_pharmacies(db, city)
    seed_demo(db)
    db.commit()
    made = list(db.scalars(select(MaskRound).order_by(MaskRound.id)))
    assert [r.allocation for r in made] == ["first_come", "lottery", "lottery"]
    assert [r.division_id for r in made] == [city.divisions[d] for d in ("m1", "s1", "s1")]
    past = made[2]
    applications = list(
        db.scalars(select(MaskReservation).where(MaskReservation.round_id == past.id))
    )
    assert city.households["h1"] in {a.household_id for a in applications}  # the demo resident's
    seed = lottery.seed_for(past.id, past.closes_at, [a.id for a in applications])
    assert past.lottery_seed == seed
    assert {a.status for a in applications} <= {"confirmed", "not_drawn"}
    seed_demo(db)
    assert len(db.scalars(select(MaskRound)).all()) == 3
