"""Contact-tracing parameters with their sources: one frozen object, configurable per deployment."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from epicontrol.core.local_time import LOCAL_TIME

# Onset, sampling and report dates are dates in China: a day starts at midnight in Shanghai.
MINUTE = 60
HOUR = 3600
DAY = 86_400

# Typical stay at a place of each kind, for a point scan or a check-in without a check-out, in
# minutes. Nobody recorded how long people stayed, so these are reasoned guesses, kept short
# where a scan marks a passage rather than a stay (a guess too long turns passers-by into close
# contacts; one too short misses people who forgot to check out):
# - community_gate, expressway_exit, metro_station: a scan while passing through (the metro ride
#   itself is not at the station); a minute or a few, never a 15-minute contact on their own.
# - pharmacy: a purchase at the counter, about 10 minutes.
# - supermarket 30, market 45, restaurant 60, venue 90: one errand or meal; the same orders of
#   magnitude as the stays the synthetic city draws (epicontrol/demo/movements.py ERRANDS).
# - clinic 60, fever_clinic 120, hospital 120: a consultation; a fever clinic visit in 2020 meant
#   triage, tests and often a chest CT before anyone went home.
# - bus_station 20, railway_station 30: waiting for departure (the synthetic city's passengers
#   wait 15-60 minutes before a train).
# - workplace, office 480, school 420: a working or school day.
DWELL_MINUTES_BY_PLACE_KIND: Mapping[str, int] = MappingProxyType(
    {
        "community_gate": 1,
        "expressway_exit": 1,
        "metro_station": 5,
        "pharmacy": 10,
        "bus_station": 20,
        "supermarket": 30,
        "railway_station": 30,
        "market": 45,
        "restaurant": 60,
        "clinic": 60,
        "venue": 90,
        "fever_clinic": 120,
        "hospital": 120,
        "school": 420,
        "workplace": 480,
        "office": 480,
    }
)


@dataclass(frozen=True, slots=True)
class TracingRules:
    """Every epidemiological parameter the tracing engine applies."""

    # WHO, "Contact tracing in the context of COVID-19", interim guidance, 10 May 2020: a close
    # contact is face-to-face within 1 metre "for at least 15 minutes". Same place, same time is
    # our proxy for face-to-face.
    min_overlap_minutes: int = 15
    # WHO (same guidance) and China NHC, COVID-19 Prevention and Control Plan (6th edition,
    # March 2020, close-contact definition): contacts count from 2 days before symptom onset, or
    # before sampling for an asymptomatic infection, until the case is isolated.
    presymptomatic_days: int = 2
    # China NHC Prevention and Control Plan (early editions, January-February 2020): on a closed
    # air-conditioned train every passenger of the case's carriage (hard seat or sleeper; the
    # compartment for soft sleepers) is a close contact, whatever the distance. 0 means "in the
    # carriage at the same time at all"; a deployment with boarding and alighting times may ask
    # for more.
    carriage_min_overlap_minutes: int = 0
    # China NHC Prevention and Control Plan (8th edition, May 2021, "close contacts of close
    # contacts"): a close contact of a close contact counts from the close contact's first
    # exposure to the case until the close contact was isolated; not before that exposure.
    trace_secondary_contacts: bool = True
    # China NHC (6th edition) and WHO ("Considerations for quarantine of individuals in the
    # context of containment for COVID-19", 19 March 2020): 14 days from the last exposure.
    observation_days: int = 14
    dwell_minutes_by_place_kind: Mapping[str, int] = field(
        default_factory=lambda: DWELL_MINUTES_BY_PLACE_KIND
    )
    # A place kind the table above does not know: an errand of half an hour.
    default_dwell_minutes: int = 30
    # A check-in whose check-out comes more than a day later is a forgotten check-out, not a
    # stay; capping it also bounds how many hour buckets one visit spans in the join.
    max_stay_hours: int = 24
    # Not epidemiology: the width of the time buckets the co-location join matches on. An hour
    # is about the median stay, so a visit spans one or two buckets.
    bucket_minutes: int = 60

    def __post_init__(self) -> None:
        for name in ("min_overlap_minutes", "carriage_min_overlap_minutes", "presymptomatic_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("observation_days", "max_stay_hours", "bucket_minutes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        dwell = {str(k): int(v) for k, v in dict(self.dwell_minutes_by_place_kind).items()}
        if any(minutes < 0 for minutes in dwell.values()) or self.default_dwell_minutes < 0:
            raise ValueError("dwell estimates must not be negative")
        # A read-only copy: the rules object is frozen all the way down.
        object.__setattr__(self, "dwell_minutes_by_place_kind", MappingProxyType(dwell))

    @property
    def min_overlap_s(self) -> int:
        """Seconds of overlap at one place that make a close contact."""
        return self.min_overlap_minutes * MINUTE

    @property
    def carriage_min_overlap_s(self) -> int:
        """Seconds of overlap in one train carriage that make a close contact."""
        return self.carriage_min_overlap_minutes * MINUTE

    @property
    def default_dwell_s(self) -> int:
        """Estimated stay at a place of unknown kind, in seconds."""
        return self.default_dwell_minutes * MINUTE

    @property
    def max_stay_s(self) -> int:
        """Longest stay one visit may have, in seconds."""
        return self.max_stay_hours * HOUR

    @property
    def bucket_s(self) -> int:
        """Width of the co-location join's time buckets, in seconds."""
        return self.bucket_minutes * MINUTE

    def dwell_s(self, place_kind: str | None) -> int:
        """Estimated stay, in seconds, after a point scan at a place of this kind."""
        minutes = self.dwell_minutes_by_place_kind.get(place_kind or "", self.default_dwell_minutes)
        return minutes * MINUTE

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TracingRules:
        """Rules from a mapping of field names (a deployment's file); unknown names are refused.

        `dwell_minutes_by_place_kind` is merged over the defaults, so a file names only the
        kinds it changes.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown tracing rule(s): {', '.join(unknown)}")
        options = dict(values)
        if "dwell_minutes_by_place_kind" in options:
            options["dwell_minutes_by_place_kind"] = {
                **DWELL_MINUTES_BY_PLACE_KIND,
                **options["dwell_minutes_by_place_kind"],
            }
        return replace(cls(), **options)

    @classmethod
    def from_file(cls, path: Path) -> TracingRules:
        """Rules from a JSON or TOML file (by its suffix) of field names and values."""
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".toml":
            values: Any = tomllib.loads(text)
            values = values.get("tracing", values)  # a [tracing] table or top-level keys
        else:
            values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError(f"{path}: expected a table of tracing rules")
        return cls.from_mapping(values)


DEFAULT_RULES = TracingRules()


def load_rules(path: Path | None) -> TracingRules:
    """The deployment's rules: from `path` when given (settings), the defaults otherwise."""
    return DEFAULT_RULES if path is None else TracingRules.from_file(path)


def china_midnight(day: date) -> int:
    """Epoch seconds at 00:00 in China (Asia/Shanghai) on `day`."""
    return int(datetime.combine(day, time(0), LOCAL_TIME).timestamp())


def to_epoch_seconds(moment: datetime | date) -> int:
    """Epoch seconds of an aware datetime (naive ones are taken as UTC), or of the end of a
    China date: isolation "on" a day may have happened any time that day, so the whole day
    counts."""
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return int(aware.timestamp())
    return china_midnight(moment + timedelta(days=1))


def infectious_window(
    onset_date: date | None,
    sampling_date: date | None,
    isolated_at: datetime | date | None,
    now: datetime | date,
    *,
    rules: TracingRules = DEFAULT_RULES,
) -> tuple[int, int]:
    """The window (start_s, end_s) in which a case exposes contacts: from `presymptomatic_days`
    before onset (or before sampling, for an asymptomatic case) until isolation, or `now` for a
    case not yet isolated. Dates are China dates; a date for `isolated_at` means the end of it.
    """
    anchor = onset_date if onset_date is not None else sampling_date
    if anchor is None:
        raise ValueError("a case needs an onset date or, if asymptomatic, a sampling date")
    start_s = china_midnight(anchor - timedelta(days=rules.presymptomatic_days))
    now_s = to_epoch_seconds(now)
    end_s = now_s if isolated_at is None else min(to_epoch_seconds(isolated_at), now_s)
    return start_s, max(start_s, end_s)


def observation_ends_at(last_exposure_s: int, *, rules: TracingRules = DEFAULT_RULES) -> int:
    """When a contact's medical observation ends: `observation_days` after the last exposure."""
    return last_exposure_s + rules.observation_days * DAY
