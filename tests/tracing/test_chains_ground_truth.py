"""Best infector links against the synthetic city's ground truth (who really infected whom).

The tracing engine is tested on its own; here the contacts are built straight from the ground
truth, so that only the linking is measured: each true infection between two cases is a close
contact row, plus the decoys a real engine would also report, which make the choice hard:
cases sharing a household are each other's household contacts in both directions (siblings,
and the infector seen from the infectee), and cases infected at one place on one day were
co-located with each other.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from itertools import permutations
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from epicontrol.demo.build import build_city_parquet
from epicontrol.tracing.chains import best_links, link_infectors
from epicontrol.tracing.schema import CONTACTS

CST = timezone(timedelta(hours=8))
DAY_S = 86_400


def _row(case_of: dict[int, int], source: int, target: int, **fields: Any) -> dict[str, Any]:
    return {
        "case_id": case_of[source],
        "case_resident_id": source,
        "contact_resident_id": target,
        "degree": 1,
        "via_resident_id": None,
        **fields,
    }


def _city_contacts(directory: Path) -> tuple[pa.Table, pa.Table, dict[int, int | None]]:
    """Cases (every symptomatic infection), contacts, and each case's true infector case."""
    truth = pq.read_table(directory / "ground_truth.parquet")
    household = _households(directory)
    symptomatic = truth.filter(pc.is_valid(truth.column("onset_date"))).to_pylist()
    # Case ids deliberately unlike resident ids, so that mixing them up fails the test.
    case_of = {g["infectee_id"]: 5000 + i for i, g in enumerate(symptomatic)}
    onset = {g["infectee_id"]: g["onset_date"] for g in symptomatic}
    cases = pa.table(
        {
            "case_id": pa.array(list(case_of.values()), pa.int64()),
            "resident_id": pa.array(list(case_of), pa.int64()),
            "onset_date": pa.array([onset[r] for r in case_of], pa.date32()),
        }
    )
    rows = []
    for g in symptomatic:
        if g["infector_id"] in case_of:
            start = int(g["exposure_at"].timestamp())
            at_home = g["setting"] == "household"
            rows.append(
                _row(
                    case_of,
                    g["infector_id"],
                    g["infectee_id"],
                    rule="household" if at_home else "co_location",
                    place_id=None if at_home else g["place_id"],
                    overlap_start_s=start,
                    overlap_end_s=start + 3600,
                    minutes=60,
                )
            )
    for a, b in permutations(case_of, 2):
        if household[a] == household[b]:
            # At home together from two days before a's onset (its infectious window) for 5 days.
            start = int(datetime.combine(onset[a] - timedelta(days=2), time(0), CST).timestamp())
            rows.append(
                _row(
                    case_of,
                    a,
                    b,
                    rule="household",
                    place_id=None,
                    overlap_start_s=start,
                    overlap_end_s=start + 5 * DAY_S,
                    minutes=5 * 24 * 60,
                )
            )
    at_places = [g for g in symptomatic if g["place_id"] is not None]
    for g, h in permutations(at_places, 2):
        if (g["place_id"], g["exposure_date"]) == (h["place_id"], h["exposure_date"]):
            start = int(max(g["exposure_at"], h["exposure_at"]).timestamp())
            rows.append(
                _row(
                    case_of,
                    g["infectee_id"],
                    h["infectee_id"],
                    rule="co_location",
                    place_id=g["place_id"],
                    overlap_start_s=start,
                    overlap_end_s=start + 3600,
                    minutes=60,
                )
            )
    true_infector = {case_of[g["infectee_id"]]: case_of.get(g["infector_id"]) for g in symptomatic}
    return pa.Table.from_pylist(rows, schema=CONTACTS), cases, true_infector


def _households(directory: Path) -> dict[int, int]:
    residents = pq.read_table(directory / "residents.parquet", columns=["id", "household_id"])
    return dict(
        zip(
            residents.column("id").to_pylist(),
            residents.column("household_id").to_pylist(),
            strict=True,
        )
    )


@pytest.mark.parametrize(("days", "seed"), [(7, 5), (14, 7)])
def test_best_infector_links_match_the_ground_truth(
    tmp_path: Path, days: int, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    build_city_parquet(
        tmp_path, residents=3000, days=days, seed=seed, secret="x", start=date(2026, 2, 1)
    )
    contacts, cases, true_infector = _city_contacts(tmp_path)
    best = best_links(link_infectors(contacts, cases))
    found = dict(
        zip(
            best.column("infectee_case_id").to_pylist(),
            best.column("infector_case_id").to_pylist(),
            strict=True,
        )
    )
    correct = sum(true_infector[infectee] == source for infectee, source in found.items())
    linkable = sum(source is not None for source in true_infector.values())
    precision, recall = correct / len(found), correct / linkable
    with capsys.disabled():
        print(
            f"\n{days} days, seed {seed}: {cases.num_rows} cases, {linkable} true links, "
            f"{contacts.num_rows} contact rows; best links {len(found)}, correct {correct}: "
            f"precision {precision:.2f}, recall {recall:.2f}"
        )
    assert linkable >= 10, "the city must have enough transmission to measure"
    assert precision >= 0.8
    assert recall >= 0.8
