"""The public situation's figures (aggregates only: never a name, a number or a place of a person).

Local figures count the platform's own cases, with the command dashboard's definitions
(analytics/schemas.py): "confirmed" is confirmed and deceased cases plus recovered ones with an
onset date, "asymptomatic" the asymptomatic infections plus recovered ones without; both are
cumulative (reported on or before the day), as is "recovered" and "deaths"; "suspected" is the
suspected cases still open; "under observation" the distinct residents with an open observation
as a close or secondary contact. `new` is what was reported (observations: started) on the day.

Feed figures are the imported provincial and national rows (feed_models.py); their `new` is the
change from the region's previous imported day (None for its first).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Figure(BaseModel):
    """A running total and what the day added (None where it is not known)."""

    total: int
    new: int | None


class TrendDay(BaseModel):
    """New infections of one day, by report date (local) or by feed day (new confirmed)."""

    day: date
    confirmed: int
    asymptomatic: int


class LocalSituation(BaseModel):
    """The platform's own figures for `day` (China date)."""

    area_name: str
    day: date
    confirmed: Figure
    suspected: Figure
    asymptomatic: Figure
    recovered: Figure
    deaths: Figure
    under_observation: Figure
    trend: list[TrendDay]
    updated_at: datetime


class RegionSituation(BaseModel):
    """A province's or the nation's latest imported figures and where they came from."""

    level: str
    region_code: str
    region_name: str
    day: date
    confirmed: Figure
    suspected: Figure
    asymptomatic: Figure
    cured: Figure
    deaths: Figure
    source: str
    imported_at: datetime
    trend: list[TrendDay]


class Situation(BaseModel):
    """Everything the situation page shows."""

    local: LocalSituation
    province: RegionSituation | None
    nation: RegionSituation | None
    provinces: list[RegionSituation]
