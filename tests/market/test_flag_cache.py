"""The board's flags are reused while their inputs are unchanged (market/flag_cache.py), and
every change to an input (a report, a ceiling, a merge, a closed case, an anonymised reporter,
the next day) shows on the next view; one district's flags never reach another's inspector.

`flags.computations` counts the city's computations in this process: a view that adds none
reused the flags kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from epicontrol.core import retention
from epicontrol.core.db import utcnow
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.core.settings import Settings
from epicontrol.market import board, cases, flag_cache, flags, sellers
from epicontrol.market.models import MarketReport, Outcome, ReferencePrice
from epicontrol.market.schemas import CaseOpenIn, CloseIn
from tests.factories import PASSWORD_HASH, City
from tests.market.support import (
    RULES,
    TODAY,
    add_complaint,
    add_price,
    add_seller,
    market_prices,
    principal,
    user_id,
)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Each test starts without flags kept from another test's store."""
    flag_cache.clear()
    yield
    flag_cache.clear()


def _view(db: Session, who: str = "inspector", today: date = TODAY) -> list[tuple[int, str]]:
    """(seller, rule) of the flags a board view shows `who`, as the board computes them."""
    shown = board.flags_out(db, principal=principal(db, who), rules=RULES, today=today)
    return [(f.seller_id, f.rule) for f in shown]


def _computed_by(action: Callable[[], object]) -> int:
    """How many times the city's flags were computed while `action` ran."""
    before = flags.computations
    action()
    return flags.computations - before


def _gouger(db: Session, city: City, division: str = "m1") -> tuple[int, int]:
    """Three fair sellers and one at three times their price: (the gouger, its report)."""
    market_prices(db, city, ["1.00", "1.00", "1.00"], division=division)
    seller = add_seller(db, city, f"黑心药房{division}", division)
    return seller, add_price(db, seller, "3.00")


def _inspector_of(db: Session, city: City, division: str) -> str:
    name = f"inspector_{division}"
    db.add(
        User(
            username=name,
            display_name=name,
            password_hash=PASSWORD_HASH,
            role=Role.MARKET_INSPECTOR.value,
            division_id=city.divisions[division],
        )
    )
    db.commit()
    return name


def test_a_second_view_reuses_the_flags_and_matches_a_fresh_computation(
    db: Session, city: City
) -> None:
    gouger, _ = _gouger(db, city)

    assert _computed_by(lambda: _view(db)) == 1
    assert _computed_by(lambda: _view(db)) == 0
    assert _computed_by(lambda: _view(db)) == 0
    assert _view(db) == [(gouger, "price")]
    assert flag_cache.flags_for(db, rules=RULES, today=TODAY, scope_path="/") == flags.compute(
        db, rules=RULES, today=TODAY
    )


def test_a_new_report_shows_on_the_next_view(db: Session, city: City) -> None:
    market_prices(db, city, ["1.00", "1.00", "1.00"])
    seller = add_seller(db, city, "涨价药房")
    add_price(db, seller, "1.20")
    assert _view(db) == []

    add_price(db, seller, "3.00")

    assert _computed_by(lambda: _view(db)) == 1
    assert _view(db) == [(seller, "price")]


def test_a_new_ceiling_shows_on_the_next_view(db: Session, city: City) -> None:
    market_prices(db, city, ["2.00", "2.00", "2.00"])
    seller = add_seller(db, city, "限价药房")
    add_price(db, seller, "2.50")  # 1.25 x the median: fine without a ceiling
    assert _view(db) == []

    db.add(
        ReferencePrice(
            product="surgical",
            division_id=city.divisions["city"],
            max_unit_fen=220,
            valid_from=TODAY - timedelta(days=5),
            set_by=user_id(db, "inspector"),
        )
    )
    db.commit()

    assert _view(db) == [(seller, "price")]


def test_a_merge_shows_on_the_next_view(db: Session, city: City) -> None:
    seller = add_seller(db, city, "劣质口罩店")
    duplicate = add_seller(db, city, "劣质口罩店（分店）")
    wang, zhang, admin = (user_id(db, n) for n in ("resident_wang", "resident_zhang", "admin"))
    add_complaint(db, seller, wang)
    add_complaint(db, seller, zhang)
    add_complaint(db, duplicate, admin)  # two reporters each side: neither is flagged
    add_complaint(db, duplicate, wang)
    assert _view(db) == []

    sellers.merge(db, principal=principal(db, "inspector"), keep_id=seller, duplicate_id=duplicate)
    db.commit()

    assert _view(db) == [(seller, "complaints")]


def test_a_closed_case_clears_its_flag_on_the_next_view(db: Session, city: City) -> None:
    gouger, report = _gouger(db, city)
    inspector = principal(db, "inspector")
    case = cases.open_case(
        db,
        principal=inspector,
        data=CaseOpenIn(seller_id=gouger, source="price_flag", report_ids=[report]),
        now=utcnow(),
    )
    db.commit()
    assert _view(db) == [(gouger, "price")]  # an open case: still flagged

    cases.close(
        db,
        principal=inspector,
        case_id=case.id,
        data=CloseIn(version=case.version, outcome=Outcome.UNFOUNDED),
        now=utcnow(),
    )
    db.commit()

    assert _view(db) == []


def test_an_anonymised_reporter_shows_on_the_next_view(
    db: Session, city: City, settings: Settings
) -> None:
    seller = add_seller(db, city, "被投诉店")
    wang, zhang = user_id(db, "resident_wang"), user_id(db, "resident_zhang")
    old = add_complaint(db, seller, wang)
    add_complaint(db, seller, wang)
    add_complaint(db, seller, zhang)
    db.execute(
        update(MarketReport)
        .where(MarketReport.id == old)
        .values(created_at=utcnow() - timedelta(days=settings.retention_market_report_days + 1))
    )
    db.commit()
    assert _view(db) == []  # wang twice and zhang: two reporters

    retention.purge(db, settings=settings, now=utcnow(), actor="test", purpose="test")

    # The anonymised complaint counts as a reporter of its own: three.
    assert _view(db) == [(seller, "complaints")]


def test_the_next_day_moves_the_complaint_window(db: Session, city: City) -> None:
    seller = add_seller(db, city, "劣质口罩店")
    for days_ago, name in enumerate(("resident_wang", "resident_zhang", "admin")):
        add_complaint(db, seller, user_id(db, name), days_ago=days_ago * 3)  # 0, 3 and 6 days
    assert _view(db) == [(seller, "complaints")]
    assert _computed_by(lambda: _view(db)) == 0

    tomorrow = TODAY + timedelta(days=1)

    assert _computed_by(lambda: _view(db, today=tomorrow)) == 1
    assert _view(db, today=tomorrow) == []  # the complaint of 6 days ago is now 7 days old


def test_an_inspector_never_sees_another_districts_flags_through_the_cache(
    db: Session, city: City
) -> None:
    in_d1, _ = _gouger(db, city, "m1")
    in_d2, _ = _gouger(db, city, "m3")
    d1, d2 = _inspector_of(db, city, "d1"), _inspector_of(db, city, "d2")

    assert _computed_by(lambda: _view(db, d2)) == 1
    assert _view(db, d2) == [(in_d2, "price")]
    assert _computed_by(lambda: _view(db, d1)) == 0  # the city's flags, kept, cut to d1
    assert _view(db, d1) == [(in_d1, "price")]
    assert _view(db, "inspector") == [(in_d1, "price"), (in_d2, "price")]
    assert _view(db, d2) == [(in_d2, "price")]


def test_the_seller_page_and_the_api_share_the_flags_kept(db: Session, city: City) -> None:
    gouger, _ = _gouger(db, city)
    inspector = principal(db, "inspector")
    assert _view(db) == [(gouger, "price")]

    page = board.seller_page(db, principal=inspector, seller_id=gouger, rules=RULES, today=TODAY)

    assert [f.rule for f in page.flags] == ["price"]
    assert (
        _computed_by(
            lambda: board.seller_page(
                db, principal=inspector, seller_id=gouger, rules=RULES, today=TODAY
            )
        )
        == 0
    )


def test_a_store_emptied_and_refilled_alike_is_computed_afresh(db: Session, city: City) -> None:
    """The same counts, sellers and (on SQLite) ids after a refill: the newest report's
    created_at still tells the two apart."""
    market_prices(db, city, ["1.00", "1.00", "1.00"])
    gouger = add_seller(db, city, "黑心药房")
    add_price(db, gouger, "3.00")
    assert _view(db) == [(gouger, "price")]
    by_id = db.scalars(select(MarketReport.seller_id).order_by(MarketReport.id)).all()

    db.execute(delete(MarketReport))
    db.commit()
    for seller in by_id:
        add_price(db, seller, "1.00")

    assert _view(db) == []
