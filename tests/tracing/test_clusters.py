"""Clusters of cases and contacts: exact on small data, and the union-find against a BFS."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from epicontrol.tracing.chains import INFECTOR_LINKS
from epicontrol.tracing.clusters import (
    HOUSEHOLD,
    OTHER_PLACES,
    case_contacts,
    connected_components,
    contact_groups,
    find_clusters,
)
from epicontrol.tracing.schema import CONTACTS

DAY0 = date(2026, 2, 1)


def row(case_id: int, contact: int, *, degree: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "case_resident_id": case_id * 10,
        "contact_resident_id": contact,
        "degree": degree,
        "rule": "co_location",
        "place_id": 7,
        "via_resident_id": None,
        "overlap_start_s": 1_770_000_000,
        "overlap_end_s": 1_770_003_600,
        "minutes": 60,
    } | fields


def table(*rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=CONTACTS)


def cases(onsets: Mapping[int, int | None]) -> pa.Table:
    ids = sorted(onsets)
    return pa.table(
        {
            "case_id": pa.array(ids, pa.int64()),
            "resident_id": pa.array([10 * c for c in ids], pa.int64()),
            "onset_date": pa.array(
                [None if (n := onsets[c]) is None else DAY0 + timedelta(days=n) for c in ids],
                pa.date32(),
            ),
        }
    )


# Case 1 infected case 2 (resident 20) and met 100 (who met 200) and 101 at home; case 5 met
# 100 too, which puts it in case 1's cluster. Case 3 is apart: 300 close, 301 secondary (and
# 300 again as a secondary: still counted as close). Case 4 has no contacts.
CONTACT_ROWS = [
    row(1, 20),
    row(1, 100),
    row(1, 101, rule="household", place_id=None),
    row(1, 200, degree=2, via_resident_id=100, place_id=8),
    row(5, 100, place_id=7),
    row(3, 300, place_id=9),
    row(3, 301, degree=2, via_resident_id=300, place_id=9),
    row(3, 300, degree=2, via_resident_id=301, place_id=9),
]
ONSETS = {1: 0, 2: 5, 3: 3, 4: None, 5: 8}


def test_clusters_are_exact_on_small_data() -> None:
    found = find_clusters(table(*CONTACT_ROWS), cases(ONSETS))
    assert found.summary.to_pylist() == [
        {
            "cluster_id": 1,
            "cases": 3,
            "close_contacts": 2,
            "secondary_contacts": 1,
            "first_onset_date": DAY0,
            "last_onset_date": DAY0 + timedelta(days=8),
            "places": 2,
            "place_ids": [7, 8],
        },
        {
            "cluster_id": 3,
            "cases": 1,
            "close_contacts": 1,
            "secondary_contacts": 1,
            "first_onset_date": DAY0 + timedelta(days=3),
            "last_onset_date": DAY0 + timedelta(days=3),
            "places": 1,
            "place_ids": [9],
        },
        {
            "cluster_id": 4,
            "cases": 1,
            "close_contacts": 0,
            "secondary_contacts": 0,
            "first_onset_date": None,
            "last_onset_date": None,
            "places": 0,
            "place_ids": [],
        },
    ]
    assert found.case_cluster.to_pydict() == {
        "case_id": [1, 2, 3, 4, 5],
        "cluster_id": [1, 1, 3, 4, 1],
    }


def test_cluster_ids_do_not_depend_on_row_order() -> None:
    forward = find_clusters(table(*CONTACT_ROWS), cases(ONSETS))
    backward = find_clusters(table(*reversed(CONTACT_ROWS)), cases(ONSETS))
    assert forward.summary.equals(backward.summary)


def test_best_infector_links_join_clusters_and_other_candidates_do_not() -> None:
    def link(infectee: int, infector: int, is_best: bool) -> dict[str, Any]:
        return {
            "infectee_case_id": infectee,
            "infector_case_id": infector,
            "exposure_start_s": 0,
            "serial_interval_days": 5,
            "incubation_days": 4,
            "score": 1.0,
            "is_best": is_best,
            "is_household": False,
            "minutes": 60,
        }

    links = pa.Table.from_pylist([link(4, 3, True), link(3, 1, False)], schema=INFECTOR_LINKS)
    found = find_clusters(table(*CONTACT_ROWS), cases(ONSETS), links)
    assert found.summary.column("cluster_id").to_pylist() == [1, 3]
    assert found.summary.column("cases").to_pylist() == [3, 2]
    links_of_cluster = found.cluster(3).links
    assert links_of_cluster is not None
    assert sorted(links_of_cluster.column("infectee_case_id").to_pylist()) == [3, 4]


def test_one_cluster_holds_its_cases_and_contact_rows() -> None:
    found = find_clusters(table(*CONTACT_ROWS), cases(ONSETS))
    cluster = found.cluster(1)
    assert cluster.cases.column("case_id").to_pylist() == [1, 2, 5]
    assert sorted(cluster.contacts.column("contact_resident_id").to_pylist()) == [
        20,
        100,
        100,
        101,
        200,
    ]
    with pytest.raises(KeyError):
        found.cluster(2)  # case 2 is in cluster 1


def test_a_case_named_only_by_contact_rows_counts_as_a_case() -> None:
    found = find_clusters(table(row(9, 900)), cases({1: 0}))
    assert found.summary.column("cluster_id").to_pylist() == [1, 9]
    assert found.case_cluster.to_pydict() == {"case_id": [1, 9], "cluster_id": [1, 9]}


def test_contact_groups_count_distinct_residents_per_case_and_place() -> None:
    rows = [row(1, r, place_id=7) for r in (100, 101, 102)] + [
        row(1, 100, place_id=7),  # met twice: still one contact
        row(1, 103, place_id=8),
        row(1, 104, place_id=9),
        row(1, 105, rule="household", place_id=None),
        row(1, 20),  # a case: shown as a case, not in a group
        row(1, 106, degree=2, via_resident_id=100, place_id=8),
        row(1, 100, degree=2, via_resident_id=101, place_id=8),  # already close
    ]
    cluster = find_clusters(table(*rows), cases({1: 0, 2: 4})).cluster(1)
    groups = contact_groups(cluster, max_groups_per_case=2)
    keys = zip(groups.degree.tolist(), groups.place.tolist(), groups.count.tolist(), strict=True)
    assert list(keys) == [
        (1, OTHER_PLACES, 2),
        (1, HOUSEHOLD, 1),
        (1, 7, 3),
        (2, 8, 1),
    ]
    assert groups.folded_places.tolist() == [2, 0, 0, 0]
    assert groups.per_case == {(1, 1): 6, (1, 2): 1}
    assert groups.contacts == 7
    people = case_contacts(cluster, 1)
    assert people.num_rows == 8  # 6 close, 1 secondary, and case 2
    assert (
        people.filter(pa.compute.is_valid(people.column("contact_case_id"))).to_pylist()[0][
            "contact_resident_id"
        ]
        == 20
    )


def _components_by_bfs(a: np.ndarray, b: np.ndarray, nodes: int) -> np.ndarray:
    neighbours: list[list[int]] = [[] for _ in range(nodes)]
    for u, v in zip(a.tolist(), b.tolist(), strict=True):
        neighbours[u].append(v)
        neighbours[v].append(u)
    label = np.full(nodes, -1)
    for start in range(nodes):  # ascending, so each component is named by its smallest node
        if label[start] >= 0:
            continue
        label[start] = start
        queue = deque([start])
        while queue:
            for n in neighbours[queue.popleft()]:
                if label[n] < 0:
                    label[n] = start
                    queue.append(n)
    return label


@pytest.mark.parametrize("seed", range(5))
def test_connected_components_agree_with_breadth_first_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nodes = 2_000
    edges = int(rng.integers(500, 2_500))
    a, b = rng.integers(0, nodes, edges), rng.integers(0, nodes, edges)
    assert np.array_equal(connected_components(a, b, nodes), _components_by_bfs(a, b, nodes))


def test_connected_components_of_a_long_shuffled_chain() -> None:
    nodes = 200_000
    order = np.random.default_rng(1).permutation(nodes)
    label = connected_components(order[:-1], order[1:], nodes)
    assert (label == 0).all()
