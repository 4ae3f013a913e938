"""The Parquet city: a partition per day, well-formed records, a manifest that matches."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from epicontrol.demo.sinks import movements_dataset

from .conftest import SMALL_CITY


def test_movements_are_partitioned_by_day(city_dir: Path) -> None:
    start: date = SMALL_CITY["start"]
    expected = [f"day={start + timedelta(days=d)}" for d in range(SMALL_CITY["days"])]

    partitions = sorted(path.name for path in (city_dir / "movements").iterdir())
    assert partitions == expected
    for partition in partitions:
        table = pq.read_table(city_dir / "movements" / partition / "part-0.parquet")
        assert table.num_rows > SMALL_CITY["residents"]
        assert {str(day) for day in table["day"].to_pylist()} == {partition.removeprefix("day=")}


def test_movement_records_are_well_formed(city_dir: Path) -> None:
    movements = movements_dataset(city_dir).to_table()
    residents = pq.read_table(city_dir / "residents.parquet", columns=["id"])
    places = pq.read_table(city_dir / "places.parquet", columns=["id"])

    record_ids = movements["record_id"].to_numpy()
    assert sorted(record_ids.tolist()) == list(range(1, len(record_ids) + 1))
    assert set(movements["kind"].unique().to_pylist()) == {"checkin", "scan", "rail", "vehicle"}
    point = pc.is_in(movements["kind"], value_set=pc.cast(["scan", "vehicle"], "string"))
    assert pc.all(pc.equal(point, pc.is_null(movements["left_at"]))).as_py()
    intervals = movements.filter(pc.invert(point))
    assert pc.all(pc.greater(intervals["left_at"], intervals["entered_at"])).as_py()
    assert set(movements["resident_id"].to_pylist()) <= set(residents["id"].to_pylist())
    assert set(movements["place_id"].to_pylist()) <= set(places["id"].to_pylist())


def test_most_residents_move_every_day_but_infants(city_dir: Path) -> None:
    day = pq.read_table(next((city_dir / "movements").iterdir()) / "part-0.parquet")
    residents = pq.read_table(city_dir / "residents.parquet", columns=["id", "occupation"])

    moving = set(day["resident_id"].to_pylist())
    workers = [r["id"] for r in residents.to_pylist() if r["occupation"] == "office_worker"]
    assert sum(w in moving for w in workers) > 0.85 * len(workers)


def test_manifest_describes_the_build(city_dir: Path) -> None:
    manifest = json.loads((city_dir / "manifest.json").read_text())

    assert manifest["seed"] == SMALL_CITY["seed"]
    assert manifest["first_day"] == "2020-01-20"
    assert manifest["last_day"] == "2020-01-24"
    assert manifest["counts"]["residents"] == SMALL_CITY["residents"]
    assert manifest["counts"]["movements"] == movements_dataset(city_dir).count_rows()
    assert (
        manifest["counts"]["infections"]
        == pq.read_metadata(city_dir / "ground_truth.parquet").num_rows
    )
    assert len(manifest["index_case_ids"]) == 5
