"""Instantaneous reproduction number Rt by the method of Cori et al. (2013), as EpiEstim 2.2-4.

Cori A, Ferguson NM, Fraser C, Cauchemez S. A new framework and software to estimate
time-varying reproduction numbers during epidemics. Am J Epidemiol 2013;178(9):1505-12.
The arithmetic follows EpiEstim 2.2-4's `estimate_R` (methods "parametric_si" and
"non_parametric_si") step for step, so that tests/analytics/test_rt.py can compare with it to 1e-6:
- the cases of day 1 count as imported: they infect but are not themselves explained by Rt, which
  is why windows start on day 2 or later;
- Lambda_t = sum_s I_{t-s} w_s over the whole serial-interval distribution w (w_0 = 0);
- for a window [t_start, t_end] with a Gamma(shape a, scale b) prior on R the posterior is
  Gamma(a + sum I_t, 1 / (1/b + sum Lambda_t));
- EpiEstim reports no estimate (NA) for a window ending before the mean serial interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from epicontrol.analytics import rules

QUANTILES = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
# EpiEstim refuses a non-parametric distribution whose sum is off 1 by more than this.
SUM_TOLERANCE = 0.01


@dataclass(frozen=True)
class RtEstimate:
    """Posterior of Rt over one window of days (1-based day numbers, both ends included)."""

    t_start: int
    t_end: int
    mean: float
    std: float
    q025: float
    q05: float
    q25: float
    median: float
    q75: float
    q95: float
    q975: float

    @property
    def shape(self) -> float:
        """Shape of the gamma posterior (mean and std determine it)."""
        return (self.mean / self.std) ** 2

    @property
    def scale(self) -> float:
        """Scale of the gamma posterior."""
        return self.std**2 / self.mean


def discretised_serial_interval(mean: float, sd: float, days: int) -> np.ndarray:
    """Gamma serial interval discretised on days 0..days-1, as EpiEstim's `discr_si`."""
    if not math.isfinite(mean) or mean <= 1:
        raise ValueError(f"serial interval mean must be > 1 day (got {mean})")
    if not math.isfinite(sd) or sd <= 0:
        raise ValueError(f"serial interval sd must be > 0 days (got {sd})")
    if days < 1:
        raise ValueError(f"serial interval needs at least one day (got {days})")
    from scipy.stats import gamma

    # The gamma describes SI - 1 (Cori et al. 2013, web appendix 11), so w_0 is 0.
    shape = ((mean - 1) / sd) ** 2
    scale = sd**2 / (mean - 1)
    k = np.arange(days, dtype=float)

    def cdf(x: np.ndarray, a: float) -> np.ndarray:
        return np.asarray(gamma.cdf(x, a, scale=scale), dtype=float)

    result = k * cdf(k, shape) + (k - 2) * cdf(k - 2, shape) - 2 * (k - 1) * cdf(k - 1, shape)
    result += (
        shape * scale * (2 * cdf(k - 1, shape + 1) - cdf(k - 2, shape + 1) - cdf(k, shape + 1))
    )
    return np.maximum(result, 0.0)


def overall_infectivity(incidence: np.ndarray, serial_interval: np.ndarray) -> np.ndarray:
    """Lambda_t = sum_{s>=0} I_{t-s} w_s for t = 1..T (index 0 is day 1; EpiEstim leaves it NA)."""
    return np.convolve(incidence, serial_interval)[: len(incidence)]


def estimate_rt(
    incidence: Sequence[float],
    *,
    serial_interval: np.ndarray,
    t_start: Sequence[int] | None = None,
    t_end: Sequence[int] | None = None,
    window: int = rules.RT_WINDOW_DAYS,
    prior_mean: float = rules.RT_PRIOR_MEAN,
    prior_sd: float = rules.RT_PRIOR_SD,
) -> list[RtEstimate]:
    """Rt for each window (default: sliding windows of `window` days), undefined ones skipped.

    A window is skipped where EpiEstim reports NA (it ends before the mean serial interval) and
    where no earlier case can have infected anyone in it (Lambda sums to 0): there the
    posterior would be the prior unchanged, a number that says nothing about the epidemic.
    """
    counts = validate_incidence(incidence)
    weights = validate_serial_interval(serial_interval)
    starts, ends = _windows(len(counts), t_start, t_end, window)
    if prior_mean <= 0 or prior_sd <= 0:
        raise ValueError("the prior mean and sd of Rt must be > 0")
    prior_shape = (prior_mean / prior_sd) ** 2
    prior_scale = prior_sd**2 / prior_mean
    mean_si = float(np.sum(weights * np.arange(len(weights))))
    infectivity = overall_infectivity(counts, weights)
    # Prefix sums give each window's totals in O(1); index i holds days 1..i.
    cumulative_cases = np.concatenate(([0.0], np.cumsum(counts)))
    cumulative_infectivity = np.concatenate(([0.0], np.cumsum(infectivity)))
    kept = [
        (start, end)
        for start, end in zip(starts, ends, strict=True)
        if end > mean_si and cumulative_infectivity[end] - cumulative_infectivity[start - 1] > 0
    ]
    if not kept:
        return []
    lo = np.array([start - 1 for start, _ in kept])
    hi = np.array([end for _, end in kept])
    shape = prior_shape + (cumulative_cases[hi] - cumulative_cases[lo])
    scale = 1.0 / (1.0 / prior_scale + (cumulative_infectivity[hi] - cumulative_infectivity[lo]))
    return _posteriors(kept, shape, scale)


def _posteriors(
    windows: list[tuple[int, int]], shape: np.ndarray, scale: np.ndarray
) -> list[RtEstimate]:
    from scipy.stats import gamma

    quantiles = np.asarray(gamma.ppf(np.array(QUANTILES)[:, None], shape, scale=scale))
    means = shape * scale
    stds = np.sqrt(shape) * scale
    return [
        RtEstimate(
            int(start),
            int(end),
            float(means[i]),
            float(stds[i]),
            *(float(value) for value in quantiles[:, i]),
        )
        for i, (start, end) in enumerate(windows)
    ]


def validate_incidence(incidence: Sequence[float]) -> np.ndarray:
    """Daily counts as an array; ValueError for an empty series or a negative count."""
    counts = np.asarray(incidence, dtype=float)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError("incidence must be a non-empty series of daily counts")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("incidence must hold only finite counts >= 0")
    return counts


def validate_serial_interval(serial_interval: np.ndarray) -> np.ndarray:
    """A serial-interval distribution as an array; ValueError unless EpiEstim would take it."""
    weights = np.asarray(serial_interval, dtype=float)
    if weights.ndim != 1 or weights.size < 2:
        raise ValueError("serial interval must give probabilities for days 0, 1, ...")
    if weights[0] != 0:
        raise ValueError("serial interval probability of day 0 must be 0 (EpiEstim's rule)")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("serial interval probabilities must be finite and >= 0")
    # A parametric distribution truncated to a short series sums to a little under 1; only
    # more than 1 (or nothing at all) is a mistake.
    total = float(weights.sum())
    if total <= 0 or total > 1 + SUM_TOLERANCE:
        raise ValueError(f"serial interval probabilities must sum to at most 1 (got {total:.4f})")
    return weights


def _windows(
    days: int, t_start: Sequence[int] | None, t_end: Sequence[int] | None, window: int
) -> tuple[list[int], list[int]]:
    if (t_start is None) != (t_end is None):
        raise ValueError("give both t_start and t_end, or neither")
    if t_start is None or t_end is None:
        if window < 1:
            raise ValueError(f"window must be at least 1 day (got {window})")
        # EpiEstim's default: t_start = 2..T-6, t_end = t_start + 6 for weekly windows.
        starts = list(range(2, days - window + 2))
        return starts, [start + window - 1 for start in starts]
    starts, ends = [int(day) for day in t_start], [int(day) for day in t_end]
    if len(starts) != len(ends):
        raise ValueError("t_start and t_end must have the same length")
    for start, end in zip(starts, ends, strict=True):
        if not 2 <= start <= end <= days:
            raise ValueError(
                f"window {start}-{end} must satisfy 2 <= t_start <= t_end <= {days} "
                "(day 1's cases count as imported)"
            )
    return starts, ends
