"""Transmission figures: aggregated for a 25,000-contact cluster, and one case drilled into."""

from __future__ import annotations

import json
from datetime import date, timedelta
from time import perf_counter

import numpy as np
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from epicontrol.tracing.chains import link_infectors
from epicontrol.tracing.clusters import Cluster, find_clusters
from epicontrol.tracing.graph import case_figure, cluster_figure
from epicontrol.tracing.schema import CONTACTS
from epicontrol.web.figures import figure_html

DAY0 = date(2026, 2, 1)
EPOCH_DAY = (DAY0 - date(1970, 1, 1)).days


def synthetic_cluster(
    contacts: int, *, cases: int = 40, places: int = 200, seed: int = 1
) -> Cluster:
    """One cluster: `cases` cases in a transmission tree over 20 days, and `contacts` contacts
    (60% close, 40% secondary) at places drawn from a Zipf-like law, so they share places."""
    rng = np.random.default_rng(seed)
    onset = EPOCH_DAY + np.sort(rng.integers(0, 20, cases))
    case_id = np.arange(1, cases + 1)
    case_resident = case_id * 10
    owner = rng.integers(0, cases, contacts)
    weight = 1 / np.arange(1, places + 1)
    place = rng.choice(np.arange(1, places + 1), contacts, p=weight / weight.sum())
    resident = 1_000_000 + rng.permutation(contacts)
    close = np.arange(contacts) < contacts * 0.6
    via = np.where(close, -1, resident[rng.integers(0, max(int(close.sum()), 1), contacts)])
    at_home = rng.random(contacts) < 0.02
    start = (onset[owner] - 1) * 86_400 + rng.integers(0, 12, contacts) * 3600
    rows = {
        "case_id": case_id[owner],
        "case_resident_id": case_resident[owner],
        "contact_resident_id": resident,
        "degree": np.where(close, 1, 2).astype(np.int8),
        "rule": np.where(at_home, "household", "co_location"),
        "place_id": pa.array(place, pa.int64(), mask=at_home),
        "via_resident_id": pa.array(via, pa.int64(), mask=via < 0),
        "overlap_start_s": start,
        "overlap_end_s": start + 1800,
        "minutes": np.full(contacts, 30),
    }
    # Each later case was a close contact of an earlier one, four days before its onset.
    source = np.array([rng.integers(0, k) for k in range(1, cases)])
    exposure = (onset[1:] - 4) * 86_400
    infections = {
        "case_id": case_id[source],
        "case_resident_id": case_resident[source],
        "contact_resident_id": case_resident[1:],
        "degree": np.ones(cases - 1, np.int8),
        "rule": ["co_location"] * (cases - 1),
        "place_id": pa.array(rng.integers(1, places + 1, cases - 1), pa.int64()),
        "via_resident_id": pa.nulls(cases - 1, pa.int64()),
        "overlap_start_s": exposure,
        "overlap_end_s": exposure + 3600,
        "minutes": np.full(cases - 1, 60),
    }
    table = pa.concat_tables([pa.table(rows).cast(CONTACTS), pa.table(infections).cast(CONTACTS)])
    case_table = pa.table(
        {
            "case_id": pa.array(case_id, pa.int64()),
            "resident_id": pa.array(case_resident, pa.int64()),
            "onset_date": pa.array(onset.astype(np.int32), pa.date32()),
        }
    )
    found = find_clusters(table, case_table, link_infectors(table, case_table))
    assert found.summary.num_rows == 1
    return found.cluster(1)


def node_count(figure: go.Figure) -> int:
    """Markers drawn: every trace with markers but the arrowheads of the links."""
    modes = [(trace.mode or "", len(trace.x)) for trace in figure.data]
    return sum(count for mode, count in modes if "markers" in mode and "lines" not in mode)


@pytest.fixture(scope="module")
def big_cluster() -> Cluster:
    return synthetic_cluster(25_000)


def test_a_cluster_of_25000_contacts_draws_a_few_hundred_nodes_quickly(
    big_cluster: Cluster,
) -> None:
    assert big_cluster.contacts.num_rows > 25_000
    began = perf_counter()
    figure = cluster_figure(big_cluster, place_names={1: "菜市场"})
    text = figure.to_json()
    seconds = perf_counter() - began
    assert node_count(figure) < 500
    assert seconds < 2.0
    assert len(text.encode()) < 120_000
    data = json.loads(text)
    cases = next(t for t in data["data"] if t.get("name") == "cases 病例")
    assert sorted(cases["customdata"]) == list(range(1, 41))  # drill-down: click gives case id
    assert "菜市场" in json.dumps(data, ensure_ascii=False)  # on hover of groups at place 1


def test_every_contact_is_counted_in_the_aggregated_figure(big_cluster: Cluster) -> None:
    figure = cluster_figure(big_cluster)
    counted = sum(
        sum(int(n) for n in trace.text)
        for trace in figure.data
        if trace.name and "contacts" in trace.name
    )
    # Each (case, place) group counts its distinct contacts; a contact met by two cases or at
    # two places is in two groups, so the sum is at least the number of distinct contacts.
    distinct = pc.count_distinct(big_cluster.contacts.column("contact_resident_id")).as_py()
    assert counted >= distinct - 39  # the 39 infected cases are case nodes, not contacts
    assert "25000 contacts" in figure.layout.title.text


def test_the_figure_is_the_same_whatever_the_row_order(big_cluster: Cluster) -> None:
    shuffled = Cluster(
        cluster_id=big_cluster.cluster_id,
        cases=big_cluster.cases,
        contacts=big_cluster.contacts.take(
            np.random.default_rng(3).permutation(big_cluster.contacts.num_rows)
        ),
        links=big_cluster.links,
    )
    assert cluster_figure(shuffled).to_json() == cluster_figure(big_cluster).to_json()


def test_infector_links_point_from_earlier_to_later_cases(big_cluster: Cluster) -> None:
    figure = cluster_figure(big_cluster)
    links = next(t for t in figure.data if t.name == "infector link 传播关系")
    best = pc.sum(big_cluster.links.column("is_best")).as_py()  # type: ignore[union-attr]
    assert best >= 30  # the others' serial intervals were too long to be linked
    assert len(links.x) == 4 * best
    starts, ends = links.x[0::4], links.x[2::4]
    assert all(a <= b for a, b in zip(starts, ends, strict=True))


def test_case_figure_caps_the_contacts_and_says_how_many_more(big_cluster: Cluster) -> None:
    figure = case_figure(big_cluster, 1, max_contacts=150)
    dots = next(t for t in figure.data if t.name == "contact 接触者")
    assert len(dots.x) <= 150
    more = [a.text for a in figure.layout.annotations]
    assert more and all(text.startswith("and ") for text in more)
    rows = big_cluster.contacts.filter(pc.equal(big_cluster.contacts.column("case_id"), 1))
    total = pc.count_distinct(rows.column("contact_resident_id")).as_py()
    assert f"{total} contacts" in figure.layout.title.text
    assert len(figure.to_json()) < 60_000


def test_case_figure_shows_contacts_who_became_cases_first() -> None:
    cluster = synthetic_cluster(3_000, cases=8, seed=2)
    contacts = cluster.contacts
    became_cases = contacts.filter(
        pc.is_in(contacts.column("contact_resident_id"), cluster.cases.column("resident_id"))
    )
    sources = became_cases.column("case_id").to_pylist()
    source = max(set(sources), key=lambda c: (sources.count(c), -c))
    infected = became_cases.filter(pc.equal(became_cases.column("case_id"), source))
    assert infected.num_rows >= 2
    figure = case_figure(cluster, source, max_contacts=40)
    dots = next(t for t in figure.data if t.name == "contact 接触者")
    assert len(dots.x) == 40
    shown = {c for c in dots.customdata if c is not None}
    assert shown == {r // 10 for r in infected.column("contact_resident_id").to_pylist()}
    red = [colour == "#c62828" for colour in dots.marker.color]
    assert red == [c is not None for c in dots.customdata]


def test_a_small_cluster_shows_every_place() -> None:
    cluster = synthetic_cluster(300, cases=3, places=5)
    figure = cluster_figure(cluster)
    groups = [
        t for t in figure.data if t.name in ("close contacts 密接", "secondary contacts 次密接")
    ]
    hover = json.dumps([list(t.customdata) for t in groups], ensure_ascii=False)
    assert "other places" not in hover


def test_figure_html_is_a_div_without_plotly_js() -> None:
    html = figure_html(cluster_figure(synthetic_cluster(500, cases=4)), div_id="cluster-1")
    assert html.startswith("<div") and 'id="cluster-1"' in html
    assert 'data-plotly-figure="cluster-1"' in html  # data for static/pages.js: no inline script
    assert "Plotly.newPlot" not in html and "<script src" not in html and "cdn" not in html.lower()
    assert len(html) < 50_000


def test_figures_handle_a_case_without_contacts() -> None:
    cases = pa.table(
        {
            "case_id": pa.array([1], pa.int64()),
            "resident_id": pa.array([10], pa.int64()),
            "onset_date": pa.array([DAY0 + timedelta(days=2)], pa.date32()),
        }
    )
    cluster = find_clusters(CONTACTS.empty_table(), cases).cluster(1)
    assert node_count(cluster_figure(cluster)) == 1
    assert node_count(case_figure(cluster, 1)) == 1
