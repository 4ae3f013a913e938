"""A seeded outbreak that spreads only along co-locations in the generated movements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from epicontrol.demo.movements import HOUR, MINUTE, DayMovements, local_midnight
from epicontrol.places.models import PlaceKind

DAY = 24 * HOUR
NEVER = 10**6
SETTINGS = ("imported", "household", "place")
IMPORTED, HOUSEHOLD, PLACE = range(3)


@dataclass(frozen=True, slots=True)
class OutbreakParameters:
    """Parameters of the synthetic epidemic (not of tracing: those live in tracing/rules.py)."""

    index_cases: int = 5
    # Incubation lognormal(1.621, 0.418) days, median 5.1 (Lauer et al., Ann Intern Med 2020).
    incubation_meanlog: float = 1.621
    incubation_sdlog: float = 0.418
    # About 20% of infections stay asymptomatic, and transmit at ~35% of the rate of symptomatic
    # ones (Buitrago-Garcia et al., PLoS Med 2020).
    symptomatic_share: float = 0.8
    asymptomatic_relative_infectiousness: float = 0.35
    # Infectiousness starts ~2 days before onset (He et al., Nat Med 2020) and no culturable
    # virus is found after about day 8 of illness (Wölfel et al., Nature 2020).
    presymptomatic_days: int = 2
    infectious_days_after_onset: int = 7
    # Onset to report at a fever clinic: 1 day plus Poisson(1.5), mean 2.5 days, about the
    # interval China reached in February 2020 (WHO-China joint mission report).
    report_delay_extra_mean: float = 1.5
    # Household secondary attack rate 16.6% (Madewell et al., JAMA Netw Open 2020) over about
    # five days at home before isolation: 3.5% a day.
    household_daily_attack: float = 0.07
    # Transmission needs 15 minutes together at one place, the WHO close-contact threshold,
    # so every true infection is a close contact a tracing engine can find.
    min_overlap_seconds: int = 15 * MINUTE
    # Hazard per hour spent together, before crowding; crowded places dilute it because one
    # person only gets near a few dozen others (`effective_contacts`).
    place_hazard_per_hour: dict[str, float] = field(
        default_factory=lambda: {
            PlaceKind.RESTAURANT.value: 0.012,
            PlaceKind.VENUE.value: 0.012,
            PlaceKind.MARKET.value: 0.008,
            PlaceKind.SUPERMARKET.value: 0.01,
            PlaceKind.CLINIC.value: 0.015,
            PlaceKind.FEVER_CLINIC.value: 0.004,  # masks and gowns at fever clinics
            PlaceKind.HOSPITAL.value: 0.003,  # staff among staff, mostly
            PlaceKind.RAILWAY_STATION.value: 0.015,
        }
    )
    default_hazard_per_hour: float = 0.0015  # workplaces, offices, schools
    effective_contacts: int = 20
    sick_stay_home_share: float = 0.5  # symptomatic people staying in before they report


class Outbreak:
    """State of every resident (susceptible or infected, and when) and the chain so far."""

    def __init__(
        self,
        rng: np.random.Generator,
        params: OutbreakParameters,
        *,
        start: date,
        household: np.ndarray,
        household_first: np.ndarray,
        household_size: np.ndarray,
        place_kind: list[str],
    ) -> None:
        self._rng = rng
        self.params = params
        self._start_midnight = local_midnight(start)
        self._household = household
        self._household_first = household_first
        self._household_size = household_size
        hazards = [
            params.place_hazard_per_hour.get(k, params.default_hazard_per_hour) for k in place_kind
        ]
        self._place_hazard = np.array(hazards)
        n = len(household)
        self.infected = np.zeros(n, dtype=bool)
        self.exposure_at = np.zeros(n, dtype=np.int64)
        self.onset_at = np.zeros(n, dtype=np.int64)
        self.onset_day = np.full(n, NEVER)
        self.symptomatic = np.zeros(n, dtype=bool)
        self.infectious_from = np.full(n, NEVER)
        self.infectious_to = np.full(n, -NEVER)
        self.report_day = np.full(n, NEVER)
        self.report_place = np.full(n, -1)
        self.infector = np.full(n, -1)
        self.setting = np.zeros(n, dtype=np.int8)
        self.place = np.full(n, -1)
        self.generation = np.zeros(n, dtype=np.int64)
        self.order: list[np.ndarray] = []  # infectee rows, in order of infection

    def _day_of(self, seconds: np.ndarray) -> np.ndarray:
        return (seconds - self._start_midnight) // DAY

    def seed(self, candidates: np.ndarray) -> np.ndarray:
        """Import infections into a few `candidates` so that they are infectious on day 0."""
        rng = self._rng
        rows = np.sort(
            rng.choice(candidates, min(self.params.index_cases, len(candidates)), replace=False)
        )
        onset_day = rng.integers(1, 3, len(rows))
        self.onset_at[rows] = (
            self._start_midnight + onset_day * DAY + rng.integers(7 * HOUR, 20 * HOUR, len(rows))
        )
        self.exposure_at[rows] = self.onset_at[rows] - rng.integers(4 * DAY, 6 * DAY, len(rows))
        self.onset_day[rows] = onset_day
        self.symptomatic[rows] = True
        self.infectious_from[rows] = 0
        self.infectious_to[rows] = onset_day + self.params.infectious_days_after_onset
        self.report_day[rows] = (
            onset_day + 1 + rng.poisson(self.params.report_delay_extra_mean, len(rows))
        )
        self.infected[rows] = True
        self.setting[rows] = IMPORTED
        self.order.append(rows)
        return rows

    def day_status(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Who is isolated, who reports to a fever clinic today, and who stays in sick."""
        isolated = self.report_day < day
        reporting = np.flatnonzero(self.report_day == day)
        sick = self.symptomatic & (self.onset_day <= day) & (day < self.report_day)
        stays_in = sick & (self._rng.random(len(sick)) < self.params.sick_stay_home_share)
        return isolated, reporting, stays_in

    def transmit(self, day: int, moves: DayMovements, away_tonight: np.ndarray) -> int:
        """Infect people co-located today with an infectious person; returns how many."""
        infectious = self.infected & (self.infectious_from <= day) & (day <= self.infectious_to)
        infectious &= self.report_day >= day
        relative = np.where(self.symptomatic, 1.0, self.params.asymptomatic_relative_infectiousness)
        events = [self._at_places(moves, infectious, relative)]
        at_home = infectious & ~away_tonight & (self.report_day > day)
        events.append(self._at_home(day, at_home, away_tonight, relative))
        infectee, infector, place, exposure, setting = (
            np.concatenate(c) for c in zip(*events, strict=True)
        )
        if len(infectee) == 0:
            return 0
        # The earliest exposure infects; later ones that day find the person already infected.
        order = np.lexsort((infectee, exposure))
        _, first = np.unique(infectee[order], return_index=True)
        chosen = order[np.sort(first)]
        self._infect(
            infectee[chosen], infector[chosen], place[chosen], exposure[chosen], setting[chosen]
        )
        return len(chosen)

    def _at_places(
        self, moves: DayMovements, infectious: np.ndarray, relative: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        rng, p = self._rng, self.params
        intervals = np.flatnonzero(moves.left >= 0)
        intervals = intervals[np.lexsort((moves.entered[intervals], moves.place[intervals]))]
        place_of = moves.place[intervals]
        sources = intervals[infectious[moves.resident[intervals]]]
        found: list[tuple[np.ndarray, ...]] = []
        for record in sources:
            place = moves.place[record]
            low, high = np.searchsorted(place_of, [place, place + 1])
            others = intervals[low:high]
            overlap = np.minimum(moves.left[record], moves.left[others]) - np.maximum(
                moves.entered[record], moves.entered[others]
            )
            source = moves.resident[record]
            close = (overlap >= p.min_overlap_seconds) & (moves.resident[others] != source)
            crowd = min(1.0, p.effective_contacts / max(int(close.sum()), 1))
            candidates = np.flatnonzero(close & ~self.infected[moves.resident[others]])
            if len(candidates) == 0:
                continue
            hazard = (
                self._place_hazard[place] * overlap[candidates] / HOUR * crowd * relative[source]
            )
            hit = candidates[rng.random(len(candidates)) < 1.0 - np.exp(-hazard)]
            targets = others[hit]
            exposure = np.maximum(moves.entered[record], moves.entered[targets])
            found.append(
                (
                    moves.resident[targets],
                    np.full(len(hit), source),
                    np.full(len(hit), place),
                    exposure,
                    np.full(len(hit), PLACE, dtype=np.int8),
                )
            )
        return _stack(found)

    def _at_home(
        self, day: int, at_home: np.ndarray, away_tonight: np.ndarray, relative: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        sources = np.flatnonzero(at_home)
        household = self._household[sources]
        size = self._household_size[household]
        source = np.repeat(sources, size)
        offset = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
        member = np.repeat(self._household_first[household], size) + offset
        exposed = (member != source) & ~self.infected[member] & ~away_tonight[member]
        source, member = source[exposed], member[exposed]
        hit = self._rng.random(len(member)) < self.params.household_daily_attack * relative[source]
        source, member = source[hit], member[hit]
        evening = self._start_midnight + day * DAY + 20 * HOUR
        exposure = evening + self._rng.integers(0, 2 * HOUR, len(member))
        return (
            member,
            source,
            np.full(len(member), -1),
            exposure,
            np.full(len(member), HOUSEHOLD, dtype=np.int8),
        )

    def _infect(
        self,
        rows: np.ndarray,
        infector: np.ndarray,
        place: np.ndarray,
        exposure: np.ndarray,
        setting: np.ndarray,
    ) -> None:
        rng, p = self._rng, self.params
        incubation = rng.lognormal(p.incubation_meanlog, p.incubation_sdlog, len(rows)) * DAY
        onset_at = exposure + incubation.astype(np.int64)
        onset_day = self._day_of(onset_at)
        symptomatic = rng.random(len(rows)) < p.symptomatic_share
        # Nobody infects on the day they were infected: the next day at the earliest.
        infectious_from = np.maximum(self._day_of(exposure) + 1, onset_day - p.presymptomatic_days)
        self.infected[rows] = True
        self.exposure_at[rows] = exposure
        self.onset_at[rows] = onset_at
        self.onset_day[rows] = np.where(symptomatic, onset_day, NEVER)
        self.symptomatic[rows] = symptomatic
        self.infectious_from[rows] = infectious_from
        self.infectious_to[rows] = (
            np.where(symptomatic, onset_day, infectious_from) + p.infectious_days_after_onset
        )
        delay = 1 + rng.poisson(p.report_delay_extra_mean, len(rows))
        self.report_day[rows] = np.where(symptomatic, onset_day + delay, NEVER)
        self.infector[rows] = infector
        self.place[rows] = place
        self.setting[rows] = setting
        self.generation[rows] = self.generation[infector] + 1
        self.order.append(rows)


def _stack(found: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    if not found:
        empty = np.empty(0, dtype=np.int64)
        return (empty, empty, empty, empty, np.empty(0, dtype=np.int8))
    return tuple(np.concatenate(column) for column in zip(*found, strict=True))
