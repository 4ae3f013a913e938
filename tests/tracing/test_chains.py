"""Infector links: which earlier case a case was infected by, on hand-made contacts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pytest

from epicontrol.tracing.chains import (
    INFECTOR_LINKS,
    ChainRules,
    best_links,
    chain_order,
    link_infectors,
)
from epicontrol.tracing.schema import CONTACTS

DAY0 = date(2026, 2, 1)
CST = timezone(timedelta(hours=8))


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def at(n: int, hour: int = 10) -> int:
    """Epoch seconds at `hour` o'clock China Standard Time on day `n`."""
    return int(datetime.combine(day(n), datetime.min.time(), CST).timestamp()) + hour * 3600


def contact(case_id: int, contact_resident_id: int, start: int, **fields: Any) -> dict[str, Any]:
    row = {
        "case_id": case_id,
        "case_resident_id": case_id * 10,
        "contact_resident_id": contact_resident_id,
        "degree": 1,
        "rule": "co_location",
        "place_id": 7,
        "via_resident_id": None,
        "overlap_start_s": start,
        "overlap_end_s": start + 3600,
        "minutes": 60,
    }
    return row | fields


def contacts(*rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=CONTACTS)


def cases(onsets: Mapping[int, int | None], sampled: Mapping[int, int] | None = None) -> pa.Table:
    """Case `c` is resident `10 * c`, with onset on day onsets[c] (None: asymptomatic)."""
    ids = sorted(onsets)
    sampled = sampled or {}
    return pa.table(
        {
            "case_id": pa.array(ids, pa.int64()),
            "resident_id": pa.array([10 * c for c in ids], pa.int64()),
            "onset_date": pa.array(
                [None if (n := onsets[c]) is None else day(n) for c in ids],
                pa.date32(),
            ),
            "sampling_date": pa.array(
                [day(sampled[c]) if c in sampled else None for c in ids], pa.date32()
            ),
        }
    )


def pairs(links: pa.Table) -> list[tuple[int, int, bool]]:
    return list(
        zip(
            links.column("infectee_case_id").to_pylist(),
            links.column("infector_case_id").to_pylist(),
            links.column("is_best").to_pylist(),
            strict=True,
        )
    )


def test_contact_who_became_a_case_is_linked_to_its_source() -> None:
    # Case 2 (resident 20) met case 1 on day 1 and fell ill on day 5.
    links = link_infectors(contacts(contact(1, 20, at(1))), cases({1: 0, 2: 5}))
    assert links.schema == INFECTOR_LINKS
    assert links.to_pylist() == [
        {
            "infectee_case_id": 2,
            "infector_case_id": 1,
            "exposure_start_s": at(1),
            "serial_interval_days": 5,
            "incubation_days": 4,
            "score": pytest.approx(0.994663517, abs=1e-9),
            "is_best": True,
            "is_household": False,
            "minutes": 60,
        }
    ]


def test_incompatible_serial_interval_is_rejected() -> None:
    # Both exposures fit the incubation period (4 days), but case 3 fell ill 20 days after
    # case 1 (serial interval > 14) and case 4 six days before it (< -3).
    rows = contacts(contact(1, 30, at(16)), contact(1, 40, at(-10)))
    links = link_infectors(rows, cases({1: 0, 3: 20, 4: -6}))
    assert links.num_rows == 0
    relaxed = ChainRules(serial_interval_min_days=-7, serial_interval_max_days=21)
    assert pairs(link_infectors(rows, cases({1: 0, 3: 20, 4: -6}), relaxed)) == [
        (3, 1, True),
        (4, 1, True),
    ]


def test_exposure_outside_the_incubation_period_is_rejected() -> None:
    # Met on the day of onset (incubation 0) and 15 days before it: neither can be the source.
    rows = contacts(contact(1, 20, at(6)), contact(3, 20, at(-9)))
    assert link_infectors(rows, cases({1: 2, 2: 6, 3: 0})).num_rows == 0


def test_best_is_closest_to_the_mean_serial_interval() -> None:
    # Case 9 fell ill on day 6: case 1 (onset day 1, SI 5) beats case 2 (onset day 5, SI 1).
    rows = contacts(contact(2, 90, at(3)), contact(1, 90, at(2)))
    links = link_infectors(rows, cases({1: 1, 2: 5, 9: 6}))
    assert pairs(links) == [(9, 1, True), (9, 2, False)]
    assert links.column("score")[0].as_py() > links.column("score")[1].as_py()


def test_ties_break_by_household_then_minutes_then_smallest_case_id() -> None:
    onsets = {1: 0, 2: 0, 3: 0, 4: 0, 9: 5}  # every candidate has a serial interval of 5 days
    rows = [
        contact(4, 90, at(1), minutes=30),
        contact(3, 90, at(1), minutes=30),
        contact(2, 90, at(1), minutes=300),
        contact(1, 90, at(1), rule="household", place_id=None, minutes=20),
    ]
    assert pairs(link_infectors(contacts(*rows), cases(onsets))) == [
        (9, 1, True),
        (9, 2, False),
        (9, 3, False),
        (9, 4, False),
    ]
    without_household = contacts(*rows[:3])
    assert pairs(best_links(link_infectors(without_household, cases(onsets)))) == [(9, 2, True)]
    equal = contacts(rows[0], rows[1])
    assert pairs(best_links(link_infectors(equal, cases(onsets)))) == [(9, 3, True)]


def test_row_order_does_not_change_the_links() -> None:
    rows = [contact(c, 90, at(1), minutes=30) for c in (5, 3, 4, 1, 2)]
    onsets = {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 9: 5}
    forward = link_infectors(contacts(*rows), cases(onsets))
    backward = link_infectors(contacts(*reversed(rows)), cases(onsets))
    assert forward.equals(backward)
    assert pairs(best_links(forward)) == [(9, 1, True)]


def test_several_exposures_of_one_pair_are_one_candidate_dated_by_the_first() -> None:
    rows = contacts(contact(1, 20, at(3)), contact(1, 20, at(2)), contact(1, 20, at(-20)))
    [link] = link_infectors(rows, cases({1: 0, 2: 6})).to_pylist()
    assert link["exposure_start_s"] == at(2)  # day -20 is outside the incubation period
    assert link["incubation_days"] == 4
    assert link["minutes"] == 120


def test_long_household_overlap_is_dated_by_its_first_day_that_fits() -> None:
    # Together at home from day -20 to day 3; onset day 5: exposure from day -9 (14 days) on.
    home = contact(1, 20, at(-20, 0), overlap_end_s=at(3), rule="household", place_id=None)
    [link] = link_infectors(contacts(home), cases({1: 2, 2: 5})).to_pylist()
    assert link["exposure_start_s"] == at(-9, 0)
    assert link["incubation_days"] == 14
    assert link["is_household"] is True


def test_asymptomatic_cases_are_placed_by_their_sampling_date() -> None:
    rows = contacts(contact(1, 20, at(2)), contact(1, 30, at(2)))
    links = link_infectors(rows, cases({1: 0, 2: None, 3: None}, sampled={2: 6}))
    assert pairs(links) == [(2, 1, True)]  # case 3 has neither onset nor sampling date
    assert links.column("serial_interval_days").to_pylist() == [6]


def test_secondary_contacts_are_not_candidate_infections() -> None:
    rows = contacts(contact(1, 20, at(2), degree=2, via_resident_id=55))
    assert link_infectors(rows, cases({1: 0, 2: 5})).num_rows == 0


def test_exposure_dates_are_local_days() -> None:
    # 00:30 on day 2 in Beijing is still day 1 in UTC: with onset on day 2 the incubation is
    # 0 days (rejected), not 1.
    late = at(2, 0) + 1800
    assert datetime.fromtimestamp(late, UTC).date() == day(1)
    assert link_infectors(contacts(contact(1, 20, late)), cases({1: 0, 2: 2})).num_rows == 0


def test_rules_refuse_impossible_ranges() -> None:
    with pytest.raises(ValueError):
        ChainRules(incubation_min_days=5, incubation_max_days=2)
    with pytest.raises(ValueError):
        ChainRules(serial_interval_sd_days=0)


def test_chain_order_walks_infector_trees_by_date_and_breaks_cycles() -> None:
    # 1 -> 2 -> 4, 1 -> 3; 5 and 6 are each other's best infector (|SI| <= 3 both ways).
    rows = [
        contact(1, 20, at(1)),
        contact(1, 30, at(1)),
        contact(2, 40, at(5)),
        contact(5, 60, at(2)),
        contact(6, 50, at(2)),
    ]
    table = cases({1: 0, 2: 5, 3: 4, 4: 9, 5: 6, 6: 6})
    links = link_infectors(contacts(*rows), table)
    order = chain_order(table, contacts(*rows), links)
    assert order.case_id == [1, 3, 2, 4, 5, 6]
    assert order.generation == {1: 0, 3: 1, 2: 1, 4: 2, 5: 0, 6: 1}
    assert order.infector == {2: 1, 3: 1, 4: 2, 5: 6, 6: 5}
