"""The administrative tree (province > city > district > street > community > grid) and estates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epicontrol.demo import names
from epicontrol.divisions.models import DivisionLevel

# A plausible but fictional city: province code 39 is not assigned in GB/T 2260, so the codes
# can never be mistaken for a real place.
PROVINCE_CODE = "390000"
CITY_CODE = "390100"
CITY_CENTRE = (29.05, 113.10)

# Grids hold "a few hundred households" (网格化管理 guidance: 300-500); communities ~8,000 people.
HOUSEHOLDS_PER_GRID = 300
RESIDENTS_PER_COMMUNITY = 8_000
RESIDENTS_PER_STREET = 30_000
RESIDENTS_PER_DISTRICT = 120_000


@dataclass(frozen=True, slots=True)
class Divisions:
    """All divisions in tree order (parents before children); `*_rows` index rows by level."""

    id: np.ndarray
    parent_row: np.ndarray  # -1 for the province
    level: list[str]
    code: list[str]
    name: list[str]
    name_pinyin: list[str]
    path: list[str]
    latitude: np.ndarray
    longitude: np.ndarray
    district_rows: np.ndarray
    street_rows: np.ndarray
    community_rows: np.ndarray
    grid_rows: np.ndarray
    district_is_rural: np.ndarray  # counties (县) are rural
    street_district: np.ndarray  # level-local parent index of each street
    community_street: np.ndarray
    grid_community: np.ndarray

    @property
    def city_row(self) -> int:
        """Row of the city."""
        return 1

    def full_name(self, row: int) -> str:
        """The name with its ancestors below the province: 云州市东湖区解放街道..."""
        parts: list[str] = []
        while row > 0:
            # Grid names already start with their community's name (南门社区第一网格).
            if not (parts and parts[-1].startswith(self.name[row])):
                parts.append(self.name[row])
            row = int(self.parent_row[row])
        return "".join(reversed(parts))


@dataclass(frozen=True, slots=True)
class Estates:
    """Housing estates (小区); `community` is the level-local community index."""

    id: np.ndarray
    community: np.ndarray
    name: list[str]
    name_pinyin: list[str]
    address: list[str]
    latitude: np.ndarray
    longitude: np.ndarray
    floors: np.ndarray  # storeys per building, to number flats


def level_counts(residents: int) -> tuple[int, int, int]:
    """How many districts, streets and communities a city of `residents` people has."""
    districts = int(np.clip(round(residents / RESIDENTS_PER_DISTRICT), 3, 12))
    streets = max(2 * districts, round(residents / RESIDENTS_PER_STREET))
    communities = max(2 * streets, round(residents / RESIDENTS_PER_COMMUNITY))
    return districts, streets, communities


def _split(
    rng: np.random.Generator, children: int, parents: int, weights: np.ndarray
) -> np.ndarray:
    """Parent index of each child, sorted, every parent getting at least one child."""
    extra = rng.multinomial(children - parents, weights / weights.sum())
    return np.repeat(np.arange(parents), extra + 1)


def _scatter(rng: np.random.Generator, centre: np.ndarray, spread: float) -> np.ndarray:
    return centre + rng.normal(0.0, spread, size=centre.shape)


def build_divisions(rng: np.random.Generator, residents: int, households: int) -> Divisions:
    """A division tree sized for `residents` people living in `households` households."""
    n_district, n_street, n_community = level_counts(residents)
    n_grid = max(2 * n_community, round(households / HOUSEHOLDS_PER_GRID))
    n_urban = int(np.ceil(n_district * 0.6))
    district_is_rural = np.arange(n_district) >= n_urban
    # Counties are larger in area but thinner in people than urban districts.
    street_district = _split(rng, n_street, n_district, np.where(district_is_rural, 0.6, 1.0))
    community_street = _split(rng, n_community, n_street, rng.lognormal(0, 0.2, n_street))
    grid_community = _split(rng, n_grid, n_community, rng.lognormal(0, 0.2, n_community))

    counts = (1, 1, n_district, n_street, n_community, n_grid)
    starts = np.cumsum((0, *counts))
    total = int(starts[-1])
    ids = np.arange(1, total + 1)
    parent_row = np.full(total, -1)
    parent_row[1] = 0
    parent_row[starts[2] : starts[3]] = 1
    parent_row[starts[3] : starts[4]] = starts[2] + street_district
    parent_row[starts[4] : starts[5]] = starts[3] + community_street
    parent_row[starts[5] : starts[6]] = starts[4] + grid_community
    level = [lv.value for lv, n in zip(DivisionLevel, counts, strict=True) for _ in range(n)]

    name, pinyin, code = _names_and_codes(
        rng, district_is_rural, street_district, community_street, grid_community
    )
    path = ["/1/"]
    for row in range(1, total):
        path.append(f"{path[parent_row[row]]}{ids[row]}/")

    latitude = np.empty(total)
    longitude = np.empty(total)
    latitude[:2], longitude[:2] = CITY_CENTRE
    # Urban districts ring the centre closely; counties lie further out.
    angle = rng.uniform(0, 2 * np.pi, n_district)
    radius = np.where(district_is_rural, rng.uniform(0.25, 0.4, n_district), 0.06)
    radius[0] = 0.0
    latitude[starts[2] : starts[3]] = CITY_CENTRE[0] + radius * np.sin(angle)
    longitude[starts[2] : starts[3]] = CITY_CENTRE[1] + radius * np.cos(angle)
    # Streets, communities and grids cluster round their parent, more loosely in counties.
    district_of_row = np.zeros(total, dtype=np.int64)
    district_of_row[starts[2] : starts[3]] = np.arange(n_district)
    for lv, spread in zip((3, 4, 5), (0.03, 0.01, 0.003), strict=True):
        rows = np.arange(starts[lv], starts[lv + 1])
        district_of_row[rows] = district_of_row[parent_row[rows]]
        scale = spread * np.where(district_is_rural[district_of_row[rows]], 2.5, 1.0)
        latitude[rows] = latitude[parent_row[rows]] + rng.normal(0, 1, len(rows)) * scale
        longitude[rows] = longitude[parent_row[rows]] + rng.normal(0, 1, len(rows)) * scale

    return Divisions(
        id=ids,
        parent_row=parent_row,
        level=level,
        code=code,
        name=name,
        name_pinyin=pinyin,
        path=path,
        latitude=np.round(latitude, 6),
        longitude=np.round(longitude, 6),
        district_rows=np.arange(starts[2], starts[3]),
        street_rows=np.arange(starts[3], starts[4]),
        community_rows=np.arange(starts[4], starts[5]),
        grid_rows=np.arange(starts[5], starts[6]),
        district_is_rural=district_is_rural,
        street_district=street_district,
        community_street=community_street,
        grid_community=grid_community,
    )


def _names_and_codes(
    rng: np.random.Generator,
    district_is_rural: np.ndarray,
    street_district: np.ndarray,
    community_street: np.ndarray,
    grid_community: np.ndarray,
) -> tuple[list[str], list[str], list[str]]:
    name = [names.PROVINCE[0], names.CITY[0]]
    pinyin = [names.PROVINCE[1], names.CITY[1]]
    code = [PROVINCE_CODE, CITY_CODE]
    urban = names.unique_stems(rng, int((~district_is_rural).sum()), names.DISTRICT_STEMS)
    rural = names.unique_stems(rng, int(district_is_rural.sum()), names.COUNTY_STEMS)
    district_code = []
    n_urban = len(urban)
    for d, is_rural in enumerate(district_is_rural):
        # GB/T 2260: districts (区) number from 02, counties (县) from 21.
        stem = rural[d - n_urban] if is_rural else urban[d]
        suffix = ("县", "Xian") if is_rural else ("区", "Qu")
        district_code.append(f"3901{21 + d - n_urban if is_rural else 2 + d:02d}")
        name.append(stem[0] + suffix[0])
        pinyin.append(f"{stem[1]} {suffix[1]}")
    code += district_code

    street_is_rural = district_is_rural[street_district]
    street_code = _child_level(
        rng,
        street_district,
        district_code,
        street_is_rural,
        urban_suffix=("街道", "Jiedao"),
        rural_suffix=("镇", "Zhen"),
        rural_base=100,
        name=name,
        pinyin=pinyin,
        code=code,
    )
    community_code = _child_level(
        rng,
        community_street,
        street_code,
        street_is_rural[community_street],
        urban_suffix=("社区", "Shequ"),
        rural_suffix=("村", "Cun"),
        rural_base=200,
        name=name,
        pinyin=pinyin,
        code=code,
    )
    first_grid = np.searchsorted(grid_community, grid_community)
    community_name_row = 2 + len(district_is_rural) + len(street_district)
    for g, c in enumerate(grid_community):
        number, number_pinyin = names.chinese_number(int(g - first_grid[g] + 1))
        name.append(f"{name[community_name_row + c]}第{number}网格")
        pinyin.append(f"{pinyin[community_name_row + c]} Di {number_pinyin.capitalize()} Wangge")
        code.append(f"{community_code[c]}{g - first_grid[g] + 1:03d}")
    return name, pinyin, code


def _child_level(
    rng: np.random.Generator,
    parent_of: np.ndarray,
    parent_code: list[str],
    child_is_rural: np.ndarray,
    *,
    urban_suffix: tuple[str, str],
    rural_suffix: tuple[str, str],
    rural_base: int,
    name: list[str],
    pinyin: list[str],
    code: list[str],
) -> list[str]:
    """Append names and codes of one level; stems are unique among siblings."""
    child_code = []
    for parent in range(len(parent_code)):
        children = np.flatnonzero(parent_of == parent)
        stems = names.unique_stems(rng, len(children), names.PLACE_STEMS)
        for k, stem in enumerate(stems):
            rural = bool(child_is_rural[children[k]])
            suffix = rural_suffix if rural else urban_suffix
            name.append(stem[0] + suffix[0])
            pinyin.append(f"{stem[1]} {suffix[1]}")
            child_code.append(f"{parent_code[parent]}{(rural_base if rural else 0) + k + 1:03d}")
    code += child_code
    return child_code


def build_estates(
    rng: np.random.Generator, divisions: Divisions, estate_households: np.ndarray
) -> Estates:
    """Estates in each community, about 250 households each, for its `estate_households`."""
    per_community = np.where(estate_households > 0, np.maximum(1, estate_households // 250), 0)
    community = np.repeat(np.arange(len(per_community)), per_community)
    estate_name: list[str] = []
    estate_pinyin: list[str] = []
    address: list[str] = []
    for c, count in enumerate(per_community):
        row = int(divisions.community_rows[c])
        for (hanzi, pinyin), road in zip(
            names.estate_names(rng, int(count)),
            names.unique_stems(rng, int(count), names.PLACE_STEMS),
            strict=True,
        ):
            estate_name.append(hanzi)
            estate_pinyin.append(pinyin)
            suffix = names.ROAD_SUFFIXES[int(rng.integers(len(names.ROAD_SUFFIXES)))]
            parent = divisions.full_name(int(divisions.parent_row[row]))
            address.append(f"{parent}{road[0]}{suffix}{int(rng.integers(1, 300))}号")
    rows = divisions.community_rows[community]
    return Estates(
        id=np.arange(1, len(community) + 1),
        community=community,
        name=estate_name,
        name_pinyin=estate_pinyin,
        address=address,
        latitude=np.round(_scatter(rng, divisions.latitude[rows], 0.004), 6),
        longitude=np.round(_scatter(rng, divisions.longitude[rows], 0.004), 6),
        floors=rng.choice(np.array([6, 7, 11, 18, 26, 33]), size=len(community)),
    )
