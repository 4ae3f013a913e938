"""Places of the synthetic city (gates, markets, workplaces, schools, clinics, stations...)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from epicontrol.demo import names
from epicontrol.demo.geography import Divisions, Estates
from epicontrol.places.models import PlaceKind

# School levels, for matching pupils to schools.
KINDERGARTEN, PRIMARY, MIDDLE, UNIVERSITY = 1, 2, 3, 4

# People served per place, per street unless noted (rough urban norms: a wet market per
# 15,000 people, a community health station per community, a hospital per 60,000).
PEOPLE_PER = {
    PlaceKind.MARKET: 15_000,
    PlaceKind.SUPERMARKET: 4_000,
    PlaceKind.RESTAURANT: 400,
    PlaceKind.PHARMACY: 4_000,
    PlaceKind.VENUE: 8_000,
    PlaceKind.HOSPITAL: 60_000,  # per district
}
PUPILS_PER_SCHOOL = {KINDERGARTEN: 200, PRIMARY: 1_200, MIDDLE: 1_500, UNIVERSITY: 8_000}
WORKERS_PER_FACTORY = 80
WORKERS_PER_OFFICE = 40


@dataclass(slots=True)
class Places:
    """Places as parallel columns; `community` is the level-local community index."""

    kind: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    community: list[int] = field(default_factory=list)
    estate: list[int] = field(default_factory=list)
    capacity: list[float] = field(default_factory=list)
    school_level: list[int] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    latitude: np.ndarray = field(default_factory=lambda: np.empty(0))
    longitude: np.ndarray = field(default_factory=lambda: np.empty(0))

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def id(self) -> np.ndarray:
        """Place ids, 1-based in row order."""
        return np.arange(1, len(self.kind) + 1)

    @property
    def code(self) -> list[str]:
        """What each place QR code carries."""
        return [f"P{i:06d}" for i in range(1, len(self.kind) + 1)]

    def add(
        self,
        kind: PlaceKind,
        name: str,
        community: int,
        *,
        estate: int = -1,
        capacity: float = 1.0,
        school_level: int = 0,
    ) -> None:
        """Append one place."""
        self.kind.append(kind.value)
        self.name.append(name)
        self.community.append(community)
        self.estate.append(estate)
        self.capacity.append(capacity)
        self.school_level.append(school_level)


@dataclass(frozen=True, slots=True)
class Demand:
    """Who lives where, as counts per street and district, to size the places."""

    street_residents: np.ndarray
    street_pupils: dict[int, np.ndarray]  # kindergarten and primary pupils per street
    district_residents: np.ndarray
    district_pupils: np.ndarray  # middle-school pupils per district
    district_factory_workers: np.ndarray
    district_office_workers: np.ndarray
    university_students: int


def build_places(
    rng: np.random.Generator, divisions: Divisions, estates: Estates, demand: Demand
) -> Places:
    """Every place of the city, sized to the people living around it."""
    places = Places()
    pick = _CommunityPicker(rng, divisions)
    for e, community in enumerate(estates.community):
        places.add(PlaceKind.COMMUNITY_GATE, f"{estates.name[e]}大门", int(community), estate=e)
    for c in range(len(divisions.community_rows)):
        row = int(divisions.community_rows[c])
        suffix = "卫生室" if divisions.name[row].endswith("村") else "社区卫生服务站"
        places.add(PlaceKind.CLINIC, divisions.name[row] + suffix, c, capacity=8)
    for s, residents in enumerate(demand.street_residents):
        stem = _stem(divisions.name[int(divisions.street_rows[s])])
        _street_places(rng, places, pick, s, stem, int(residents), demand)
    for d, residents in enumerate(demand.district_residents):
        _district_places(rng, places, pick, divisions, d, int(residents), demand)
    _city_places(rng, places, pick, divisions, demand)

    rows = divisions.community_rows[np.array(places.community)]
    estate = np.array(places.estate)
    latitude = divisions.latitude[rows] + rng.normal(0, 0.004, len(places))
    longitude = divisions.longitude[rows] + rng.normal(0, 0.004, len(places))
    in_estate = estate >= 0
    latitude[in_estate] = estates.latitude[estate[in_estate]] + 0.0008
    longitude[in_estate] = estates.longitude[estate[in_estate]]
    places.latitude = np.round(latitude, 6)
    places.longitude = np.round(longitude, 6)
    street_names = [divisions.full_name(int(row)) for row in divisions.street_rows]
    roads = [stem for stem, _ in names.PLACE_STEMS]
    places.address = [
        f"{street_names[divisions.community_street[c]]}{roads[r]}{names.ROAD_SUFFIXES[k]}{n}号"
        for c, r, k, n in zip(
            places.community,
            rng.integers(0, len(roads), len(places)),
            rng.integers(0, len(names.ROAD_SUFFIXES), len(places)),
            rng.integers(1, 400, len(places)),
            strict=True,
        )
    ]
    return places


class _CommunityPicker:
    """A random community inside a street, a district, or the urban core."""

    def __init__(self, rng: np.random.Generator, divisions: Divisions) -> None:
        self._rng = rng
        self._community_street = divisions.community_street
        self._community_district = divisions.street_district[divisions.community_street]
        self._urban = np.flatnonzero(~divisions.district_is_rural[self._community_district])

    def in_street(self, street: int) -> int:
        return int(self._rng.choice(np.flatnonzero(self._community_street == street)))

    def in_district(self, district: int) -> int:
        return int(self._rng.choice(np.flatnonzero(self._community_district == district)))

    def in_core(self) -> int:
        return int(self._rng.choice(self._urban))


def _stem(name: str) -> str:
    """A division name without its level suffix: 解放街道 -> 解放."""
    for suffix in ("街道", "社区", "镇", "村", "区", "县"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _numbered(stem: str, k: int) -> str:
    return stem if k == 0 else f"{stem}第{names.chinese_number(k + 1)[0]}"


def _street_places(
    rng: np.random.Generator,
    places: Places,
    pick: _CommunityPicker,
    street: int,
    stem: str,
    residents: int,
    demand: Demand,
) -> None:
    def count(kind: PlaceKind, minimum: int = 1) -> int:
        return max(minimum, round(residents / PEOPLE_PER[kind]))

    for k in range(count(PlaceKind.MARKET)):
        places.add(
            PlaceKind.MARKET, f"{_numbered(stem, k)}农贸市场", pick.in_street(street), capacity=40
        )
    for _ in range(count(PlaceKind.SUPERMARKET)):
        brand = names.SUPERMARKET_BRANDS[int(rng.integers(len(names.SUPERMARKET_BRANDS)))]
        places.add(PlaceKind.SUPERMARKET, f"{brand}({stem}店)", pick.in_street(street), capacity=30)
    for _ in range(count(PlaceKind.RESTAURANT)):
        owner = names.SURNAMES[int(rng.integers(40))][0]
        dish = names.RESTAURANT_NAMES[int(rng.integers(len(names.RESTAURANT_NAMES)))]
        places.add(PlaceKind.RESTAURANT, f"老{owner}{dish}", pick.in_street(street), capacity=8)
    for _ in range(count(PlaceKind.PHARMACY)):
        brand = names.PHARMACY_BRANDS[int(rng.integers(len(names.PHARMACY_BRANDS)))]
        places.add(PlaceKind.PHARMACY, f"{brand}({stem}店)", pick.in_street(street), capacity=4)
    for _ in range(count(PlaceKind.VENUE, 0)):
        venue = names.VENUE_KINDS[int(rng.integers(len(names.VENUE_KINDS)))]
        places.add(PlaceKind.VENUE, f"{stem}{venue}", pick.in_street(street), capacity=6)
    for level, label in ((KINDERGARTEN, "幼儿园"), (PRIMARY, "小学")):
        pupils = int(demand.street_pupils[level][street])
        for k in range(max(1, -(-pupils // PUPILS_PER_SCHOOL[level]))):
            places.add(
                PlaceKind.SCHOOL,
                f"{_numbered(stem, k)}{label}",
                pick.in_street(street),
                capacity=max(pupils, 1) / 12,  # a teacher per 12 pupils
                school_level=level,
            )


def _district_places(
    rng: np.random.Generator,
    places: Places,
    pick: _CommunityPicker,
    divisions: Divisions,
    district: int,
    residents: int,
    demand: Demand,
) -> None:
    district_name = divisions.name[int(divisions.district_rows[district])]
    stem = _stem(district_name)
    is_rural = bool(divisions.district_is_rural[district])
    for k in range(max(1, round(residents / PEOPLE_PER[PlaceKind.HOSPITAL]))):
        hospital = (
            f"{district_name}{'' if k == 0 else f'第{names.chinese_number(k + 1)[0]}'}人民医院"
        )
        community = pick.in_district(district)
        places.add(PlaceKind.HOSPITAL, hospital, community, capacity=300)
        # Fever clinics (发热门诊) sit inside general hospitals.
        places.add(PlaceKind.FEVER_CLINIC, f"{hospital}发热门诊", community, capacity=15)
    pupils = int(demand.district_pupils[district])
    for k in range(max(1, -(-pupils // PUPILS_PER_SCHOOL[MIDDLE]))):
        places.add(
            PlaceKind.SCHOOL,
            f"{stem}第{names.chinese_number(k + 1)[0]}中学",
            pick.in_district(district),
            capacity=max(pupils, 1) / 12,
            school_level=MIDDLE,
        )
    workers = (
        (
            PlaceKind.WORKPLACE,
            demand.district_factory_workers,
            WORKERS_PER_FACTORY,
            names.FACTORY_TRADES,
        ),
        (PlaceKind.OFFICE, demand.district_office_workers, WORKERS_PER_OFFICE, names.OFFICE_TRADES),
    )
    for kind, per_district, per_place, trades in workers:
        for _ in range(max(1, round(int(per_district[district]) / per_place))):
            company = names.COMPANY_STEMS[int(rng.integers(len(names.COMPANY_STEMS)))]
            trade = trades[int(rng.integers(len(trades)))]
            # Firm sizes are heavy-tailed (a few large employers, many small ones).
            size = float(np.clip(rng.pareto(1.3) + 1, 1, 30))
            places.add(
                kind,
                f"{names.CITY_SHORT[0]}{company}{trade}",
                pick.in_district(district),
                capacity=size,
            )
    places.add(PlaceKind.BUS_STATION, f"{stem}汽车站", pick.in_district(district), capacity=30)
    if is_rural:
        places.add(PlaceKind.EXPRESSWAY_EXIT, f"{stem}收费站", pick.in_district(district))
    else:
        streets = np.flatnonzero(divisions.street_district == district)
        for street in streets:  # one metro station per urban street
            street_stem = _stem(divisions.name[int(divisions.street_rows[street])])
            places.add(
                PlaceKind.METRO_STATION,
                f"地铁{street_stem}站",
                pick.in_street(int(street)),
                capacity=10,
            )


def _city_places(
    rng: np.random.Generator,
    places: Places,
    pick: _CommunityPicker,
    divisions: Divisions,
    demand: Demand,
) -> None:
    city = names.CITY_SHORT[0]
    stations = ("站", "南站") if demand.street_residents.sum() >= 500_000 else ("站",)
    for station in stations:
        places.add(PlaceKind.RAILWAY_STATION, f"{city}{station}", pick.in_core(), capacity=50)
    for direction in ("东", "北"):
        places.add(PlaceKind.EXPRESSWAY_EXIT, f"沪昆高速{city}{direction}出口", pick.in_core())
    for k in range(max(1, -(-demand.university_students // PUPILS_PER_SCHOOL[UNIVERSITY]))):
        label = names.UNIVERSITY_NAMES[k % len(names.UNIVERSITY_NAMES)]
        places.add(
            PlaceKind.SCHOOL,
            f"{city}{label}",
            pick.in_core(),
            capacity=float(rng.uniform(0.5, 1.5)) * 600,
            school_level=UNIVERSITY,
        )
