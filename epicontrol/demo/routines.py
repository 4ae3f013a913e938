"""Habits of each resident: workplace or school, favourite shops, home gate, nearby stations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epicontrol.demo.places import KINDERGARTEN, MIDDLE, PRIMARY, UNIVERSITY, Places
from epicontrol.places.models import PlaceKind


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a main activity happens, in minutes after local midnight, and how often."""

    start: int
    start_sd: int
    duration: int
    duration_sd: int
    weekday_share: float
    weekend_share: float


SCHEDULES: dict[str, Schedule] = {
    "none": Schedule(0, 0, 0, 0, 0.0, 0.0),
    "kindergarten": Schedule(8 * 60, 10, 9 * 60, 15, 0.95, 0.0),
    "school": Schedule(7 * 60 + 30, 10, 9 * 60, 20, 0.98, 0.0),
    "university": Schedule(8 * 60, 45, 8 * 60, 90, 0.9, 0.1),
    "office": Schedule(8 * 60 + 45, 30, 9 * 60, 45, 0.95, 0.15),
    "factory": Schedule(7 * 60 + 45, 20, 9 * 60 + 30, 30, 0.95, 0.4),
    "service": Schedule(9 * 60 + 30, 60, 9 * 60 + 30, 60, 0.85, 0.85),
    "vendor": Schedule(5 * 60 + 30, 30, 10 * 60 + 30, 60, 0.9, 0.95),
    "medical": Schedule(7 * 60 + 45, 15, 9 * 60 + 30, 60, 0.95, 0.5),
    "teacher": Schedule(7 * 60 + 15, 15, 9 * 60 + 30, 30, 0.98, 0.05),
    "driver": Schedule(6 * 60, 60, 9 * 60, 60, 0.9, 0.7),
}
SCHEDULE_NAMES = tuple(SCHEDULES)

# Errands a day (shopping, eating out, clinic visits) by occupation; retirees shop most.
ERRAND_RATES = {
    "retired": 1.3, "homemaker": 1.2, "unemployed": 0.9, "farmer": 0.5, "student": 0.25,
    "preschooler": 0.0, "infant": 0.0,
}  # fmt: skip
WORKER_ERRAND_RATE = 0.5

# Occupation -> (place kinds worked at, schedule, share working in their home district).
JOBS: dict[str, tuple[tuple[PlaceKind, ...], str, float]] = {
    "factory_worker": ((PlaceKind.WORKPLACE,), "factory", 0.6),
    "office_worker": ((PlaceKind.OFFICE,), "office", 0.4),
    "service_worker": ((PlaceKind.SUPERMARKET, PlaceKind.RESTAURANT), "service", 0.7),
    "vendor": ((PlaceKind.MARKET,), "vendor", 0.8),
    "medical_worker": (
        (PlaceKind.HOSPITAL, PlaceKind.CLINIC, PlaceKind.FEVER_CLINIC, PlaceKind.PHARMACY),
        "medical",
        0.7,
    ),
    "teacher": ((PlaceKind.SCHOOL,), "teacher", 0.8),
    "driver": (
        (PlaceKind.BUS_STATION, PlaceKind.METRO_STATION, PlaceKind.RAILWAY_STATION),
        "driver",
        0.5,
    ),
}
METRO_COMMUTER_SHARE = 0.6  # of those with a station near home and near work


class Chooser:
    """Random choice of a place among candidates, weighted, preferring the person's own area."""

    def __init__(self, candidates: np.ndarray, weights: np.ndarray, group: np.ndarray, groups: int):
        order = np.argsort(group[candidates], kind="stable")
        self.candidates = candidates[order]
        self._cumulative = np.cumsum(weights[self.candidates])
        bounds = np.searchsorted(group[self.candidates], np.arange(groups + 1))
        before = np.concatenate(([0.0], self._cumulative))
        self._low = before[bounds[:-1]]
        self._high = before[bounds[1:]]

    def draw(
        self,
        rng: np.random.Generator,
        person_group: np.ndarray,
        local_share: float = 1.0,
        *,
        fallback: bool = True,
    ) -> np.ndarray:
        """A place row per person; -1 if none is local and `fallback` is off."""
        if len(self.candidates) == 0:
            return np.full(len(person_group), -1)
        low, high = self._low[person_group], self._high[person_group]
        has_local = high > low
        local = has_local & (rng.random(len(person_group)) < local_share)
        total = self._cumulative[-1]
        u = rng.random(len(person_group))
        target = np.where(local, low + u * (high - low), u * total)
        index = np.minimum(
            np.searchsorted(self._cumulative, target, side="right"), len(self.candidates) - 1
        )
        chosen = self.candidates[index]
        if not fallback:
            chosen = np.where(has_local, chosen, -1)
        return chosen


@dataclass(frozen=True, slots=True)
class Routines:
    """Per resident (row) habits, and per place helpers for daily choices."""

    street: np.ndarray
    district: np.ndarray
    home_gate: np.ndarray
    main_place: np.ndarray
    schedule: np.ndarray  # index into SCHEDULE_NAMES
    errand_rate: np.ndarray
    market: np.ndarray
    supermarket: np.ndarray
    pharmacy: np.ndarray
    clinic: np.ndarray
    fever_clinic: np.ndarray
    metro_home: np.ndarray
    metro_work: np.ndarray
    is_adult: np.ndarray
    restaurants: Chooser  # grouped by street
    venues: Chooser
    railway_stations: np.ndarray
    expressway_exits: np.ndarray


def build_routines(
    rng: np.random.Generator,
    places: Places,
    place_street: np.ndarray,
    place_district: np.ndarray,
    *,
    street: np.ndarray,
    district: np.ndarray,
    community: np.ndarray,
    home_gate: np.ndarray,
    age: np.ndarray,
    occupation: np.ndarray,
    streets: int,
    districts: int,
    communities: int,
) -> Routines:
    """Habits for every resident, drawn once; daily movements vary around them."""
    n = len(age)
    kind = np.array(places.kind)
    capacity = np.array(places.capacity)
    school_level = np.array(places.school_level)
    ones = np.ones(len(places))

    def chooser(
        kinds: tuple[PlaceKind, ...], by: np.ndarray, groups: int, weighted: bool
    ) -> Chooser:
        candidates = np.flatnonzero(np.isin(kind, [k.value for k in kinds]))
        return Chooser(candidates, capacity if weighted else ones, by, groups)

    def school(level: int, by: np.ndarray, groups: int) -> Chooser:
        candidates = np.flatnonzero(school_level == level)
        return Chooser(candidates, ones if level != UNIVERSITY else capacity, by, groups)

    main_place = np.full(n, -1)
    schedule = np.zeros(n, dtype=np.int64)
    pupils = (
        (
            (occupation == "preschooler"),
            school(KINDERGARTEN, place_street, streets),
            street,
            1.0,
            "kindergarten",
        ),
        (
            (occupation == "student") & (age < 12),
            school(PRIMARY, place_street, streets),
            street,
            1.0,
            "school",
        ),
        (
            (occupation == "student") & (age >= 12) & (age < 18),
            school(MIDDLE, place_district, districts),
            district,
            1.0,
            "school",
        ),
        (
            (occupation == "student") & (age >= 18),
            school(UNIVERSITY, place_district, districts),
            district,
            0.0,
            "university",
        ),
    )
    for who, choice, group, local_share, plan in pupils:
        main_place[who] = choice.draw(rng, group[who], local_share)
        schedule[who] = SCHEDULE_NAMES.index(plan)
    for job, (kinds, plan, local_share) in JOBS.items():
        who = occupation == job
        main_place[who] = chooser(kinds, place_district, districts, True).draw(
            rng, district[who], local_share
        )
        schedule[who] = SCHEDULE_NAMES.index(plan)

    errand_rate = np.full(n, WORKER_ERRAND_RATE)
    for label, rate in ERRAND_RATES.items():
        errand_rate[occupation == label] = rate

    def favourite(k: PlaceKind) -> np.ndarray:
        return chooser((k,), place_street, streets, False).draw(rng, street)

    metro = chooser((PlaceKind.METRO_STATION,), place_street, streets, False)
    metro_home = metro.draw(rng, street, fallback=False)
    work_street = np.where(main_place >= 0, place_street[np.maximum(main_place, 0)], 0)
    metro_work = metro.draw(rng, work_street, fallback=False)
    commutes = (
        (main_place >= 0) & (metro_home >= 0) & (metro_work >= 0) & (metro_home != metro_work)
    )
    commutes &= (age >= 12) & (rng.random(n) < METRO_COMMUTER_SHARE)
    return Routines(
        street=street,
        district=district,
        home_gate=home_gate,
        main_place=main_place,
        schedule=schedule,
        errand_rate=errand_rate,
        market=favourite(PlaceKind.MARKET),
        supermarket=favourite(PlaceKind.SUPERMARKET),
        pharmacy=favourite(PlaceKind.PHARMACY),
        clinic=chooser((PlaceKind.CLINIC,), np.array(places.community), communities, False).draw(
            rng, community
        ),
        fever_clinic=chooser((PlaceKind.FEVER_CLINIC,), place_district, districts, False).draw(
            rng, district
        ),
        metro_home=np.where(commutes, metro_home, -1),
        metro_work=np.where(commutes, metro_work, -1),
        is_adult=age >= 18,
        restaurants=chooser((PlaceKind.RESTAURANT,), place_street, streets, False),
        venues=chooser((PlaceKind.VENUE,), place_street, streets, False),
        railway_stations=np.flatnonzero(kind == PlaceKind.RAILWAY_STATION.value),
        expressway_exits=np.flatnonzero(kind == PlaceKind.EXPRESSWAY_EXIT.value),
    )
