"""Demo data for the fever-clinic pages: opening hours and phones of the demo city's clinics.

Deterministic (seed 2020): about a third of the fever clinics are open 24 hours (as a city's
main designated hospitals were in 2020), the rest open 08:00-22:00 on weekdays and 08:00-18:00
at weekends. Clinics that already have hours are left alone, so a second run changes nothing.
"""

from __future__ import annotations

import random
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.places.models import Place, PlaceKind
from epicontrol.portal.consultation_models import ClinicOpeningHours, ClinicProfile

WEEKDAY_HOURS = (time(8), time(22))
WEEKEND_HOURS = (time(8), time(18))
SHARE_OPEN_24H = 1 / 3


def seed_demo(db: Session, *, seed: int = 2020) -> None:
    """Give every demo fever clinic without a profile its phone and hours (the caller commits)."""
    chooser = random.Random(seed)
    known = set(db.scalars(select(ClinicProfile.place_id)))
    clinics = db.scalars(
        select(Place.id).where(Place.kind == PlaceKind.FEVER_CLINIC.value).order_by(Place.id)
    ).all()
    for place_id in clinics:
        is_open_24h = chooser.random() < SHARE_OPEN_24H
        phone = f"0371-{chooser.randrange(60_000_000, 69_999_999)}"
        if place_id in known:
            continue
        db.add(
            ClinicProfile(
                place_id=place_id, phone=phone, is_open_24h=is_open_24h, updated_by="demo"
            )
        )
        if is_open_24h:
            continue
        for weekday in range(7):
            opens, closes = WEEKDAY_HOURS if weekday < 5 else WEEKEND_HOURS
            db.add(
                ClinicOpeningHours(
                    place_id=place_id, weekday=weekday, opens_at=opens, closes_at=closes
                )
            )
    db.flush()
