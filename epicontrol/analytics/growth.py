"""Growth of an epidemic curve: trailing 7-day average and doubling (or halving) time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from epicontrol.analytics import rules

Z_95 = 1.959963984540054  # standard normal 97.5% quantile
MIN_FIT_DAYS = 3  # two points always fit a line exactly: no interval can come of them
MAX_ITERATIONS = 50
# A rate beyond this (x22,000 a day) only comes from a fit that cannot converge, e.g. cases on
# one day only of the window.
MAX_RATE = 10.0
# Below this the curve is flat to rounding error (a doubling time of ~19 million years).
FLAT_RATE = 1e-10


@dataclass(frozen=True)
class DoublingTime:
    """Doubling time (growing) or halving time (declining) in days, with a 95% interval.

    `days_lower`/`days_upper` are None where the interval of the growth rate reaches zero:
    the curve may also be flat, so the time is unbounded on that side.
    """

    growth_rate: float  # per day, r in counts ~ exp(r t)
    growth_rate_lower: float
    growth_rate_upper: float
    days: float
    days_lower: float | None
    days_upper: float | None
    window: int

    @property
    def is_growing(self) -> bool:
        """True for a doubling time, False for a halving time."""
        return self.growth_rate > 0

    @property
    def label(self) -> str:
        """Name of the figure for people."""
        return "倍增时间 doubling time" if self.is_growing else "减半时间 halving time"


def seven_day_average(counts: Sequence[float]) -> list[float | None]:
    """Trailing 7-day mean of daily counts; None for the first 6 days (no full week yet)."""
    values = np.asarray(counts, dtype=float)
    if values.size < 7:
        return [None] * values.size
    sums = np.convolve(values, np.ones(7), mode="valid")
    return [None] * 6 + [float(total) / 7 for total in sums]


def doubling_time(
    counts: Sequence[float], *, window: int = rules.DOUBLING_WINDOW_DAYS
) -> DoublingTime | None:
    """Doubling (or halving) time from a log-linear Poisson fit to the last `window` days.

    Poisson regression of the counts on the day (log link), not least squares on log(count+0.5):
    it takes days with no cases as they are, weighs days by their counts as Poisson noise does,
    and recovers an exact exponential exactly, where the +0.5 biases the slope. The 95% interval
    of the rate is Wald's, widened by the Pearson dispersion when the counts vary more than
    Poisson (quasi-Poisson). None when the window holds fewer than 3 days or no case.
    """
    if window < MIN_FIT_DAYS:
        raise ValueError(f"window must be at least {MIN_FIT_DAYS} days (got {window})")
    values = np.asarray(counts, dtype=float)[-window:]
    if np.any(~np.isfinite(values)) or np.any(values < 0):
        raise ValueError("counts must be finite and >= 0")
    if values.size < MIN_FIT_DAYS or values.sum() <= 0:
        return None
    fit = _poisson_fit(values)
    if fit is None:
        return None
    rate, standard_error = fit
    if abs(rate) < FLAT_RATE:
        return None
    lower, upper = rate - Z_95 * standard_error, rate + Z_95 * standard_error
    return DoublingTime(
        growth_rate=rate,
        growth_rate_lower=lower,
        growth_rate_upper=upper,
        days=math.log(2) / abs(rate),
        days_lower=_time_for(upper if rate > 0 else -lower),
        days_upper=_time_for(lower if rate > 0 else -upper),
        window=int(values.size),
    )


def _time_for(speed: float) -> float | None:
    """Time to double (or halve) at this |rate| in the estimate's direction; None if <= 0."""
    return math.log(2) / speed if speed > 0 else None


def _poisson_fit(values: np.ndarray) -> tuple[float, float] | None:
    """Slope r of log(mu) = a + r t and its standard error (iteratively reweighted LS)."""
    days = np.arange(values.size, dtype=float)
    design = np.column_stack([np.ones_like(days), days - days.mean()])
    coefficients = np.array([math.log(values.mean()), 0.0])
    for _ in range(MAX_ITERATIONS):
        mu = np.exp(design @ coefficients)
        information = design.T @ (mu[:, None] * design)
        step = np.linalg.solve(information, design.T @ (values - mu))
        coefficients = coefficients + step
        if np.max(np.abs(step)) < 1e-12 or abs(coefficients[1]) > MAX_RATE:
            break
    if not np.all(np.isfinite(coefficients)) or abs(coefficients[1]) > MAX_RATE:
        return None  # a single day with cases: the rate runs off towards infinity
    mu = np.exp(design @ coefficients)
    information = design.T @ (mu[:, None] * design)
    dispersion = max(1.0, float(np.sum((values - mu) ** 2 / mu)) / (values.size - 2))
    variance = float(np.linalg.inv(information)[1, 1]) * dispersion
    return float(coefficients[1]), math.sqrt(variance)
