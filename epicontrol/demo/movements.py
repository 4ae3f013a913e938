"""Day-by-day movements: work and school, errands, gate and metro scans, trips out of the city."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from epicontrol.demo.routines import SCHEDULES, Routines

KIND_NAMES = ("checkin", "scan", "rail", "vehicle")
CHECKIN, SCAN, RAIL, VEHICLE = range(4)
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))  # UTC+8 all year, no daylight saving
MINUTE = 60
HOUR = 3600

# Errand kinds: which habit or chooser gives the place, share of errands, minutes spent
# (None: a point scan at the door, as pharmacies recorded).
ERRANDS = (
    ("market", 0.28, (20, 50)),
    ("supermarket", 0.27, (15, 45)),
    ("restaurant", 0.25, (40, 90)),
    ("pharmacy", 0.07, None),
    ("clinic", 0.03, (20, 90)),
    ("venue", 0.10, (60, 150)),
)
MAX_ERRANDS = 3
WEEKEND_ERRAND_FACTOR = 1.4
LATEST_RETURN = 22 * HOUR + 30 * MINUTE
TRIP_SHARE_PER_DAY = 0.002  # residents leaving the city on a given day
RAIL_SHARE_OF_TRIPS = 0.6  # the rest drive through an expressway exit
UNEXPLAINED_FEVER_PER_DAY = 0.0003  # fever-clinic visits for other illnesses (influenza...)


def local_midnight(day: date) -> int:
    """Seconds since the epoch (UTC) at 00:00 China Standard Time on `day`."""
    return int(datetime.combine(day, time(0), CHINA_STANDARD_TIME).timestamp())


@dataclass(frozen=True, slots=True)
class DayMovements:
    """One day's records; `left` is -1 for point scans. Times are epoch seconds (UTC)."""

    day: date
    resident: np.ndarray  # resident row (id - 1)
    place: np.ndarray  # place row (id - 1)
    kind: np.ndarray  # index into KIND_NAMES
    entered: np.ndarray
    left: np.ndarray

    def __len__(self) -> int:
        return len(self.resident)


class _Segments:
    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        resident: np.ndarray,
        place: np.ndarray,
        kind: int,
        entered: np.ndarray,
        left: np.ndarray | None = None,
    ) -> None:
        left = np.full(len(resident), -1) if left is None else left
        self.parts.append(
            (resident, place, np.full(len(resident), kind, dtype=np.int8), entered, left)
        )

    def collect(self, day: date) -> DayMovements:
        columns = [np.concatenate(column) for column in zip(*self.parts, strict=True)]
        order = np.lexsort((columns[0], columns[3]))  # by entry time, then resident
        resident, place, kind, entered, left = (column[order] for column in columns)
        return DayMovements(day, resident, place, kind, entered, left)


class Mobility:
    """Generates each day's movements and remembers who is out of the city."""

    def __init__(self, rng: np.random.Generator, routines: Routines, start: date) -> None:
        self._rng = rng
        self._routines = routines
        self._start = start
        n = len(routines.street)
        self.departure_day = np.full(n, -(10**6))
        self.return_day = np.full(n, -(10**6))

    def away_tonight(self, day: int) -> np.ndarray:
        """Whether each resident sleeps outside the city that night."""
        return (self.departure_day <= day) & (day < self.return_day)

    def generate(self, day: int, *, excluded: np.ndarray, fever_visits: np.ndarray) -> DayMovements:
        """Movements of day `day`; `excluded` residents stay in (isolated, sick, reporting) and
        `fever_visits` (rows) go to a fever clinic instead of their usual day."""
        rng, r = self._rng, self._routines
        today = self._start + timedelta(days=day)
        midnight = local_midnight(today)
        weekend = today.weekday() >= 5
        n = len(r.street)
        absent = (self.departure_day < day) & (day < self.return_day)
        returning = (self.return_day == day) & ~excluded
        present = ~absent & ~returning & ~excluded
        febrile = present & (rng.random(n) < UNEXPLAINED_FEVER_PER_DAY)
        present &= ~febrile
        segments = _Segments()

        leaving = present & r.is_adult & (rng.random(n) < TRIP_SHARE_PER_DAY)
        present &= ~leaving
        self.departure_day[leaving] = day
        self.return_day[leaving] = day + rng.integers(1, 5, int(leaving.sum()))
        self._trips(segments, np.flatnonzero(leaving), midnight, departing=True)
        self._trips(segments, np.flatnonzero(returning), midnight, departing=False)

        first_start = np.full(n, np.iinfo(np.int64).max)
        last_end = np.full(n, -1)
        main_end = self._main_activity(segments, present, weekend, midnight, first_start, last_end)
        self._errands(segments, present, weekend, midnight, main_end, first_start, last_end)

        clinic_rows = np.concatenate([fever_visits, np.flatnonzero(febrile)])
        entered = midnight + 9 * HOUR + rng.integers(0, 8 * HOUR, len(clinic_rows))
        left = entered + rng.integers(60, 180, len(clinic_rows)) * MINUTE
        segments.add(clinic_rows, r.fever_clinic[clinic_rows], CHECKIN, entered, left)
        first_start[clinic_rows] = entered
        last_end[clinic_rows] = left

        # Residents of gated estates scan the gate going out and coming back.
        out = np.flatnonzero((last_end >= 0) & (r.home_gate >= 0))
        segments.add(
            out, r.home_gate[out], SCAN, first_start[out] - rng.integers(5, 25, len(out)) * MINUTE
        )
        # Reported cases go from the fever clinic to isolation, not home.
        isolated_tonight = np.zeros(n, dtype=bool)
        isolated_tonight[fever_visits] = True
        back = np.flatnonzero((last_end >= 0) & (r.home_gate >= 0) & ~isolated_tonight)
        segments.add(
            back, r.home_gate[back], SCAN, last_end[back] + rng.integers(5, 25, len(back)) * MINUTE
        )
        return segments.collect(today)

    def _trips(
        self, segments: _Segments, rows: np.ndarray, midnight: int, *, departing: bool
    ) -> None:
        rng, r = self._rng, self._routines
        by_rail = rng.random(len(rows)) < RAIL_SHARE_OF_TRIPS
        if len(r.railway_stations) == 0:
            by_rail[:] = False
        rail = rows[by_rail]
        # Trains leave on the half hour between 07:00 and 21:00; passengers wait 15-60 minutes
        # before departure, or 5-20 minutes after arrival.
        train = midnight + 7 * HOUR + rng.integers(0, 29, len(rail)) * 30 * MINUTE
        station = rng.choice(r.railway_stations, len(rail)) if len(rail) else rail
        wait = rng.integers(15, 60, len(rail)) * MINUTE
        if departing:
            segments.add(rail, station, RAIL, train - wait, train)
        else:
            segments.add(rail, station, RAIL, train, train + wait // 3)
        road = rows[~by_rail]
        exit_ = rng.choice(r.expressway_exits, len(road)) if len(road) else road
        segments.add(
            road, exit_, VEHICLE, midnight + 6 * HOUR + rng.integers(0, 15 * HOUR, len(road))
        )
        if not departing:
            home = rows[r.home_gate[rows] >= 0]
            arrival = midnight + 22 * HOUR + rng.integers(0, 60, len(home)) * MINUTE
            segments.add(home, r.home_gate[home], SCAN, arrival)

    def _main_activity(
        self,
        segments: _Segments,
        present: np.ndarray,
        weekend: bool,
        midnight: int,
        first_start: np.ndarray,
        last_end: np.ndarray,
    ) -> np.ndarray:
        rng, r = self._rng, self._routines
        n = len(present)
        start_mean = np.array([s.start for s in SCHEDULES.values()])[r.schedule]
        start_sd = np.array([s.start_sd for s in SCHEDULES.values()])[r.schedule]
        duration_mean = np.array([s.duration for s in SCHEDULES.values()])[r.schedule]
        duration_sd = np.array([s.duration_sd for s in SCHEDULES.values()])[r.schedule]
        share = np.array(
            [s.weekend_share if weekend else s.weekday_share for s in SCHEDULES.values()]
        )
        goes = present & (r.main_place >= 0) & (rng.random(n) < share[r.schedule])
        rows = np.flatnonzero(goes)
        start = np.clip(start_mean[rows] + rng.normal(0, 1, len(rows)) * start_sd[rows], 300, 720)
        duration = np.maximum(
            duration_mean[rows] + rng.normal(0, 1, len(rows)) * duration_sd[rows], 120
        )
        entered = midnight + (start * MINUTE).astype(np.int64)
        left = np.minimum(entered + (duration * MINUTE).astype(np.int64), midnight + 23 * HOUR)
        segments.add(rows, r.main_place[rows], CHECKIN, entered, left)
        first_start[rows] = entered
        last_end[rows] = left
        main_end = np.full(n, -1)
        main_end[rows] = left

        # Metro commuters tap in near home before work and near work after it.
        metro = rows[r.metro_home[rows] >= 0]
        tap_in = first_start[metro] - rng.integers(20, 45, len(metro)) * MINUTE
        segments.add(metro, r.metro_home[metro], SCAN, tap_in)
        segments.add(
            metro,
            r.metro_work[metro],
            SCAN,
            last_end[metro] + rng.integers(3, 10, len(metro)) * MINUTE,
        )
        first_start[metro] = tap_in
        last_end[metro] += 45 * MINUTE
        return main_end

    def _errands(
        self,
        segments: _Segments,
        present: np.ndarray,
        weekend: bool,
        midnight: int,
        main_end: np.ndarray,
        first_start: np.ndarray,
        last_end: np.ndarray,
    ) -> None:
        rng, r = self._rng, self._routines
        rate = r.errand_rate * (WEEKEND_ERRAND_FACTOR if weekend else 1.0)
        count = np.where(present, np.minimum(rng.poisson(rate), MAX_ERRANDS), 0)
        rows = np.flatnonzero(count > 0)
        count = count[rows]
        # After work, or from the morning for those without a main activity today.
        clock = np.where(
            main_end[rows] >= 0,
            np.maximum(main_end[rows], last_end[rows]) + rng.integers(10, 40, len(rows)) * MINUTE,
            midnight + 6 * HOUR + 30 * MINUTE + rng.integers(0, 240, len(rows)) * MINUTE,
        )
        shares = np.array([share for _, share, _ in ERRANDS])
        for k in range(MAX_ERRANDS):
            active = np.flatnonzero(count > k)
            who = rows[active]
            kind = rng.choice(len(ERRANDS), len(who), p=shares / shares.sum())
            entered = clock[active]
            for e, (label, _, minutes) in enumerate(ERRANDS):
                pick = kind == e
                person = who[pick]
                place = self._errand_place(label, person)
                start = entered[pick]
                stay = (
                    0
                    if minutes is None
                    else rng.integers(minutes[0], minutes[1], len(person)) * MINUTE
                )
                end = start + stay
                clock[active[pick]] = end
                fits = (end <= midnight + LATEST_RETURN) & (place >= 0)
                person, place, start, end = person[fits], place[fits], start[fits], end[fits]
                if minutes is None:
                    segments.add(person, place, SCAN, start)
                else:
                    segments.add(person, place, CHECKIN, start, end)
                first_start[person] = np.minimum(first_start[person], start)
                last_end[person] = np.maximum(last_end[person], end)
            clock[active] += rng.integers(10, 90, len(active)) * MINUTE

    def _errand_place(self, label: str, rows: np.ndarray) -> np.ndarray:
        r = self._routines
        if label == "restaurant":
            return r.restaurants.draw(self._rng, r.street[rows])
        if label == "venue":
            return r.venues.draw(self._rng, r.street[rows])
        habit: np.ndarray = getattr(r, label)
        return habit[rows]
