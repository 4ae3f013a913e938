"""Households and residents: sizes, family structure, ages, sexes and occupations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epicontrol.demo.geography import Divisions, Estates

# Share of family households by size, 2020 census (第七次全国人口普查), sizes 1..8.
HOUSEHOLD_SIZE_SHARES = np.array([25.4, 29.7, 20.9, 13.2, 6.5, 2.6, 1.1, 0.6])

# Population by five-year age band (0-4 ... 95-99, 100+), millions, 2020 census.
AGE_BAND_MILLIONS = np.array(
    [77.9, 90.2, 85.3, 72.7, 74.9, 91.9, 124.1, 99.0, 93.0, 114.2, 121.2,
     101.4, 73.4, 74.0, 49.6, 31.0, 20.4, 11.0, 4.0, 0.9, 0.1]
)  # fmt: skip

# Who in a household is who; ages and surnames follow from it.
HEAD, SPOUSE, PARENT, CHILD, GRANDCHILD = range(5)

# Statutory retirement ages in 2020: men 60, women 55 (50 for manual workers, ignored here).
RETIREMENT_AGE = {True: 60, False: 55}

# Occupations of people of working age and their shares (rough 2020 urban employment mix).
WORKING_OCCUPATIONS = (
    ("factory_worker", 0.22), ("office_worker", 0.24), ("service_worker", 0.14),
    ("vendor", 0.05), ("medical_worker", 0.03), ("teacher", 0.03), ("driver", 0.03),
    ("farmer", 0.08), ("homemaker", 0.08), ("unemployed", 0.10),
)  # fmt: skip
# Farming is a rural occupation; urban residents who would draw it are factory workers instead.
RURAL_FARMER_BOOST = 3.0

URBAN_ESTATE_SHARE = 0.9  # most urban households live in a gated estate (小区)
RURAL_ESTATE_SHARE = 0.25  # most village households live in houses along lanes


@dataclass(frozen=True, slots=True)
class Households:
    """Households in grid order; `estate` is -1 outside estates."""

    id: np.ndarray
    grid: np.ndarray  # level-local grid index
    community: np.ndarray
    estate: np.ndarray
    size: np.ndarray
    first_member: np.ndarray  # row of the first resident
    address: list[str]  # flat within the estate or lane: "3栋2单元501"
    full_address: list[str]  # with divisions and estate, the lookup key for `address_hash`


@dataclass(frozen=True, slots=True)
class People:
    """Ages, sexes and roles of residents (rows ordered by household)."""

    household: np.ndarray
    role: np.ndarray
    age: np.ndarray
    is_male: np.ndarray
    occupation: np.ndarray


def household_sizes(rng: np.random.Generator, residents: int) -> np.ndarray:
    """Sizes of households that together hold exactly `residents` people."""
    shares = HOUSEHOLD_SIZE_SHARES / HOUSEHOLD_SIZE_SHARES.sum()
    mean = float((np.arange(1, 9) * shares).sum())
    sizes = rng.choice(np.arange(1, 9), size=int(residents / mean * 1.1) + 10, p=shares)
    total = np.cumsum(sizes)
    count = int(np.searchsorted(total, residents)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= int(total[count - 1] - residents)
    return sizes


def allocate_households(
    rng: np.random.Generator, divisions: Divisions, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Grid of each household (sorted) and whether it lives in an estate."""
    n_grid = len(divisions.grid_rows)
    weights = rng.lognormal(0, 0.25, n_grid)
    per_grid = rng.multinomial(len(sizes) - n_grid, weights / weights.sum()) + 1
    grid = np.repeat(np.arange(n_grid), per_grid)
    community = divisions.grid_community[grid]
    street = divisions.community_street[community]
    rural = divisions.district_is_rural[divisions.street_district[street]]
    in_estate = rng.random(len(sizes)) < np.where(rural, RURAL_ESTATE_SHARE, URBAN_ESTATE_SHARE)
    return grid, in_estate


def build_households(
    rng: np.random.Generator,
    divisions: Divisions,
    estates: Estates,
    sizes: np.ndarray,
    grid: np.ndarray,
    in_estate: np.ndarray,
) -> Households:
    """Households with their estate and flat address."""
    count = len(sizes)
    community = divisions.grid_community[grid]
    estates_per_community = np.bincount(estates.community, minlength=len(divisions.community_rows))
    first_estate = np.concatenate(([0], np.cumsum(estates_per_community)[:-1]))
    pick = (rng.random(count) * estates_per_community[community]).astype(np.int64)
    estate = np.where(in_estate, first_estate[community] + pick, -1)
    # Number flats in each estate, and houses in each community's lanes, in household order.
    key = np.where(estate >= 0, estate, len(estates.id) + community)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count) - np.searchsorted(sorted_key, sorted_key)
    floors = np.where(estate >= 0, estates.floors[np.maximum(estate, 0)], 1)
    per_building = 2 * floors * 2  # two entrances (单元), two flats per landing
    building = rank // per_building + 1
    unit = rank % per_building // (2 * floors) + 1
    floor = rank % (2 * floors) // 2 + 1
    flat = rank % 2 + 1
    community_names = [divisions.full_name(int(row)) for row in divisions.community_rows]
    rural = divisions.district_is_rural[divisions.street_district[divisions.community_street]]
    address: list[str] = []
    full_address: list[str] = []
    for i in range(count):
        e = int(estate[i])
        if e >= 0:
            flat_address = f"{building[i]}栋{unit[i]}单元{floor[i]}{flat[i]:02d}"
            estate_name = estates.name[e]
        elif rural[community[i]]:
            flat_address = f"{rank[i] // 40 + 1}组{rank[i] % 40 + 1}号"
            estate_name = ""
        else:
            flat_address = f"{rank[i] // 60 + 1}巷{rank[i] % 60 + 1}号"
            estate_name = ""
        address.append(flat_address)
        full_address.append(f"{community_names[community[i]]}{estate_name}{flat_address}")
    return Households(
        id=np.arange(1, count + 1),
        grid=grid,
        community=community,
        estate=estate,
        size=sizes,
        first_member=np.concatenate(([0], np.cumsum(sizes)[:-1])),
        address=address,
        full_address=full_address,
    )


def _draw_ages(
    rng: np.random.Generator, count: int, minimum: int, weights: np.ndarray
) -> np.ndarray:
    band = rng.choice(len(weights), size=count, p=weights / weights.sum())
    age = band * 5 + rng.integers(0, 5, count)
    return np.maximum(age, minimum)


def build_people(
    rng: np.random.Generator, households: Households, rural_household: np.ndarray
) -> People:
    """Family members of each household: a head, often a spouse, children, parents."""
    sizes = households.size
    n = int(sizes.sum())
    household = np.repeat(np.arange(len(sizes)), sizes)
    rank = np.arange(n) - households.first_member[household]
    # Heads are adults; young adults head fewer households than the census share suggests
    # (many live with parents), so their bands are damped.
    head_weights = AGE_BAND_MILLIONS.copy()
    head_weights[:4] = 0
    head_weights[4:6] *= 0.5
    head_weights[6:10] *= 1.3
    head_age = _draw_ages(rng, len(sizes), 20, head_weights)[household]
    head_male = (rng.random(len(sizes)) < 0.62)[household]

    role = np.full(n, CHILD)
    role[rank == 0] = HEAD
    is_spouse = (rank == 1) & (rng.random(n) < 0.85) & (head_age >= 22)
    role[is_spouse] = SPOUSE
    others = (rank >= 1) & ~is_spouse
    gap = rng.integers(22, 37, n)
    young_head = head_age < 45
    old_head = head_age >= 60
    # Grandchildren live with grandparents; parents of a young head live with the young head.
    grandchild = others & old_head & (rng.random(n) < 0.7) & (head_age - gap - 25 >= 0)
    parent = others & ((young_head & (head_age - gap < 0)) | (~old_head & (rng.random(n) < 0.08)))
    parent &= head_age + gap <= 100
    role[grandchild] = GRANDCHILD
    role[parent & ~grandchild] = PARENT

    age = np.zeros(n, dtype=np.int64)
    age[role == HEAD] = head_age[role == HEAD]
    spouse_age = head_age + np.rint(rng.normal(-1.5, 3.0, n)).astype(np.int64)
    age[role == SPOUSE] = np.clip(spouse_age, 20, 100)[role == SPOUSE]
    age[role == PARENT] = (head_age + gap)[role == PARENT]
    age[role == GRANDCHILD] = (head_age - gap - rng.integers(22, 33, n))[role == GRANDCHILD]
    age[role == CHILD] = (head_age - gap)[role == CHILD]
    age = np.clip(age, 0, 104)

    is_male = rng.random(n) < np.where(age < 20, 0.53, np.where(age >= 75, 0.44, 0.5))
    is_male[role == HEAD] = head_male[role == HEAD]
    is_male[role == SPOUSE] = ~head_male[role == SPOUSE]
    occupation = _occupations(rng, age, is_male, rural_household[household])
    return People(household=household, role=role, age=age, is_male=is_male, occupation=occupation)


def _occupations(
    rng: np.random.Generator, age: np.ndarray, is_male: np.ndarray, rural: np.ndarray
) -> np.ndarray:
    n = len(age)
    occupation = np.full(n, "retired", dtype="<U16")
    labels = np.array([label for label, _ in WORKING_OCCUPATIONS])
    shares = np.array([share for _, share in WORKING_OCCUPATIONS])
    for is_rural in (False, True):
        weights = shares.copy()
        farmer = int(np.flatnonzero(labels == "farmer")[0])
        if is_rural:
            weights[farmer] *= RURAL_FARMER_BOOST
        else:
            weights[farmer] = 0.0
        chosen = rural == is_rural
        occupation[chosen] = labels[
            rng.choice(len(labels), size=int(chosen.sum()), p=weights / weights.sum())
        ]
    retirement = np.where(is_male, RETIREMENT_AGE[True], RETIREMENT_AGE[False])
    occupation[age >= retirement] = "retired"
    # Gross enrolment: kindergarten ~85%, compulsory school ~100%, higher education ~50% (2020).
    occupation[age < 3] = "infant"
    preschool = (age >= 3) & (age < 6)
    occupation[preschool] = np.where(
        rng.random(int(preschool.sum())) < 0.85, "preschooler", "infant"
    )
    occupation[(age >= 6) & (age < 18)] = "student"
    college_age = (age >= 18) & (age < 22)
    occupation[college_age & (rng.random(n) < 0.5)] = "student"
    return occupation
