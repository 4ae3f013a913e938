"""The generator: one seeded city (geography, people, places, habits) and its day-by-day life."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from epicontrol.demo import geography, identity, population
from epicontrol.demo.geography import Divisions, Estates
from epicontrol.demo.identity import Identities
from epicontrol.demo.movements import DayMovements, Mobility
from epicontrol.demo.outbreak import Outbreak, OutbreakParameters
from epicontrol.demo.places import Demand, Places, build_places
from epicontrol.demo.population import Households, People
from epicontrol.demo.routines import Routines, build_routines


@dataclass(frozen=True, slots=True)
class CitySpec:
    """What to generate; the same spec always gives the same city."""

    residents: int = 20_000
    days: int = 14
    seed: int = 2020
    start: date | None = None  # first simulated day; None: `days` days ago, so it ends yesterday
    index_cases: int | None = None  # None: 5, plus one per 200,000 residents

    def first_day(self) -> date:
        """The first simulated day."""
        return self.start or date.today() - timedelta(days=self.days)

    def outbreak_parameters(self) -> OutbreakParameters:
        """Outbreak parameters, with the number of index cases for this city size."""
        index_cases = self.index_cases
        if index_cases is None:
            index_cases = 5 + self.residents // 200_000
        return OutbreakParameters(index_cases=index_cases)


@dataclass(frozen=True, slots=True)
class City:
    """Everything that does not change from day to day. Resident rows are ids minus one."""

    spec: CitySpec
    start: date
    divisions: Divisions
    estates: Estates
    households: Households
    people: People
    identities: Identities
    places: Places
    routines: Routines

    @property
    def resident_grid_row(self) -> np.ndarray:
        """Division row of each resident's grid."""
        grid = self.households.grid[self.people.household]
        return self.divisions.grid_rows[grid]

    @property
    def last_day(self) -> date:
        """The last simulated day."""
        return self.start + timedelta(days=self.spec.days - 1)


def _streams(seed: int) -> list[np.random.Generator]:
    # Independent streams per stage: changing how movements are drawn leaves the people as
    # they were for the same seed.
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]


def generate_city(spec: CitySpec) -> City:
    """Build the static city for `spec`."""
    if spec.residents < 100:
        raise ValueError("a city needs at least 100 residents")
    geo_rng, people_rng, id_rng, place_rng, habit_rng, _, _ = _streams(spec.seed)
    start = spec.first_day()
    sizes = population.household_sizes(people_rng, spec.residents)
    divisions = geography.build_divisions(geo_rng, spec.residents, len(sizes))
    grid, in_estate = population.allocate_households(people_rng, divisions, sizes)
    community = divisions.grid_community[grid]
    estate_households = np.bincount(community[in_estate], minlength=len(divisions.community_rows))
    estates = geography.build_estates(geo_rng, divisions, estate_households)
    households = population.build_households(people_rng, divisions, estates, sizes, grid, in_estate)

    street_of_community = divisions.community_street
    district_of_street = divisions.street_district
    household_street = street_of_community[households.community]
    rural = divisions.district_is_rural[district_of_street[household_street]]
    people = population.build_people(people_rng, households, rural)
    street = household_street[people.household]
    district = district_of_street[street]
    district_codes = np.array([divisions.code[row] for row in divisions.district_rows])
    identities = identity.build_identities(id_rng, people, district_codes[district], start)

    n_street, n_district = len(divisions.street_rows), len(divisions.district_rows)
    occupation, age = people.occupation, people.age
    student = occupation == "student"
    demand = Demand(
        street_residents=np.bincount(street, minlength=n_street),
        street_pupils={
            1: np.bincount(street[occupation == "preschooler"], minlength=n_street),
            2: np.bincount(street[student & (age < 12)], minlength=n_street),
        },
        district_residents=np.bincount(district, minlength=n_district),
        district_pupils=np.bincount(
            district[student & (age >= 12) & (age < 18)], minlength=n_district
        ),
        district_factory_workers=np.bincount(
            district[occupation == "factory_worker"], minlength=n_district
        ),
        district_office_workers=np.bincount(
            district[occupation == "office_worker"], minlength=n_district
        ),
        university_students=int((student & (age >= 18)).sum()),
    )
    places = build_places(place_rng, divisions, estates, demand)
    place_community = np.array(places.community)
    place_street = street_of_community[place_community]
    # Each estate's gate is the place with that estate; estate rows map straight to gate rows.
    gate_of_estate = np.full(len(estates.id), -1)
    place_estate = np.array(places.estate)
    gate_of_estate[place_estate[place_estate >= 0]] = np.flatnonzero(place_estate >= 0)
    estate = households.estate[people.household]
    routines = build_routines(
        habit_rng,
        places,
        place_street,
        district_of_street[place_street],
        street=street,
        district=district,
        community=households.community[people.household],
        home_gate=np.where(estate >= 0, gate_of_estate[np.maximum(estate, 0)], -1),
        age=age,
        occupation=occupation,
        streets=n_street,
        districts=n_district,
        communities=len(divisions.community_rows),
    )
    return City(spec, start, divisions, estates, households, people, identities, places, routines)


class Simulation:
    """Lives the city's days one at a time; the outbreak follows the movements it generates."""

    def __init__(self, city: City) -> None:
        *_, move_rng, outbreak_rng = _streams(city.spec.seed)
        self.city = city
        self.mobility = Mobility(move_rng, city.routines, city.start)
        self.outbreak = Outbreak(
            outbreak_rng,
            city.spec.outbreak_parameters(),
            start=city.start,
            household=city.people.household,
            household_first=city.households.first_member,
            household_size=city.households.size,
            place_kind=city.places.kind,
        )
        mobile_adults = np.flatnonzero((city.routines.main_place >= 0) & city.routines.is_adult)
        self.index_cases = self.outbreak.seed(mobile_adults)

    def days(self) -> Iterator[DayMovements]:
        """Each day's movements in turn (the outbreak advances as they are drawn)."""
        for day in range(self.city.spec.days):
            isolated, reporting, stays_in = self.outbreak.day_status(day)
            absent = (self.mobility.departure_day < day) & (day < self.mobility.return_day)
            reporting = reporting[~absent[reporting]]
            self.outbreak.report_place[reporting] = self.city.routines.fever_clinic[reporting]
            excluded = isolated | stays_in
            excluded[reporting] = True
            moves = self.mobility.generate(day, excluded=excluded, fever_visits=reporting)
            self.outbreak.transmit(day, moves, self.mobility.away_tonight(day))
            yield moves
