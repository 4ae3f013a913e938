"""Inspection cases: the steps, their compare-and-set (two inspectors at once: one wins, the
other 409) on SQLite and PostgreSQL, outcomes reaching reporters, sellers found and merged."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.core.models import AuditEntry, User
from epicontrol.core.policy import Role
from epicontrol.market import cases, flags, reports, sellers
from epicontrol.market.models import CaseStatus, MarketCase, MarketReport, Outcome, SellerKind
from epicontrol.market.schemas import AssignIn, CaseOpenIn, CloseIn, InspectIn
from tests.factories import PASSWORD_HASH, City
from tests.market.support import (
    RULES,
    TODAY,
    add_complaint,
    add_price,
    add_seller,
    principal,
    user_id,
)

NOW = datetime(2020, 2, 10, 6, 0, tzinfo=UTC)


def _second_inspector(db: Session, city: City, scope: str = "city") -> Principal:
    db.add(
        User(
            username=f"inspector_{scope}",
            display_name="second inspector",
            password_hash=PASSWORD_HASH,
            role=Role.MARKET_INSPECTOR.value,
            division_id=city.divisions[scope],
        )
    )
    db.commit()
    return principal(db, f"inspector_{scope}")


def _open(db: Session, seller: int, report_ids: list[int], who: Principal) -> MarketCase:
    made = cases.open_case(
        db,
        principal=who,
        data=CaseOpenIn(seller_id=seller, source="report", report_ids=report_ids),
        now=NOW,
    )
    db.commit()
    return made


def test_case_steps_from_open_to_fine_reach_the_reporter_once_as_new(
    db: Session, city: City
) -> None:
    inspector = principal(db, "inspector")
    wang = principal(db, "resident_wang")
    seller = add_seller(db, city, "黑心药房")
    report = add_price(db, seller, "5.00", reporter=wang.user_id)
    case = _open(db, seller, [report], inspector)

    case = cases.assign(
        db,
        principal=inspector,
        case_id=case.id,
        data=AssignIn(version=1, assignee_user_id=inspector.user_id),
    )
    case = cases.record_inspection(
        db,
        principal=inspector,
        case_id=case.id,
        data=InspectIn(version=2, inspected_on=TODAY, findings="售价为进价4倍", samples="KN95 x2"),
        now=NOW,
    )
    case = cases.close(
        db,
        principal=inspector,
        case_id=case.id,
        data=CloseIn(version=3, outcome=Outcome.FINE, fine_yuan=Decimal("5000")),
        now=NOW,
    )
    db.commit()

    assert (case.status, case.outcome, case.fine_fen, case.version) == ("closed", "fine", 500000, 4)
    assert case.open_seller_id is None
    (mine,) = reports.mine(db, principal=wang, now=NOW)
    db.commit()
    assert mine.case is not None and mine.case.outcome == Outcome.FINE and mine.is_new_outcome
    (again,) = reports.mine(db, principal=wang, now=NOW)
    assert not again.is_new_outcome
    steps = db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "market_case").order_by(AuditEntry.id)
    ).all()
    assert steps == [
        "market:case_open",
        "market:case_assign",
        "market:case_inspect",
        "market:case_close",
    ]


def test_outcomes_other_than_unfounded_need_an_inspection(db: Session, city: City) -> None:
    inspector = principal(db, "inspector")
    seller = add_seller(db, city, "药房")
    case = _open(db, seller, [add_price(db, seller, "3.00")], inspector)

    with pytest.raises(Conflict, match="inspection"):
        cases.close(
            db,
            principal=inspector,
            case_id=case.id,
            data=CloseIn(version=1, outcome=Outcome.WARNING),
            now=NOW,
        )
    closed = cases.close(
        db,
        principal=inspector,
        case_id=case.id,
        data=CloseIn(version=1, outcome=Outcome.UNFOUNDED),
        now=NOW,
    )
    assert closed.status == CaseStatus.CLOSED


def test_reports_a_closed_case_covered_do_not_flag_again(db: Session, city: City) -> None:
    inspector = principal(db, "inspector")
    seller = add_seller(db, city, "劣质口罩店")
    ids = [
        add_complaint(db, seller, user_id(db, n))
        for n in ("resident_wang", "resident_zhang", "admin")
    ]
    assert len(flags.compute(db, rules=RULES, today=TODAY)) == 1
    case = _open(db, seller, ids, inspector)
    assert len(flags.compute(db, rules=RULES, today=TODAY)) == 1  # open: still flagged
    cases.close(
        db,
        principal=inspector,
        case_id=case.id,
        data=CloseIn(version=1, outcome=Outcome.UNFOUNDED),
        now=NOW,
    )
    db.commit()

    assert flags.compute(db, rules=RULES, today=TODAY) == []


def test_one_open_case_per_seller(db: Session, city: City) -> None:
    inspector = principal(db, "inspector")
    seller = add_seller(db, city, "药房")
    report = add_price(db, seller, "3.00")
    first = _open(db, seller, [report], inspector)

    with pytest.raises(Conflict, match=f"#{first.id}"):
        _open(db, seller, [report], inspector)


def test_two_inspectors_acting_at_once_one_wins_the_other_gets_409(
    db_url: str, db: Session, city: City
) -> None:
    inspector, other = principal(db, "inspector"), _second_inspector(db, city)
    seller = add_seller(db, city, "药房")
    case = _open(db, seller, [add_price(db, seller, "3.00")], inspector)
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(4)

    def act(who: Principal) -> str:
        with sessions() as session:
            start.wait()
            try:
                cases.assign(
                    session,
                    principal=who,
                    case_id=case.id,
                    data=AssignIn(version=1, assignee_user_id=who.user_id),
                )
                session.commit()
                return "assigned"
            except Conflict:
                session.rollback()
                return "409"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = Counter(pool.map(act, [inspector, other, inspector, other]))

    assert outcomes == {"assigned": 1, "409": 3}, outcomes
    db.expire_all()
    stored = db.get(MarketCase, case.id)
    assert stored is not None and stored.version == 2 and stored.status == "assigned"


def test_two_inspectors_opening_a_case_for_one_seller_at_once_make_one(
    db_url: str, db: Session, city: City
) -> None:
    inspector, other = principal(db, "inspector"), _second_inspector(db, city)
    seller = add_seller(db, city, "药房")
    report = add_price(db, seller, "3.00")
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(4)

    def open_one(who: Principal) -> str:
        with sessions() as session:
            start.wait()
            try:
                cases.open_case(
                    session,
                    principal=who,
                    now=NOW,
                    data=CaseOpenIn(seller_id=seller, source="report", report_ids=[report]),
                )
                session.commit()
                return "opened"
            except Conflict:
                session.rollback()
                return "409"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = Counter(pool.map(open_one, [inspector, other] * 2))

    assert outcomes == {"opened": 1, "409": 3}, outcomes
    assert db.scalar(select(func.count()).select_from(MarketCase)) == 1


def test_report_naming_a_known_seller_loosely_finds_it_not_a_duplicate(
    db: Session, city: City
) -> None:
    wang = principal(db, "resident_wang")
    known = add_seller(db, city, "好又多大药房")
    named = sellers.SellerNamed(
        name=" 好又多药房 ", kind=SellerKind.PHARMACY, division_id=city.divisions["m1"]
    )
    found, created = sellers.find_or_create(db, named=named)
    assert (found.id, created) == (known, False)
    other = sellers.SellerNamed(
        name="好又多大药房", kind=SellerKind.PHARMACY, division_id=city.divisions["m3"]
    )
    assert sellers.find_or_create(db, named=other)[1]  # another division: another seller
    assert wang.user_id


def test_licence_number_is_checked_when_given(db: Session, city: City) -> None:
    def named(licence: str) -> sellers.SellerNamed:
        return sellers.SellerNamed(
            name="新药房",
            kind=SellerKind.PHARMACY,
            division_id=city.divisions["m1"],
            licence_number=licence,
        )

    with pytest.raises(InvalidInput, match="check character"):
        sellers.find_or_create(db, named=named("91350100M000100Y44"))
    with pytest.raises(InvalidInput, match="18 letters"):
        sellers.find_or_create(db, named=named("12345"))
    seller, _ = sellers.find_or_create(db, named=named("91350100m000100y43"))
    assert seller.licence_number == "91350100M000100Y43"


def test_merging_moves_reports_and_cases_and_hides_the_duplicate(db: Session, city: City) -> None:
    inspector = principal(db, "inspector")
    keep, duplicate = add_seller(db, city, "好又多大药房"), add_seller(db, city, "好又多药房(东门)")
    moved = add_price(db, duplicate, "3.00")
    case = _open(db, duplicate, [moved], inspector)

    sellers.merge(db, principal=inspector, keep_id=keep, duplicate_id=duplicate)
    db.commit()

    assert db.get(MarketReport, moved).seller_id == keep  # type: ignore[union-attr]
    stored = db.get(MarketCase, case.id)
    assert stored is not None and (stored.seller_id, stored.open_seller_id) == (keep, keep)
    assert sellers.get_in_scope(db, principal=inspector, seller_id=duplicate).id == keep
    with pytest.raises(Conflict):
        sellers.merge(db, principal=inspector, keep_id=keep, duplicate_id=duplicate)
