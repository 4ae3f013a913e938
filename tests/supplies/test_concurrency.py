"""No double orders under concurrent requests, on SQLite and on PostgreSQL: the issue's 200
simultaneous orders against a supply of 100 through a real server, and household members
ordering at the same moment each in their own session."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import engine_for, session_factory, utcnow
from epicontrol.core.errors import Conflict
from epicontrol.supplies import reservations
from epicontrol.supplies.models import MaskReservation, MaskRound
from tests.concurrency_support import post_all_at_once
from tests.factories import City
from tests.supplies.support import (
    add_households,
    add_member_login,
    add_pharmacies,
    bearer,
    open_round,
    principal,
)

ORDERS = 200
SUPPLY = 100


def test_200_simultaneous_orders_against_100_give_exactly_100(
    live_server: str, city: City, db: Session, vault: PersonalDataVault
) -> None:
    pharmacies = add_pharmacies(db, city)
    round_id = open_round(db, city, [pharmacies["PH-M1"]], supply=SUPPLY, quota=1)
    users = add_households(db, vault, city, ORDERS)
    order = {"round_id": round_id, "place_id": pharmacies["PH-M1"]}

    statuses = post_all_at_once(
        live_server, "/api/supplies/reservations", [(order, bearer(user)) for user in users]
    )

    assert statuses == {201: SUPPLY, 409: ORDERS - SUPPLY}, statuses
    db.expire_all()
    stored = list(db.scalars(select(MaskReservation).where(MaskReservation.round_id == round_id)))
    assert len(stored) == SUPPLY
    assert len({r.household_id for r in stored}) == SUPPLY
    assert len({r.pickup_code for r in stored}) == SUPPLY
    assert db.scalar(select(MaskRound.reserved).where(MaskRound.id == round_id)) == SUPPLY


def test_household_members_ordering_at_once_get_one_reservation(
    db_url: str, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    round_id = open_round(db, city, [pharmacies["PH-M1"]], supply=100, quota=5)
    members = [
        principal(db, name)
        for name in (
            "resident_wang",
            add_member_login(db, city, "wang_mother"),
            add_member_login(db, city, "wang_child"),
        )
    ] * 4  # each member presses the button four times
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(len(members))

    def order(member: object) -> str:
        with sessions() as session:
            start.wait()
            try:
                reservations.reserve(
                    session,
                    principal=member,  # type: ignore[arg-type]
                    order=reservations.Order(round_id=round_id, place_id=pharmacies["PH-M1"]),
                    now=utcnow(),
                )
                session.commit()
                return "reserved"
            except Conflict:
                session.rollback()
                return "refused"

    with ThreadPoolExecutor(max_workers=len(members)) as pool:
        outcomes = Counter(pool.map(order, members))

    assert outcomes == {"reserved": 1, "refused": len(members) - 1}, outcomes
    db.expire_all()
    stored = list(db.scalars(select(MaskReservation).where(MaskReservation.round_id == round_id)))
    assert [r.household_id for r in stored] == [city.households["h1"]]
    assert db.scalar(select(MaskRound.reserved).where(MaskRound.id == round_id)) == 5
