"""The command dashboard's data (aggregates only: no names, no identifiers of people).

Definitions, for a division's subtree (`Division.path` prefix) and a local (China) day `day`:

- Cases are counted by the division of the case (the resident's grid) and by their status as
  stored now (a past `day` shows today's knowledge of the cases reported by then). Discarded
  suspected cases (排除) are never counted.
- "Confirmed" (确诊) counts cases whose status is confirmed or deceased, and recovered cases
  with an onset date; "asymptomatic" (无症状感染者) counts asymptomatic infections and recovered
  cases without an onset date (an asymptomatic infection has no onset by definition, and a
  case keeps no history of its earlier statuses). Their `total` is cumulative: every such case
  reported on or before `day`; `new` those reported on `day` (report_date).
- "Suspected" (疑似): `total` is the suspected cases still open (status suspected) reported on
  or before `day`; `new` those reported on `day`.
- "Under observation" (医学观察): distinct residents with an observation for a close or
  secondary contact (密接/次密接) open on `day` (starts_on <= day <= ends_on, not closed before
  the day began); `new` those whose observation starts on `day`.
- "Arrivals from risk areas" (风险地区来人): movements.presence_queries.arrivals_subquery rows
  of `day` with a risk area (the definition daily monitoring uses), one per person; `total` and
  `new` are both that day's count.
- "Fever reports" (发热报告): fever self-checks (reports.models.SelfCheck with fever) submitted
  on `day` by residents of the subtree, plus fever-clinic registrations (发热门诊登记) that
  arrived on `day` at clinics of the subtree; `total` and `new` are both that day's count.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class Headline(BaseModel):
    """One headline figure: the running total and what `day` added."""

    total: int = Field(description="see the module docstring for each figure's meaning")
    new: int = Field(description="added on `day`")


class Headlines(BaseModel):
    """The dashboard's tiles."""

    confirmed: Headline
    suspected: Headline
    asymptomatic: Headline
    under_observation: Headline
    close_contacts_observed: int = Field(description="of under_observation: close contacts")
    secondary_contacts_observed: int = Field(description="of under_observation: secondary")
    risk_area_arrivals: Headline
    fever_reports: Headline
    fever_self_checks: int = Field(description="of fever_reports: residents' self-checks")
    fever_clinic_registrations: int = Field(description="of fever_reports: clinic arrivals")
    recovered: int = Field(description="cases recovered (治愈), reported on or before day")
    deceased: int = Field(description="deaths (死亡), reported on or before day")


class CurveDay(BaseModel):
    """Cases of one day of an epidemic curve, split by status class."""

    day: date
    confirmed: int
    asymptomatic: int
    total: int
    seven_day_average: float | None = Field(description="trailing mean of total; None early on")


class RtPoint(BaseModel):
    """Rt over the window ending on `day` (Cori et al. 2013), from the report-date curve."""

    day: date
    window_start: date
    mean: float
    median: float
    lower: float = Field(description="2.5% quantile of the posterior")
    upper: float = Field(description="97.5% quantile of the posterior")


class ForecastPoint(BaseModel):
    """Projected new cases (confirmed + asymptomatic) by report date."""

    day: date
    median: float
    lower: float = Field(description="2.5% quantile of the simulations")
    upper: float = Field(description="97.5% quantile of the simulations")
    lower_90: float = Field(description="5% quantile")
    upper_90: float = Field(description="95% quantile")


class Growth(BaseModel):
    """Doubling (growing) or halving (declining) time of the report-date curve over its last
    `window_days` days (analytics/growth.py: Poisson log-linear fit, 95% interval)."""

    is_growing: bool
    label: str = Field(description="倍增时间 doubling time or 减半时间 halving time")
    days: float
    days_lower: float | None = Field(description="None where the interval reaches flat")
    days_upper: float | None
    growth_rate: float = Field(description="per day, r in cases ~ exp(r t)")
    growth_rate_lower: float
    growth_rate_upper: float
    window_days: int


class AgeBand(BaseModel):
    """Cases (confirmed + asymptomatic) of one 10-year age band, by sex."""

    band: str = Field(description="e.g. '20-29'; the last band is '80+'")
    male: int
    female: int


class SubdivisionFigures(BaseModel):
    """One child division's figures, for the map and the drill-down table."""

    division_id: int
    code: str
    name: str
    level: str
    latitude: float | None
    longitude: float | None
    population: int = Field(description="registered residents")
    cases: int = Field(description="confirmed + asymptomatic, cumulative")
    new_cases: int = Field(description="confirmed + asymptomatic reported on day")
    suspected: int
    under_observation: int
    risk_area_arrivals: int = Field(description="arrivals from risk areas on day, by place")
    cases_per_100k: float | None


class EstatePoint(BaseModel):
    """A housing estate (小区) where cases live, for the map."""

    estate_id: int
    name: str
    latitude: float | None
    longitude: float | None
    cases: int = Field(description="confirmed + asymptomatic, cumulative")


class Crumb(BaseModel):
    """A division on the way from the caller's scope down to the one shown."""

    division_id: int
    name: str


class DashboardData(BaseModel):
    """Everything the command dashboard shows for one division and local day."""

    division_id: int
    division_name: str
    division_level: str
    day: date
    headlines: Headlines
    curve_by_report: list[CurveDay]
    curve_by_onset: list[CurveDay] = Field(
        description="by onset date; asymptomatic infections (no onset) by sampling date"
    )
    undated_onsets: int = Field(description="cases left out of curve_by_onset: no date known")
    rt: list[RtPoint]
    serial_interval_mean_days: float
    serial_interval_sd_days: float
    growth: Growth | None
    forecast: list[ForecastPoint]
    age_pyramid: list[AgeBand]
    sex_split: dict[str, int] = Field(description="'M', 'F' (and 'unknown' if any)")
    subdivisions: list[SubdivisionFigures]
    estates: list[EstatePoint]
    breadcrumb: list[Crumb] = Field(default_factory=list)
    compute_seconds: float = 0.0
    resumption: dict[str, Any] | None = Field(
        default=None,
        description="resumption of work (enterprises/figures.py): applications, by status, "
        "approved_by_phase [{phase, approved, workforce}], workforce_back, by_subdivision",
    )
    labour: dict[str, Any] | None = Field(
        default=None,
        description="labour matching (labour/figures.py): needs_open, positions, filled, "
        "confirmed, applicants, fill_rate",
    )
