"""The flag rules (market/rules.py) computed by DuckDB: medians of other sellers, the city's
median when a district has too few reports, ceilings, complaint windows and their evidence."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from epicontrol.market import flags
from epicontrol.market.models import ComplaintKind, ReferencePrice
from epicontrol.market.rules import FlagRules
from tests.factories import City
from tests.market.support import (
    RULES,
    TODAY,
    add_complaint,
    add_price,
    add_seller,
    market_prices,
    user_id,
)


def _flags(db: Session, rules: FlagRules = RULES, scope: str = "/") -> list[flags.Flag]:
    return flags.compute(db, rules=rules, today=TODAY, scope_path=scope)


def test_price_above_factor_times_district_median_flags_with_its_report(
    db: Session, city: City
) -> None:
    market_prices(db, city, ["1.00", "1.00", "1.20"])
    gouger = add_seller(db, city, "黑心药房")
    fair = add_price(db, gouger, "1.40")  # 1.4 <= 1.5 x 1.00: not abnormal
    high = add_price(db, gouger, "3.00")

    (flag,) = _flags(db)

    assert (flag.seller_id, flag.rule, flag.product) == (gouger, "price", "surgical")
    assert flag.report_ids == (high,) and fair not in flag.report_ids
    assert flag.median_basis == "district" and flag.median_unit_fen == 100
    assert flag.highest_unit_fen == 300


def test_a_gouger_does_not_raise_its_own_median(db: Session, city: City) -> None:
    market_prices(db, city, ["1.00", "1.00", "1.00"])
    gouger = add_seller(db, city, "黑心药房")
    for _ in range(6):
        add_price(db, gouger, "4.00")

    (flag,) = _flags(db)

    assert flag.median_unit_fen == 100 and len(flag.report_ids) == 6


def test_too_few_district_reports_fall_back_to_the_city_median(db: Session, city: City) -> None:
    market_prices(db, city, ["1.00", "1.00", "1.00"], division="m3")  # another district
    lone = add_seller(db, city, "孤单药房", "m1")
    add_price(db, lone, "2.00")

    (flag,) = _flags(db)

    assert flag.seller_id == lone and flag.median_basis == "city"


def test_too_few_reports_anywhere_flag_nothing(db: Session, city: City) -> None:
    market_prices(db, city, ["1.00", "1.00"])  # two others: fewer than the three needed
    add_price(db, add_seller(db, city, "贵药房"), "9.00")

    assert _flags(db) == []


def test_ceiling_flags_a_price_the_median_allows(db: Session, city: City) -> None:
    market_prices(db, city, ["2.00", "2.00", "2.00"])
    seller = add_seller(db, city, "限价药房")
    report = add_price(db, seller, "2.50")  # 1.25 x median: fine by the median
    assert _flags(db) == []
    db.add(
        ReferencePrice(
            product="surgical",
            division_id=city.divisions["city"],
            max_unit_fen=180,
            valid_from=TODAY - timedelta(days=5),
            set_by=user_id(db, "inspector"),
        )
    )
    db.commit()

    flagged = {f.seller_id: f for f in _flags(db)}

    assert flagged[seller].report_ids == (report,) and flagged[seller].ceiling_unit_fen == 180
    assert len(flagged) == 4  # the others at 2.00 are above the 1.80 ceiling too


def test_deepest_ceiling_applies_and_only_while_valid(db: Session, city: City) -> None:
    seller = add_seller(db, city, "药房")
    add_price(db, seller, "1.50", days_ago=1)
    inspector = user_id(db, "inspector")
    db.add_all(
        [
            ReferencePrice(
                product="surgical",
                division_id=city.divisions["city"],
                max_unit_fen=100,
                valid_from=TODAY,
                set_by=inspector,
            ),
            ReferencePrice(
                product="surgical",
                division_id=city.divisions["d1"],
                max_unit_fen=200,
                valid_from=TODAY - timedelta(days=9),
                set_by=inspector,
            ),
        ]
    )
    db.commit()

    # The city's 1.00 starts today, after the report's day; the district's 2.00 allows 1.50.
    assert _flags(db) == []


def test_price_window_boundary(db: Session, city: City) -> None:
    market_prices(db, city, ["1.00", "1.00", "1.00"])
    seller = add_seller(db, city, "旧账药房")
    inside = add_price(db, seller, "5.00", days_ago=13)  # the 14th day of a 14-day window
    add_price(db, seller, "5.00", days_ago=14)  # one day before it

    (flag,) = _flags(db)

    assert flag.report_ids == (inside,)


def test_three_quality_complaints_from_distinct_reporters_within_window_flag(
    db: Session, city: City
) -> None:
    seller = add_seller(db, city, "劣质口罩店")
    wang, zhang, admin = (user_id(db, n) for n in ("resident_wang", "resident_zhang", "admin"))
    first = add_complaint(db, seller, wang, days_ago=6)  # first day of the 7-day window
    add_complaint(db, seller, wang, days_ago=7)  # outside it
    second = add_complaint(db, seller, zhang)
    assert _flags(db) == []
    third = add_complaint(db, seller, admin, days_ago=3)

    (flag,) = _flags(db)

    assert (flag.rule, flag.reporters, flag.report_ids) == ("complaints", 3, (first, second, third))


def test_one_reporter_complaining_thrice_or_hoarding_complaints_do_not_flag(
    db: Session, city: City
) -> None:
    seller = add_seller(db, city, "被投诉店")
    wang = user_id(db, "resident_wang")
    for _ in range(3):
        add_complaint(db, seller, wang)
    for name in ("resident_zhang", "admin", "inspector"):
        add_complaint(db, seller, user_id(db, name), kind=ComplaintKind.HOARDING)

    assert _flags(db) == []


def test_flags_are_cut_to_the_callers_subtree(db: Session, city: City) -> None:
    market_prices(db, city, ["1.00", "1.00", "1.00"], division="m3")
    add_price(db, add_seller(db, city, "m3贵店", "m3"), "5.00")
    m3_path = f"/{city.divisions['province']}/{city.divisions['city']}/{city.divisions['d2']}/"

    assert len(_flags(db)) == 1
    assert len(_flags(db, scope=m3_path)) == 1
    assert (
        _flags(
            db,
            scope=f"/{city.divisions['province']}/{city.divisions['city']}/{city.divisions['d1']}/",
        )
        == []
    )


def test_each_other_seller_counts_once_in_the_median(db: Session, city: City) -> None:
    cheap = add_seller(db, city, "平价药房")
    for _ in range(5):
        add_price(db, cheap, "1.00")  # reported often, still one seller
    market_prices(db, city, ["3.00", "3.00"])
    seller = add_seller(db, city, "普通药房")
    add_price(db, seller, "4.00")  # 4.00 <= 1.5 x 3.00, the median of the sellers

    assert [f.seller_id for f in _flags(db)] == []
