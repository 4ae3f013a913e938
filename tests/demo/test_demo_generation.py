"""The generated city is reproducible and plausible: IDs, phones, ages, divisions, places."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from epicontrol.core.crypto import normalise_phone, parse_resident_id, vault_for
from epicontrol.demo.build import build_city_parquet
from epicontrol.demo.city import City, CitySpec, generate_city
from epicontrol.divisions.models import LEVEL_ORDER
from epicontrol.places.models import PlaceKind

from .conftest import SECRET, SMALL_CITY

vault = vault_for(SECRET)


def _parquet_files(root: Path) -> list[Path]:
    return sorted(path.relative_to(root) for path in root.rglob("*.parquet"))


def _without_ciphertexts(path: Path) -> dict[str, list[object]]:
    table = pq.read_table(path)
    # AES-GCM draws a fresh nonce each time, so only the ciphertexts may differ.
    return {
        name: table[name].to_pylist() for name in table.column_names if not name.endswith("_enc")
    }


def test_same_seed_builds_identical_files(city_dir: Path, tmp_path: Path) -> None:
    build_city_parquet(tmp_path, secret=SECRET, **SMALL_CITY)

    assert _parquet_files(tmp_path) == _parquet_files(city_dir)
    for relative in _parquet_files(city_dir):
        assert _without_ciphertexts(tmp_path / relative) == _without_ciphertexts(
            city_dir / relative
        )
    again = pq.read_table(tmp_path / "residents.parquet")
    first = pq.read_table(city_dir / "residents.parquet")
    for column in ("id_number_enc", "name_enc", "phone_enc"):
        clear = [vault.decrypt(b) if b else None for b in first[column].to_pylist()[:200]]
        assert [vault.decrypt(b) if b else None for b in again[column].to_pylist()[:200]] == clear


def test_another_seed_builds_another_city() -> None:
    one = generate_city(CitySpec(**SMALL_CITY))
    other = generate_city(CitySpec(**{**SMALL_CITY, "seed": 8}))

    assert set(one.identities.id_number) != set(other.identities.id_number)
    assert one.divisions.name != other.divisions.name or one.places.name != other.places.name


def test_every_resident_id_is_valid_and_matches_its_row(city_dir: Path) -> None:
    residents = pq.read_table(city_dir / "residents.parquet").to_pylist()

    numbers = [vault.decrypt(row["id_number_enc"]) for row in residents]
    assert len(set(numbers)) == len(numbers)
    for number, row in zip(numbers, residents, strict=True):
        parsed = parse_resident_id(number)
        assert parsed.region_code.startswith("3901")  # a district of the city
        assert parsed.birth_date.year == row["birth_year"]
        assert parsed.sex == row["sex"]
        assert vault.lookup_hash("id", number) == row["id_number_hash"]


def test_phones_are_distinct_mainland_mobiles(city_dir: Path) -> None:
    residents = pq.read_table(city_dir / "residents.parquet").to_pylist()

    phones = [vault.decrypt(row["phone_enc"]) for row in residents if row["phone_enc"]]
    assert len(phones) > 0.7 * len(residents)
    assert len(set(phones)) == len(phones)
    for phone, row in zip(phones, [r for r in residents if r["phone_enc"]], strict=True):
        assert normalise_phone(phone) == phone
        assert vault.lookup_hash("phone", phone) == row["phone_hash"]


def test_names_are_masked_family_names(city_dir: Path) -> None:
    residents = pq.read_table(city_dir / "residents.parquet").to_pylist()

    for row in residents[:300]:
        name = vault.decrypt(row["name_enc"])
        assert 2 <= len(name) <= 4
        assert row["name_masked"][0] == name[0] and set(row["name_masked"][1:]) == {"*"}


@pytest.fixture(scope="module")
def mid_city() -> City:
    return generate_city(CitySpec(residents=20_000, days=1, seed=3, start=date(2020, 1, 20)))


def test_age_and_sex_structure_is_plausible(mid_city: City) -> None:
    age, is_male = mid_city.people.age, mid_city.people.is_male

    # 2020 census: 0-14 17.95%, 15-59 63.35%, 60+ 18.70%; 105.07 men per 100 women.
    assert 0.12 < (age < 15).mean() < 0.22
    assert 0.58 < ((age >= 15) & (age < 60)).mean() < 0.72
    assert 0.14 < (age >= 60).mean() < 0.24
    assert 0.49 < is_male.mean() < 0.54
    assert age.max() <= 104
    assert 2.4 < mid_city.households.size.mean() < 2.9


def test_no_child_lives_without_an_adult(mid_city: City) -> None:
    has_adult = np.zeros(len(mid_city.households.size), dtype=bool)
    adult = mid_city.people.age >= 18
    has_adult[mid_city.people.household[adult]] = True

    assert has_adult.all()


def test_occupations_follow_age(mid_city: City) -> None:
    age, occupation = mid_city.people.age, mid_city.people.occupation

    assert set(occupation[age < 3]) == {"infant"}
    assert set(occupation[(age >= 6) & (age < 18)]) == {"student"}
    assert "student" not in set(occupation[age >= 25])
    assert set(occupation[age >= 60]) == {"retired"}


def test_division_tree_paths_levels_and_codes(city_dir: Path) -> None:
    divisions = pq.read_table(city_dir / "divisions.parquet").to_pylist()
    by_id = {row["id"]: row for row in divisions}

    levels = [row["level"] for row in divisions]
    assert levels.count("province") == 1 and levels.count("city") == 1
    assert levels.count("district") >= 3
    assert len({row["code"] for row in divisions}) == len(divisions)
    for row in divisions:
        assert row["name"] and row["name_pinyin"]
        if row["parent_id"] is None:
            assert row["path"] == f"/{row['id']}/"
            continue
        parent = by_id[row["parent_id"]]
        assert row["path"] == f"{parent['path']}{row['id']}/"
        assert LEVEL_ORDER.index(row["level"]) == LEVEL_ORDER.index(parent["level"]) + 1
        # GB/T 2260 codes extend their parent's: 390000 > 390100 > 390102 > 390102001...
        prefix = (
            parent["code"]
            if parent["level"] not in ("province", "city")
            else parent["code"].rstrip("0")
        )
        assert row["code"].startswith(prefix)


def test_households_and_residents_live_in_grids(city_dir: Path) -> None:
    levels = {
        row["id"]: row["level"] for row in pq.read_table(city_dir / "divisions.parquet").to_pylist()
    }
    households = pq.read_table(city_dir / "households.parquet").to_pylist()
    residents = pq.read_table(city_dir / "residents.parquet").to_pylist()
    household_division = {row["id"]: row["division_id"] for row in households}

    assert {levels[row["division_id"]] for row in households} == {"grid"}
    assert all(household_division[r["household_id"]] == r["division_id"] for r in residents)
    addresses = [vault.decrypt(row["address_enc"]) for row in households[:50]]
    assert all(address.endswith("号") or "单元" in address for address in addresses)
    assert len({row["address_hash"] for row in households}) == len(households)


def test_places_have_unique_codes_and_one_gate_per_estate(city_dir: Path) -> None:
    places = pq.read_table(city_dir / "places.parquet").to_pylist()
    estates = pq.read_table(city_dir / "housing_estates.parquet").to_pylist()

    assert len({row["code"] for row in places}) == len(places)
    gates = [row for row in places if row["kind"] == PlaceKind.COMMUNITY_GATE]
    assert sorted(row["estate_id"] for row in gates) == sorted(row["id"] for row in estates)
    kinds = {row["kind"] for row in places}
    for kind in (
        PlaceKind.MARKET, PlaceKind.SUPERMARKET, PlaceKind.RESTAURANT, PlaceKind.WORKPLACE,
        PlaceKind.SCHOOL, PlaceKind.CLINIC, PlaceKind.FEVER_CLINIC, PlaceKind.HOSPITAL,
        PlaceKind.PHARMACY, PlaceKind.RAILWAY_STATION, PlaceKind.BUS_STATION,
        PlaceKind.EXPRESSWAY_EXIT,
    ):  # fmt: skip
        assert kind.value in kinds
    assert all(row["latitude"] and row["longitude"] for row in places)
