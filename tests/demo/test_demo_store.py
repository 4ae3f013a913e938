"""Building the city into the operational store, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text

import epicontrol.models  # noqa: F401  (fills Base.metadata)
from epicontrol.core.auth import verify_password
from epicontrol.core.crypto import vault_for
from epicontrol.core.db import Base, build_engine, engine_for
from epicontrol.core.errors import Conflict
from epicontrol.core.policy import Role
from epicontrol.demo.build import CitySummary, build_city_into_db
from epicontrol.demo.city import City
from epicontrol.divisions.models import Division

from .conftest import SECRET, SMALL_CITY

vault = vault_for(SECRET)


@dataclass(frozen=True)
class Built:
    engine: Engine
    summary: CitySummary
    data_dir: Path


def _empty_store(request: pytest.FixtureRequest, folder: Path) -> str:
    """The run's shared PostgreSQL store emptied, or a fresh SQLite file, both migrated."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with engine_for(url).begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return url
    path = folder / "store.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp(request.param)
    engine = build_engine(_empty_store(request, folder))
    summary = build_city_into_db(engine, secret=SECRET, data_dir=folder, **SMALL_CITY)
    yield Built(engine, summary, folder)
    engine.dispose()


def _rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [
            dict(row) for row in connection.execute(select(Base.metadata.tables[table])).mappings()
        ]


def test_store_holds_the_whole_city(built: Built) -> None:
    counts = built.summary.counts

    assert counts["residents"] == SMALL_CITY["residents"]
    for table in ("divisions", "housing_estates", "places", "households", "residents", "users"):
        assert len(_rows(built.engine, table)) == counts[table] > 0
    city_dir = built.data_dir / "city"
    assert len(list((city_dir / "movements").glob("day=*/part-0.parquet"))) == SMALL_CITY["days"]
    assert (city_dir / "ground_truth.parquet").exists() and (city_dir / "cases.parquet").exists()


def test_no_identity_is_stored_in_clear(built: Built, demo_city: City) -> None:
    numbers = set(demo_city.identities.id_number.tolist())
    phones = set(demo_city.identities.phone.tolist()) - {""}
    names = set(demo_city.identities.name.tolist())
    digit_runs = re.compile(r"\d{11,}")
    for table in Base.metadata.tables:
        for row in _rows(built.engine, table):
            for column, value in row.items():
                if isinstance(value, bytes):
                    vault.decrypt(value)  # every binary value is a ciphertext of the vault
                elif isinstance(value, str):
                    assert value not in names, (table, column)
                    for run in digit_runs.findall(value):
                        windows = {run[i : i + 18] for i in range(len(run) - 17)}
                        windows |= {run[i : i + 11] for i in range(len(run) - 10)}
                        assert not windows & (numbers | phones), (table, column)


def test_residents_decrypt_to_the_generated_identities(built: Built, demo_city: City) -> None:
    residents = sorted(_rows(built.engine, "residents"), key=lambda row: row["id"])

    for row in residents[:100]:
        index = int(row["id"]) - 1
        assert vault.decrypt(row["id_number_enc"]) == demo_city.identities.id_number[index]
        assert row["id_number_hash"] == vault.lookup_hash(
            "id", demo_city.identities.id_number[index]
        )
        assert row["source"] == "demo"


def test_one_demo_login_per_role_scoped_where_it_belongs(built: Built) -> None:
    users = {row["role"]: row for row in _rows(built.engine, "users")}
    divisions = {row["id"]: row for row in _rows(built.engine, "divisions")}
    places = {row["id"]: row for row in _rows(built.engine, "places")}
    residents = {row["id"]: row for row in _rows(built.engine, "residents")}

    assert set(users) == {role.value for role in Role}
    assert {login.role for login in built.summary.logins} == set(users)
    level = {role: divisions[user["division_id"]]["level"] for role, user in users.items()}
    for role in (Role.ADMIN, Role.COMMANDER, Role.EPIDEMIOLOGIST, Role.AGENCY_LIAISON):
        assert level[role] == "city"
    assert level[Role.COMMUNITY_OFFICER] == "community"
    assert level[Role.GRID_WORKER] == "grid"
    gate = places[users[Role.CHECKPOINT_OPERATOR]["place_id"]]
    assert gate["kind"] == "community_gate"
    assert gate["division_id"] == users[Role.CHECKPOINT_OPERATOR]["division_id"]
    clinic = places[users[Role.CLINIC_STAFF]["place_id"]]
    assert clinic["kind"] == "fever_clinic"
    assert clinic["division_id"] == users[Role.CLINIC_STAFF]["division_id"]
    resident_user = users[Role.RESIDENT]
    assert residents[resident_user["resident_id"]]["division_id"] == resident_user["division_id"]
    login = {login.role: login for login in built.summary.logins}
    for role in (Role.ADMIN, Role.RESIDENT):
        assert verify_password(str(users[role]["password_hash"]), login[role].password)


def test_a_second_build_into_a_filled_store_is_refused(built: Built) -> None:
    with pytest.raises(Conflict):
        build_city_into_db(built.engine, secret=SECRET, data_dir=built.data_dir, **SMALL_CITY)


def test_rows_added_after_the_build_get_fresh_ids(built: Built) -> None:
    highest = max(int(row["id"]) for row in _rows(built.engine, "divisions"))
    with built.engine.begin() as connection:
        new_id = connection.execute(
            insert(Division)
            .values(code="test-new", name="新网格", name_pinyin="", level="grid", path="/")
            .returning(Division.id)
        ).scalar_one()
        connection.execute(text("DELETE FROM divisions WHERE code = 'test-new'"))
    assert new_id == highest + 1


def test_movements_are_stored_as_in_and_out_records(built: Built) -> None:
    import pyarrow.compute as pc

    from epicontrol.demo.sinks import movements_dataset

    source = movements_dataset(built.data_dir / "city").to_table(columns=["left_at"])
    departures = source.num_rows - pc.sum(pc.is_null(source["left_at"]).cast("int64")).as_py()
    with built.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT direction, COUNT(*) FROM movements GROUP BY direction")
        )
        counts = {direction: count for direction, count in rows}
    assert counts == {"in": source.num_rows, "out": departures}
    assert built.summary.counts["movement_records_in_store"] == source.num_rows + departures
