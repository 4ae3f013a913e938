"""Rt, doubling time and the forecast of a dashboard's report-date curve (analytics/rt, growth,
forecast), turned into the dated points of analytics/schemas.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from epicontrol.analytics import rules
from epicontrol.analytics.schemas import CurveDay, ForecastPoint, Growth, RtPoint


def analyse(
    curve: Sequence[CurveDay], *, mean_days: float, sd_days: float
) -> tuple[list[RtPoint], Growth | None, list[ForecastPoint]]:
    """Rt per weekly window, the doubling time and a week's forecast of `curve`'s totals."""
    from epicontrol.analytics.forecast import forecast_incidence
    from epicontrol.analytics.rt import discretised_serial_interval, estimate_rt

    if not curve:
        return [], None, []
    incidence = [point.total for point in curve]
    # EpiEstim discretises the serial interval over the length of the series (discr_si(0:T-1)).
    weights = discretised_serial_interval(mean_days, sd_days, len(incidence))
    estimates = estimate_rt(incidence, serial_interval=weights)
    first = curve[0].day
    rt = [
        RtPoint(
            day=first + timedelta(days=e.t_end - 1),
            window_start=first + timedelta(days=e.t_start - 1),
            mean=round(e.mean, 6),
            median=round(e.median, 6),
            lower=round(e.q025, 6),
            upper=round(e.q975, 6),
        )
        for e in estimates
    ]
    forecast: list[ForecastPoint] = []
    # Only from a window that ends on the last day: an older Rt would project a stale trend.
    if estimates and estimates[-1].t_end == len(incidence):
        last = curve[-1].day
        forecast = [
            ForecastPoint(
                day=last + timedelta(days=f.horizon),
                median=f.median,
                lower=f.q025,
                upper=f.q975,
                lower_90=f.q05,
                upper_90=f.q95,
            )
            for f in forecast_incidence(incidence, serial_interval=weights, rt=estimates[-1])
        ]
    return rt, _growth(incidence), forecast


def _growth(incidence: Sequence[float]) -> Growth | None:
    from epicontrol.analytics.growth import doubling_time

    fit = doubling_time(incidence, window=rules.DOUBLING_WINDOW_DAYS)
    if fit is None:
        return None
    return Growth(
        is_growing=fit.is_growing,
        label=fit.label,
        days=fit.days,
        days_lower=fit.days_lower,
        days_upper=fit.days_upper,
        growth_rate=fit.growth_rate,
        growth_rate_lower=fit.growth_rate_lower,
        growth_rate_upper=fit.growth_rate_upper,
        window_days=fit.window,
    )
