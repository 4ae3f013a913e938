"""Clusters: connected groups of cases and their contacts, found with a union-find in numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from epicontrol.tracing.chains import NO_DATE, reference_days
from epicontrol.tracing.schema import CONTACTS

# One row per cluster. A cluster is a connected component of the graph whose nodes are residents
# (cases and their contacts) and whose edges are the contact rows (case - close contact, case -
# close contact - secondary contact) and the best infector links. Two cases meet in one cluster
# when one infected the other or when they share a contact, e.g. both were at one market.
CLUSTERS = pa.schema(
    [
        ("cluster_id", pa.int64()),  # the smallest case id of the cluster: stable across runs
        ("cases", pa.int64()),
        ("close_contacts", pa.int64()),  # residents, not cases, with a degree-1 contact row
        ("secondary_contacts", pa.int64()),  # residents, not cases, with degree-2 rows only
        ("first_onset_date", pa.date32()),
        ("last_onset_date", pa.date32()),
        ("places", pa.int64()),
        ("place_ids", pa.list_(pa.int64())),  # sorted; households are not places
    ]
)


HOUSEHOLD, NO_PLACE, OTHER_PLACES = -1, -2, -3  # place keys of contact groups, not place ids


@dataclass(frozen=True, slots=True)
class Cluster:
    """One cluster's cases, contact rows (CONTACTS) and infector links of its cases."""

    cluster_id: int
    cases: pa.Table
    contacts: pa.Table
    links: pa.Table | None


@dataclass(frozen=True, slots=True)
class Clusters:
    """The clusters (CLUSTERS, by cluster id), which case is in which, and the rows to slice."""

    summary: pa.Table
    case_cluster: pa.Table  # case_id, cluster_id
    cases: pa.Table
    contacts: pa.Table
    contact_cluster: np.ndarray  # cluster id of each contact row
    links: pa.Table | None

    def cluster(self, cluster_id: int) -> Cluster:
        """The cases, contact rows and links of one cluster."""
        case_ids = self.case_cluster.filter(
            pc.equal(self.case_cluster.column("cluster_id"), cluster_id)
        ).column("case_id")
        if len(case_ids) == 0:
            raise KeyError(f"no cluster {cluster_id}")
        cases = self.cases.filter(pc.is_in(self.cases.column("case_id"), case_ids))
        contacts = self.contacts.filter(pa.array(self.contact_cluster == cluster_id))
        links = None
        if self.links is not None:
            links = self.links.filter(pc.is_in(self.links.column("infectee_case_id"), case_ids))
        return Cluster(cluster_id=cluster_id, cases=cases, contacts=contacts, links=links)


def connected_components(edges_a: np.ndarray, edges_b: np.ndarray, nodes: int) -> np.ndarray:
    """The component of each node 0..nodes-1, named by its smallest node.

    Hook-and-compress (Shiloach-Vishkin style) in whole-array steps: every round hooks each
    edge's larger root under its smaller one, then pointer-jumps until every node points at its
    root. A few rounds suffice even for one component of millions of nodes, and `parent[x] <= x`
    holds throughout, so there are no cycles and the root is the smallest node.
    """
    parent = np.arange(nodes, dtype=np.int64)
    a, b = edges_a.astype(np.int64), edges_b.astype(np.int64)
    while True:
        root_a, root_b = parent[a], parent[b]
        differs = root_a != root_b
        if not differs.any():
            return parent
        low = np.minimum(root_a, root_b)[differs]
        high = np.maximum(root_a, root_b)[differs]
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        # Edges inside one component stay settled from now on: drop them.
        a, b = a[differs], b[differs]


def find_clusters(contacts: pa.Table, cases: pa.Table, links: pa.Table | None = None) -> Clusters:
    """Clusters of `cases` (chains.CASES) through `contacts` (CONTACTS) and best `links`.

    A case with no contacts is a cluster of its own. A contact row whose case is missing from
    `cases` still counts, as a case without dates.
    """
    contacts = contacts.select(CONTACTS.names)
    cases = _all_cases(contacts, cases)
    case_id = cases.column("case_id").to_numpy()
    case_resident = cases.column("resident_id").to_numpy()
    row_case = contacts.column("case_resident_id").to_numpy()
    row_contact = contacts.column("contact_resident_id").to_numpy()
    via = contacts.column("via_resident_id")
    has_via = via.is_valid().to_numpy(zero_copy_only=False)
    row_via = via.fill_null(0).to_numpy()
    link_a, link_b = _link_residents(links, case_id, case_resident)
    residents, index = np.unique(
        np.concatenate([case_resident, row_case, row_contact, row_via[has_via], link_a, link_b]),
        return_inverse=True,
    )
    n_cases, n_rows, n_via = len(case_id), len(row_case), int(has_via.sum())
    at = np.cumsum([0, n_cases, n_rows, n_rows, n_via, len(link_a), len(link_b)])
    part = [index[at[i] : at[i + 1]] for i in range(len(at) - 1)]
    node_case, node_row_case, node_contact, node_via, node_link_a, node_link_b = part
    root = connected_components(
        np.concatenate([node_row_case, node_row_case[has_via], node_link_a]),
        np.concatenate([node_contact, node_via, node_link_b]),
        len(residents),
    )
    cluster_of_root = _cluster_ids(root[node_case], case_id, len(residents))
    case_cluster = cluster_of_root[root[node_case]]
    contact_cluster = cluster_of_root[root[node_row_case]]
    summary = _summary(cases, case_cluster, contacts, contact_cluster, case_resident)
    return Clusters(
        summary=summary,
        case_cluster=pa.table(
            {
                "case_id": pa.array(case_id, pa.int64()),
                "cluster_id": pa.array(case_cluster, pa.int64()),
            }
        ),
        cases=cases,
        contacts=contacts,
        contact_cluster=contact_cluster,
        links=links,
    )


def _all_cases(contacts: pa.Table, cases: pa.Table) -> pa.Table:
    """`cases` with onset (and sampling) dates, plus any case only the contact rows name."""
    columns = ["case_id", "resident_id", "onset_date"]
    if "sampling_date" in cases.column_names:
        columns.append("sampling_date")
    extra = [c for c in cases.column_names if c not in columns]
    known = cases.select(columns + extra)
    named = (
        contacts.select(["case_id", "case_resident_id"])
        .group_by(["case_id", "case_resident_id"], use_threads=False)
        .aggregate([])
        .rename_columns(["case_id", "resident_id"])
    )
    missing = named.filter(pc.invert(pc.is_in(named.column("case_id"), known.column("case_id"))))
    if missing.num_rows:
        nulls = {
            field.name: pa.nulls(missing.num_rows, field.type)
            for field in known.schema
            if field.name not in ("case_id", "resident_id")
        }
        filler = pa.table(
            {"case_id": missing.column("case_id"), "resident_id": missing.column("resident_id")}
            | nulls
        ).select(known.column_names)
        known = pa.concat_tables([known, filler.cast(known.schema)])
    return known.sort_by("case_id")


def _link_residents(
    links: pa.Table | None, case_id: np.ndarray, case_resident: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Resident ids at both ends of each best infector link between known cases (`case_id`
    sorted)."""
    empty = np.empty(0, dtype=np.int64)
    if links is None or links.num_rows == 0 or len(case_id) == 0:
        return empty, empty
    best = links.filter(links.column("is_best"))
    infector = best.column("infector_case_id").to_numpy()
    infectee = best.column("infectee_case_id").to_numpy()
    at_infector = np.minimum(np.searchsorted(case_id, infector), len(case_id) - 1)
    at_infectee = np.minimum(np.searchsorted(case_id, infectee), len(case_id) - 1)
    found = (case_id[at_infector] == infector) & (case_id[at_infectee] == infectee)
    return case_resident[at_infector[found]], case_resident[at_infectee[found]]


def _cluster_ids(case_root: np.ndarray, case_id: np.ndarray, nodes: int) -> np.ndarray:
    """For each root node, the smallest case id of its component (-1 for roots with no case)."""
    smallest = np.full(nodes, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, case_root, case_id)
    return np.where(smallest == np.iinfo(np.int64).max, -1, smallest)


def _summary(
    cases: pa.Table,
    case_cluster: np.ndarray,
    contacts: pa.Table,
    contact_cluster: np.ndarray,
    case_resident: np.ndarray,
) -> pa.Table:
    cluster_ids, case_counts = np.unique(case_cluster, return_counts=True)
    slot = {int(c): i for i, c in enumerate(cluster_ids)}
    close, secondary = _contact_counts(contacts, contact_cluster, case_resident, cluster_ids)
    onset = _date_days(cases)
    first = np.full(len(cluster_ids), np.iinfo(np.int64).max)
    last = np.full(len(cluster_ids), np.iinfo(np.int64).min)
    dated = onset != NO_DATE
    positions = np.searchsorted(cluster_ids, case_cluster)
    np.minimum.at(first, positions[dated], onset[dated])
    np.maximum.at(last, positions[dated], onset[dated])
    no_onset = first == np.iinfo(np.int64).max
    place_lists: list[list[int]] = [[] for _ in cluster_ids]
    places = contacts.column("place_id")
    has_place = places.is_valid().to_numpy(zero_copy_only=False)
    cluster, place = contact_cluster[has_place], places.drop_null().to_numpy()
    order = np.lexsort((place, cluster))
    distinct = order[_runs(order, cluster, place)]
    for c, p in zip(cluster[distinct].tolist(), place[distinct].tolist(), strict=True):
        place_lists[slot[c]].append(p)
    return pa.table(
        [
            pa.array(cluster_ids, pa.int64()),
            pa.array(case_counts, pa.int64()),
            pa.array(close, pa.int64()),
            pa.array(secondary, pa.int64()),
            pa.array(np.where(no_onset, 0, first).astype(np.int32), pa.date32(), mask=no_onset),
            pa.array(np.where(no_onset, 0, last).astype(np.int32), pa.date32(), mask=no_onset),
            pa.array([len(p) for p in place_lists], pa.int64()),
            pa.array(place_lists, pa.list_(pa.int64())),
        ],
        schema=CLUSTERS,
    )


def _date_days(cases: pa.Table) -> np.ndarray:
    """Onset days only: a cluster's first and last onset are about symptoms, not sampling."""
    return reference_days(cases.select(["onset_date"]))


def _contact_counts(
    contacts: pa.Table,
    contact_cluster: np.ndarray,
    case_resident: np.ndarray,
    cluster_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster, distinct non-case residents whose closest degree is 1, and 2."""
    resident = contacts.column("contact_resident_id").to_numpy()
    degree = contacts.column("degree").to_numpy().astype(np.int64)
    not_case = ~np.isin(resident, case_resident)
    resident, degree, cluster = resident[not_case], degree[not_case], contact_cluster[not_case]
    # A resident is in one component, so distinct residents are distinct within a cluster.
    order = np.lexsort((degree, resident))
    first = np.ones(len(order), dtype=bool)
    first[1:] = resident[order][1:] != resident[order][:-1]
    chosen = order[first]
    positions = np.searchsorted(cluster_ids, cluster[chosen])
    counts = np.zeros((2, len(cluster_ids)), dtype=np.int64)
    np.add.at(counts, (np.clip(degree[chosen], 1, 2) - 1, positions), 1)
    return counts[0], counts[1]


@dataclass(frozen=True, slots=True)
class ContactGroups:
    """Distinct non-case contacts of each case, counted per (case, degree, place key)."""

    case_id: np.ndarray
    degree: np.ndarray
    place: np.ndarray  # a place id, HOUSEHOLD, NO_PLACE or OTHER_PLACES
    count: np.ndarray
    folded_places: np.ndarray  # for OTHER_PLACES: how many places were folded in
    per_case: dict[tuple[int, int], int]  # distinct contacts per (case, degree)
    contacts: int  # distinct contacts of the cluster's cases, who are not cases themselves


def _runs(order: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Mask over `order`: True where any of `keys` differs from the previous row."""
    new = np.zeros(len(order), dtype=bool)
    if len(order):
        new[0] = True
    for key in keys:
        ordered = key[order]
        new[1:] |= ordered[1:] != ordered[:-1]
    return new


def place_keys(contacts: pa.Table) -> np.ndarray:
    place = contacts.column("place_id").fill_null(NO_PLACE).to_numpy()
    household = pc.equal(contacts.column("rule"), "household").to_numpy(zero_copy_only=False)
    return np.where(household, HOUSEHOLD, place)


def closest_rows(contacts: pa.Table, cases: pa.Table, *, with_cases: bool = False) -> pa.Table:
    """Contact rows (of residents who are not cases unless `with_cases`) at each (case,
    resident)'s closest degree: a close contact met again as a secondary stays a close contact."""
    if not with_cases:
        is_case = pc.is_in(contacts.column("contact_resident_id"), cases.column("resident_id"))
        contacts = contacts.filter(pc.invert(is_case))
    case = contacts.column("case_id").to_numpy()
    resident = contacts.column("contact_resident_id").to_numpy()
    degree = contacts.column("degree").to_numpy()
    order = np.lexsort((degree, resident, case))
    new = _runs(order, case, resident)
    closest = np.repeat(degree[order][new], np.diff(np.append(np.flatnonzero(new), len(order))))
    keep = np.zeros(len(order), dtype=bool)
    keep[order] = degree[order] == closest
    return contacts.filter(pa.array(keep))


def contact_groups(cluster: Cluster, *, max_groups_per_case: int = 8) -> ContactGroups:
    """Each case's contacts per place, the largest `max_groups_per_case` groups of each degree
    kept and the rest folded into one OTHER_PLACES group, so nodes grow with cases, not contacts.
    """
    rows = closest_rows(cluster.contacts, cluster.cases)
    case = rows.column("case_id").to_numpy()
    degree = rows.column("degree").to_numpy().astype(np.int64)
    resident = rows.column("contact_resident_id").to_numpy()
    place, folded = fold_places(case, degree, place_keys(rows), resident, max_groups_per_case)
    (case_g, degree_g, place_g, count_g), row_group = _count(case, degree, place, resident)
    places = np.zeros(len(case_g), dtype=np.int64)
    places[row_group] = folded
    # One degree per (case, resident) after closest_rows, so this counts each contact once.
    (case_t, degree_t, _, count_t), _ = _count(case, degree, np.zeros_like(case), resident)
    keys = zip(case_t.tolist(), degree_t.tolist(), strict=True)
    per_case = dict(zip(keys, count_t.tolist(), strict=True))
    contacts = len(np.unique(resident))
    return ContactGroups(case_g, degree_g, place_g, count_g, places, per_case, contacts)


def fold_places(
    case: np.ndarray, degree: np.ndarray, place: np.ndarray, resident: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Place keys of contact rows with all but the `limit` largest places (by distinct
    residents, then place key) of each (case, degree) turned into OTHER_PLACES; and for each
    folded row, how many places its (case, degree) folded (0 for rows kept)."""
    (case_g, degree_g, place_g, count_g), row_group = _count(case, degree, place, resident)
    order = np.lexsort((place_g, -count_g, degree_g, case_g))
    new = _runs(order, case_g, degree_g)
    run_start = np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - run_start
    run = np.empty(len(order), dtype=np.int64)
    run[order] = np.cumsum(new) - 1
    is_folded = rank >= limit
    folded_per_run = np.bincount(run[is_folded], minlength=int(new.sum()))
    row_folded = is_folded[row_group]
    return (
        np.where(row_folded, OTHER_PLACES, place),
        np.where(row_folded, folded_per_run[run[row_group]], 0),
    )


def _count(
    case: np.ndarray, degree: np.ndarray, place: np.ndarray, resident: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Groups (case, degree, place, distinct residents) sorted by key, and each row's group."""
    order = np.lexsort((resident, place, degree, case))
    new_group = _runs(order, case, degree, place)
    group_of_sorted = np.cumsum(new_group) - 1
    counts = np.bincount(
        group_of_sorted[_runs(order, case, degree, place, resident)],
        minlength=int(new_group.sum()),
    )
    first = order[new_group]
    row_group = np.empty(len(order), dtype=np.int64)
    row_group[order] = group_of_sorted
    return (case[first], degree[first], place[first], counts), row_group


def case_contacts(cluster: Cluster, case_id: int, *, max_places: int = 10**9) -> pa.Table:
    """One case's contacts, a row per (degree, place key, resident) at the resident's closest
    degree, with minutes together and, for a contact who is a case, its case id. Places past the
    `max_places` largest of a degree become OTHER_PLACES, `folded_places` saying how many."""
    rows = cluster.contacts.filter(pc.equal(cluster.contacts.column("case_id"), case_id))
    rows = closest_rows(rows, cluster.cases, with_cases=True)
    resident = rows.column("contact_resident_id").to_numpy()
    degree = rows.column("degree").to_numpy().astype(np.int64)
    place, folded = fold_places(
        np.zeros(len(resident), np.int64), degree, place_keys(rows), resident, max_places
    )
    people = (
        rows.select(["degree", "contact_resident_id", "minutes"])
        .append_column("place_key", pa.array(place, pa.int64()))
        .append_column("folded_places", pa.array(folded, pa.int64()))
        .group_by(["degree", "place_key", "contact_resident_id"], use_threads=False)
        .aggregate([("minutes", "sum"), ("folded_places", "max")])
        .rename_columns(["degree", "place_key", "contact_resident_id", "minutes", "folded_places"])
    )
    cases = cluster.cases.select(["resident_id", "case_id"]).rename_columns(
        ["contact_resident_id", "contact_case_id"]
    )
    return people.join(cases, keys="contact_resident_id", join_type="left outer").sort_by(
        [("degree", "ascending"), ("place_key", "ascending"), ("contact_resident_id", "ascending")]
    )
