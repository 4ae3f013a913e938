"""Export of closed days to Parquet: partitions, exact counts, no identity columns, idempotence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import duckdb
import pyarrow.parquet as pq
import pytest
import typer
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import engine_for
from epicontrol.core.errors import InvalidInput
from epicontrol.core.settings import get_settings
from epicontrol.movements.export import (
    MOVEMENT_SCHEMA,
    export_closed_days,
    movements_arrow,
    movements_dataset,
    partition_dir,
)
from epicontrol.movements.models import Movement
from epicontrol.places.models import Place
from tests.factories import City


def today() -> date:
    """Today (UTC), read when a test runs: a module constant goes stale when a run crosses
    midnight, and the exporter reads the clock itself."""
    return datetime.now(UTC).date()


def gate_id(db: Session) -> int:
    """The id of the test city's m1 gate."""
    return int(db.scalar(select(Place.id).where(Place.code == "GATE-M1")) or 0)


def add_movements(
    db: Session, *, place_id: int, resident_id: int | None, day: date, count: int, **extra: object
) -> None:
    """Store `count` movements on `day` (from 08:00 UTC, a minute apart) and commit."""
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
    rows = [
        {
            "client_uuid": str(uuid4()),
            "kind": "scan",
            "direction": "in" if n % 2 == 0 else "out",
            "resident_id": resident_id,
            "place_id": place_id,
            "occurred_at": start + timedelta(minutes=n),
            "day": day,
            **extra,
        }
        for n in range(count)
    ]
    db.execute(insert(Movement), rows)
    db.commit()


@pytest.fixture
def three_closed_days(db: Session, city: City) -> dict[date, int]:
    """Movements on the last three closed days and today; returns the closed days' counts."""
    counts = {today() - timedelta(days=3): 2, today() - timedelta(days=2): 3, today(): 5}
    counts[today() - timedelta(days=1)] = 4
    for day, count in counts.items():
        add_movements(
            db,
            place_id=gate_id(db),
            resident_id=city.residents["wang_father"],
            day=day,
            count=count,
            temperature=36.5,
        )
    del counts[today()]
    return counts


def _duckdb_counts(out: Path) -> dict[date, int]:
    relation = duckdb.sql(
        f"SELECT day, count(*) FROM read_parquet('{out}/movements/*/*.parquet', "
        "hive_partitioning = true) GROUP BY day"
    )
    assert relation is not None
    return dict(relation.fetchall())


def test_three_closed_days_give_three_partitions_with_exact_counts(
    db_url: str, three_closed_days: dict[date, int], tmp_path: Path
) -> None:
    summary = export_closed_days(engine_for(db_url), tmp_path, chunk_rows=2)
    assert {d.day: d.rows for d in summary.days} == three_closed_days
    assert sorted(p.name for p in (tmp_path / "movements").iterdir()) == [
        f"day={day.isoformat()}" for day in sorted(three_closed_days)
    ]
    assert _duckdb_counts(tmp_path) == three_closed_days
    by_day = (
        movements_dataset(tmp_path).to_table().group_by("day").aggregate([("record_id", "count")])
    )
    assert dict(zip(*by_day.to_pydict().values(), strict=True)) == three_closed_days


def test_today_is_not_exported_until_it_is_closed(
    db_url: str, three_closed_days: dict[date, int], tmp_path: Path
) -> None:
    export_closed_days(engine_for(db_url), tmp_path, through=today() + timedelta(days=3))
    assert not partition_dir(tmp_path, today()).exists()
    with pytest.raises(InvalidInput, match="not closed yet"):
        export_closed_days(engine_for(db_url), tmp_path, day=today())
    tomorrow = export_closed_days(engine_for(db_url), tmp_path, today=today() + timedelta(days=1))
    assert tomorrow.days[-1].day == today() and tomorrow.days[-1].rows == 5


def test_export_has_no_encrypted_plate_or_identity_columns(
    db: Session, db_url: str, city: City, vault: PersonalDataVault, tmp_path: Path
) -> None:
    yesterday = today() - timedelta(days=1)
    add_movements(
        db,
        place_id=gate_id(db),
        resident_id=None,
        day=yesterday,
        count=1,
        kind="vehicle",
        plate_hash="ab" * 32,
        plate_enc=vault.encrypt("鄂A12345"),
        person_hash="cd" * 32,
        occupants=3,
        origin="420100",
    )
    export_closed_days(engine_for(db_url), tmp_path)
    table = pq.read_table(partition_dir(tmp_path, yesterday) / "part-0.parquet")
    assert table.schema == MOVEMENT_SCHEMA
    assert "plate_enc" not in table.column_names and "client_uuid" not in table.column_names
    row = table.to_pylist()[0]
    assert (row["plate_hash"], row["occupants"], row["origin"]) == ("ab" * 32, 3, "420100")
    assert row["occurred_at"] == datetime.combine(yesterday, datetime.min.time(), UTC).replace(
        hour=8
    )
    residents = pq.read_table(tmp_path / "residents.parquet")
    assert residents.column_names == ["id", "household_id", "division_id", "sex", "birth_year"]
    assert residents.num_rows == len(city.residents)
    assert pq.read_table(tmp_path / "places.parquet").column_names == [
        "id", "code", "kind", "division_id", "latitude", "longitude"
    ]  # fmt: skip
    divisions = pq.read_table(tmp_path / "divisions.parquet")
    assert divisions.num_rows == len(city.divisions)
    assert divisions.column_names == ["id", "code", "level", "parent_id", "path"]


def test_reexport_replaces_a_day_instead_of_duplicating_it(
    db: Session, db_url: str, city: City, three_closed_days: dict[date, int], tmp_path: Path
) -> None:
    yesterday = today() - timedelta(days=1)
    export_closed_days(engine_for(db_url), tmp_path)
    # A device that was offline uploads yesterday's scans late; the next export must show them.
    add_movements(
        db, place_id=gate_id(db), resident_id=city.residents["neighbour"], day=yesterday, count=6
    )
    again = export_closed_days(engine_for(db_url), tmp_path, day=yesterday)
    assert [(d.day, d.rows) for d in again.days] == [(yesterday, 10)]
    assert _duckdb_counts(tmp_path) == {**three_closed_days, yesterday: 10}
    assert [p.name for p in partition_dir(tmp_path, yesterday).iterdir()] == ["part-0.parquet"]


def test_explicit_day_without_movements_writes_an_empty_partition(
    db_url: str, city: City, tmp_path: Path
) -> None:
    quiet = today() - timedelta(days=9)
    summary = export_closed_days(engine_for(db_url), tmp_path, day=quiet)
    assert [(d.day, d.rows) for d in summary.days] == [(quiet, 0)]
    assert pq.read_table(summary.days[0].path).schema == MOVEMENT_SCHEMA


def test_progress_reaches_the_total(
    db_url: str, three_closed_days: dict[date, int], tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    export_closed_days(
        engine_for(db_url), tmp_path, chunk_rows=2, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (9, 9)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_movements_arrow_reads_an_open_day(db: Session, three_closed_days: dict[date, int]) -> None:
    table = movements_arrow(db, today(), chunk_rows=2)
    assert table.num_rows == 5
    assert table.schema == MOVEMENT_SCHEMA
    assert set(table.column("day").to_pylist()) == {today()}


def test_export_command_writes_partitions(
    db_url: str,
    three_closed_days: dict[date, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from epicontrol.movements.data_cli import export_command

    app = typer.Typer()
    app.command("export")(export_command)
    app.command("unused")(lambda: None)  # two commands, so "export" is a subcommand as in cli.py
    monkeypatch.setenv("EPICONTROL_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        out = tmp_path / "out"
        result = CliRunner().invoke(app, ["export", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "exported 9 movements of 3 days" in result.output
        assert _duckdb_counts(out) == three_closed_days
        refused = CliRunner().invoke(app, ["export", "--out", str(out), "--day", str(today())])
        assert refused.exit_code == 2 and "not closed yet" in refused.output
        bad = CliRunner().invoke(app, ["export", "--day", "yesterday"])
        assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    finally:
        get_settings.cache_clear()


def test_sqlite_text_with_an_offset_is_read_as_utc() -> None:
    from epicontrol.movements.export import _sqlite_timestamps

    fast = _sqlite_timestamps(["2020-02-11 08:30:00.000000", "2020-02-11 08:30:00", None])
    offset = _sqlite_timestamps(["2020-02-11 16:30:00+08:00", None])
    expected = datetime(2020, 2, 11, 8, 30, tzinfo=UTC)
    assert fast.to_pylist() == [expected, expected, None]
    assert offset.to_pylist() == [expected, None]
