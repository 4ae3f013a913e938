"""The k-anonymity check and generalisation over plain records (no store)."""

from __future__ import annotations

from collections.abc import Hashable

from epicontrol.core import kanonymity
from epicontrol.core.kanonymity import Level, SmallClass


def _people(rows: list[tuple[int, str, str, str]]) -> list[dict[str, Hashable]]:
    return [
        {"age": age, "sex": sex, "district": district, "city": city}
        for age, sex, district, city in rows
    ]


def test_k_is_five_by_default_and_never_below_two() -> None:
    assert kanonymity.privacy_k() == 5


def test_small_classes_reports_the_combinations_shared_by_fewer_than_k() -> None:
    records = [{"band": "30-39", "sex": "F"}] * 5 + [{"band": "80+", "sex": "M"}] * 2
    records += [{"band": "30-39", "sex": "M"}]
    assert kanonymity.small_classes(records, ["band", "sex"]) == [
        SmallClass(("30-39", "M"), 1),
        SmallClass(("80+", "M"), 2),
    ]
    assert kanonymity.small_classes(records, ["band", "sex"], k=1) == []
    # Fewer quasi-identifiers, bigger classes: by band alone only "80+" is small.
    assert kanonymity.small_classes(records, ["band"]) == [SmallClass(("80+",), 2)]


def test_age_bands_widen_and_top_code() -> None:
    assert [kanonymity.age_band(a, 10) for a in (0, 9, 34, 79, 80, 97)] == [
        "0-9",
        "0-9",
        "30-39",
        "70-79",
        "80+",
        "80+",
    ]
    assert [kanonymity.age_band(a, 20) for a in (34, 45, 79, 85)] == [
        "20-39",
        "40-59",
        "60-79",
        "80+",
    ]
    assert kanonymity.age_band(34, None) == "*"
    assert kanonymity.age_bounds(34, 20) == (20, 39) and kanonymity.age_bounds(91, 10) == (80, None)


def test_generalise_keeps_the_finest_release_that_is_k_anonymous() -> None:
    five_alike = _people([(31 + i, "F", "东区", "C") for i in range(5)])
    fine = kanonymity.generalise(five_alike)
    assert fine.level == Level(10, "district") and fine.generalised == [] and fine.suppressed == 0
    assert {r["age"] for r in fine.records} == {"30-39"} and fine.records[0]["area"] == "东区"
    # Two of them are in their twenties: only a 20-year band (20-39) groups all five.
    mixed = _people([(25, "F", "东区", "C"), (28, "F", "东区", "C")] + [(35, "F", "东区", "C")] * 3)
    wider = kanonymity.generalise(mixed)
    assert wider.level == Level(20, "district")
    assert wider.generalised == ["age band 10 -> 20 years"]
    assert {r["age"] for r in wider.records} == {"20-39"}


def test_generalise_moves_to_the_city_then_suppresses_what_stays_unique() -> None:
    # Five women of one decade, spread over two districts: the city groups them.
    spread = _people([(40, "F", "东区", "C")] * 3 + [(41, "F", "西区", "C")] * 2)
    city = kanonymity.generalise(spread)
    assert city.level == Level(10, "city") and city.generalised == ["district -> city"]
    # One man among them: unique at every level, so his record is withheld.
    lonely = kanonymity.generalise(spread + _people([(60, "M", "西区", "C")]))
    assert lonely.level == Level(None, "city") and lonely.suppressed == 1
    assert "1 records suppressed" in lonely.generalised and "age suppressed" in lonely.generalised
    assert all(r["sex"] == "F" for r in lonely.records) and len(lonely.records) == 5
    assert not kanonymity.small_classes(lonely.records, ["age", "sex", "area"])


def test_first_safe_level_asks_the_caller_to_count() -> None:
    sizes = {10: 3, 20: 7, None: 40}
    levels = kanonymity.ladder(areas=["city"])
    assert kanonymity.first_safe_level(levels, lambda lv: sizes[lv.age_width]) == (levels[1], 7)
    assert kanonymity.first_safe_level(levels, lambda lv: 4) is None


def test_small_counts_are_suppressed_but_zero_is_shown() -> None:
    assert [kanonymity.count_label(n) for n in (0, 1, 4, 5, 120)] == ["0", "<5", "<5", "5", "120"]
    assert kanonymity.suppress_count(3) is None and kanonymity.suppress_count(3, k=3) == 3
