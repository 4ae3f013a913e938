"""Short forecast of daily incidence by simulating the renewal equation, as R's `projections`.

Each simulation draws one R from the gamma posterior of the last Rt window and keeps it for the
whole horizon (`projections::project(..., R_fix_within = TRUE)`): the spread between simulations
then carries the uncertainty of R, which a fresh draw every day would average away. Each future
day's cases are I_t ~ Poisson(R * Lambda_t), with Lambda_t = sum_s I_{t-s} w_s over the observed
and the already simulated days (Cori et al. 2013; Jombart et al., `projections`, RECON).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from epicontrol.analytics import rules
from epicontrol.analytics.rt import RtEstimate, validate_incidence, validate_serial_interval

FORECAST_QUANTILES = (0.025, 0.05, 0.5, 0.95, 0.975)


@dataclass(frozen=True)
class ForecastDay:
    """Simulated cases of one future day (day number 1-based, continuing the series)."""

    day: int
    horizon: int
    mean: float
    median: float
    q025: float
    q05: float
    q95: float
    q975: float


def forecast_incidence(
    incidence: Sequence[float],
    *,
    serial_interval: np.ndarray,
    rt: RtEstimate,
    days: int = rules.FORECAST_DAYS,
    simulations: int = rules.FORECAST_SIMULATIONS,
    seed: int = rules.FORECAST_SEED,
) -> list[ForecastDay]:
    """Median and 90%/95% intervals of simulated daily cases for the `days` after the series."""
    counts = validate_incidence(incidence)
    weights = validate_serial_interval(serial_interval)
    if days < 1 or simulations < 1:
        raise ValueError("days and simulations must be at least 1")
    if not (rt.mean > 0 and rt.std > 0):
        raise ValueError("the Rt estimate needs a mean and std > 0")
    simulated = _simulate(counts, weights, rt, days, simulations, seed)
    quantiles = np.quantile(simulated, FORECAST_QUANTILES, axis=0)
    return [
        ForecastDay(
            day=len(counts) + step + 1,
            horizon=step + 1,
            mean=float(simulated[:, step].mean()),
            median=float(quantiles[2, step]),
            q025=float(quantiles[0, step]),
            q05=float(quantiles[1, step]),
            q95=float(quantiles[3, step]),
            q975=float(quantiles[4, step]),
        )
        for step in range(days)
    ]


def _simulate(
    counts: np.ndarray,
    weights: np.ndarray,
    rt: RtEstimate,
    days: int,
    simulations: int,
    seed: int,
) -> np.ndarray:
    """Simulated cases, one row per simulation and one column per future day."""
    generator = np.random.default_rng(seed)
    reproduction = generator.gamma(rt.shape, rt.scale, size=simulations)
    history = len(counts)
    # Observed and simulated days side by side, one row per simulation.
    cases = np.empty((simulations, history + days))
    cases[:, :history] = counts
    # Lambda of a day needs the last len(weights)-1 days, newest first against w_1, w_2, ...
    reach = len(weights) - 1
    reversed_weights = weights[1:][::-1]
    for step in range(days):
        today = history + step
        first = max(0, today - reach)
        infectivity = cases[:, first:today] @ reversed_weights[reach - (today - first) :]
        cases[:, today] = generator.poisson(reproduction * infectivity)
    return cases[:, history:]
