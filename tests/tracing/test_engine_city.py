"""Tracing a synthetic city finds every true chain the outbreak drew from a detected case."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from epicontrol.tracing import schema
from epicontrol.tracing.engine import case_windows_from_cases, data_now, trace_city_directory


@pytest.fixture(scope="module")
def city_contacts(small_city: Path) -> pa.Table:
    return trace_city_directory(small_city)


def _true_chains(city: Path) -> list[dict[str, object]]:
    """Infections at a place or at home whose infector is a case the city detected."""
    truth = pq.read_table(city / "ground_truth.parquet")
    cases = set(pq.read_table(city / "cases.parquet").column("resident_id").to_pylist())
    return [
        row
        for row in truth.to_pylist()
        if row["setting"] in ("place", "household") and row["infector_id"] in cases
    ]


def test_every_true_chain_from_a_detected_case_is_a_close_contact(
    small_city: Path, city_contacts: pa.Table
) -> None:
    chains = _true_chains(small_city)
    assert len(chains) >= 15  # the seed was chosen for a fair number of chains
    close = city_contacts.filter(pc.field("degree") == 1).to_pylist()
    found = {
        (r["case_resident_id"], r["contact_resident_id"], r["rule"], r["place_id"]) for r in close
    }
    missed = []
    for chain in chains:
        rule = "co_location" if chain["setting"] == "place" else "household"
        key = (chain["infector_id"], chain["infectee_id"], rule, chain["place_id"])
        if key not in found:
            missed.append(chain)
    assert missed == []


def test_exposure_of_each_true_chain_lies_in_a_found_episode(
    small_city: Path, city_contacts: pa.Table
) -> None:
    close = city_contacts.filter(pc.field("degree") == 1).to_pylist()
    for chain in _true_chains(small_city):
        if chain["setting"] != "place":
            continue
        exposure_s = int(chain["exposure_at"].timestamp())  # type: ignore[attr-defined]
        episodes = [
            (r["overlap_start_s"], r["overlap_end_s"])
            for r in close
            if r["case_resident_id"] == chain["infector_id"]
            and r["contact_resident_id"] == chain["infectee_id"]
            and r["place_id"] == chain["place_id"]
        ]
        assert any(start <= exposure_s <= end for start, end in episodes), chain


def test_city_contacts_are_well_formed(small_city: Path, city_contacts: pa.Table) -> None:
    assert city_contacts.schema == schema.CONTACTS
    rows = city_contacts.to_pylist()
    assert all(r["contact_resident_id"] != r["case_resident_id"] for r in rows)
    assert all(r["minutes"] >= 15 for r in rows if r["rule"] == "co_location")
    assert {r["degree"] for r in rows} == {1, 2}
    windows = case_windows_from_cases(
        pq.read_table(small_city / "cases.parquet"), now=data_now(small_city)
    )
    assert len(set(windows.column("resident_id").to_pylist())) == windows.num_rows
