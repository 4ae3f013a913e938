"""Benchmark: infector links, clusters and the aggregated figure of one very large cluster."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from epicontrol.tracing.chains import link_infectors
from epicontrol.tracing.clusters import find_clusters
from epicontrol.tracing.graph import case_figure, cluster_figure, figure_html
from epicontrol.tracing.schema import CONTACTS

EPOCH_DAY = 20_485  # 2026-02-01


def synthetic_cluster(contacts: int, cases: int, places: int, seed: int) -> tuple[pa.Table, ...]:
    """CONTACTS rows and cases of one cluster: `cases` cases in a transmission tree over 20
    days, `contacts` distinct contacts (60% close, 40% secondary) at Zipf-distributed places."""
    rng = np.random.default_rng(seed)
    onset = EPOCH_DAY + np.sort(rng.integers(0, 20, cases))
    case_id = np.arange(1, cases + 1)
    owner = rng.integers(0, cases, contacts)
    weight = 1 / np.arange(1, places + 1)
    place = rng.choice(np.arange(1, places + 1), contacts, p=weight / weight.sum())
    resident = 10_000_000 + rng.permutation(contacts)
    close = np.arange(contacts) < contacts * 0.6
    via = np.where(close, -1, resident[rng.integers(0, int(close.sum()), contacts)])
    at_home = rng.random(contacts) < 0.02
    start = (onset[owner] - 1) * 86_400 + rng.integers(0, 12, contacts) * 3600
    source = np.array([rng.integers(0, k) for k in range(1, cases)])
    exposure = (onset[1:] - 4) * 86_400
    columns: dict[str, Any] = {
        "case_id": np.concatenate([case_id[owner], case_id[source]]),
        "case_resident_id": np.concatenate([case_id[owner], case_id[source]]) * 10,
        "contact_resident_id": np.concatenate([resident, case_id[1:] * 10]),
        "degree": np.concatenate([np.where(close, 1, 2), np.ones(cases - 1)]).astype(np.int8),
        "rule": np.concatenate(
            [np.where(at_home, "household", "co_location"), np.full(cases - 1, "co_location")]
        ),
        "place_id": pa.array(
            np.concatenate([place, np.ones(cases - 1, np.int64)]),
            mask=np.concatenate([at_home, np.zeros(cases - 1, bool)]),
        ),
        "via_resident_id": pa.array(
            np.concatenate([via, np.full(cases - 1, -1)]),
            mask=np.concatenate([via, np.full(cases - 1, -1)]) < 0,
        ),
        "overlap_start_s": np.concatenate([start, exposure]),
        "overlap_end_s": np.concatenate([start + 1800, exposure + 3600]),
        "minutes": np.concatenate([np.full(contacts, 30), np.full(cases - 1, 60)]),
    }
    case_table = pa.table(
        {
            "case_id": pa.array(case_id, pa.int64()),
            "resident_id": pa.array(case_id * 10, pa.int64()),
            "onset_date": pa.array(onset.astype(np.int32), pa.date32()),
        }
    )
    return pa.table(columns).cast(CONTACTS), case_table


def timed(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median seconds over `repeats` runs, and the last result."""
    seconds, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), result


def run(contacts: int, cases: int, places: int, repeats: int) -> dict[str, Any]:
    table, case_table = synthetic_cluster(contacts, cases, places, seed=1)
    t_links, links = timed(lambda: link_infectors(table, case_table), repeats)
    t_clusters, found = timed(lambda: find_clusters(table, case_table, links), repeats)
    cluster_id = found.summary.column("cluster_id")[0].as_py()
    t_slice, cluster = timed(lambda: found.cluster(cluster_id), repeats)
    t_figure, figure = timed(lambda: cluster_figure(cluster), repeats)
    t_html, html = timed(lambda: figure_html(figure), repeats)
    t_case, one = timed(lambda: case_figure(cluster, cluster_id), repeats)
    nodes = sum(
        len(t.x) for t in figure.data if "markers" in (t.mode or "") and "lines" not in t.mode
    )
    return {
        "contacts": contacts,
        "rows": table.num_rows,
        "cases": cases,
        "clusters": found.summary.num_rows,
        "link": t_links,
        "clusters_s": t_clusters,
        "slice": t_slice,
        "figure": t_figure,
        "html": t_html,
        "html_kb": len(html.encode()) / 1024,
        "nodes": nodes,
        "case_figure": t_case,
        "case_kb": len(one.to_json().encode()) / 1024,
    }


def main() -> None:
    """Print one line of timings per size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,100000", help="contacts, comma-separated")
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--places", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        "| contacts | cases | link_infectors | find_clusters | cluster() | cluster_figure "
        "| figure_html | nodes | html | case_figure | its JSON |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        r = run(size, args.cases, args.places, args.repeats)
        print(
            f"| {r['contacts']:,} | {r['cases']} | {r['link'] * 1e3:.0f} ms "
            f"| {r['clusters_s'] * 1e3:.0f} ms | {r['slice'] * 1e3:.0f} ms "
            f"| {r['figure'] * 1e3:.0f} ms | {r['html'] * 1e3:.0f} ms | {r['nodes']} "
            f"| {r['html_kb']:.0f} kB | {r['case_figure'] * 1e3:.0f} ms | {r['case_kb']:.0f} kB |",
            flush=True,
        )


if __name__ == "__main__":
    main()
