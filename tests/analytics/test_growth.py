"""Trailing 7-day average and doubling time (log-linear Poisson fit) on exact series."""

from __future__ import annotations

import math

import pytest

from epicontrol.analytics.growth import doubling_time, seven_day_average


def test_seven_day_average_is_trailing_and_none_for_the_first_six_days() -> None:
    counts = [7, 0, 0, 0, 0, 0, 0, 14, 7]
    assert seven_day_average(counts) == [None] * 6 + [1.0, 2.0, 3.0]
    assert seven_day_average([1, 2, 3]) == [None, None, None]
    assert seven_day_average([]) == []


@pytest.mark.parametrize("doubling_days", [2.0, 3.5, 10.0])
def test_exact_exponential_growth_gives_its_doubling_time(doubling_days: float) -> None:
    rate = math.log(2) / doubling_days
    counts = [5 * math.exp(rate * day) for day in range(30)]
    result = doubling_time(counts)
    assert result is not None and result.is_growing
    assert result.days == pytest.approx(doubling_days, rel=1e-9)
    assert result.growth_rate == pytest.approx(rate, rel=1e-9)
    assert result.window == 14
    assert result.days_lower is not None and result.days_upper is not None
    assert result.days_lower < result.days < result.days_upper
    assert result.label == "倍增时间 doubling time"


def test_exact_exponential_decline_gives_a_halving_time() -> None:
    counts = [4000 * 0.5 ** (day / 5) for day in range(20)]
    result = doubling_time(counts, window=10)
    assert result is not None and not result.is_growing
    assert result.days == pytest.approx(5.0, rel=1e-9)
    assert result.growth_rate < 0 and result.window == 10
    assert result.days_lower is not None and result.days_upper is not None
    assert result.days_lower < 5.0 < result.days_upper
    assert result.label == "减半时间 halving time"


def test_noisy_flat_counts_have_an_unbounded_interval() -> None:
    counts = [10, 12, 9, 11, 10, 8, 13, 10, 9, 11, 12, 10, 9, 11]
    result = doubling_time(counts)
    assert result is not None
    assert result.growth_rate_lower < 0 < result.growth_rate_upper
    assert result.days_upper is None and result.days_lower is not None


def test_overdispersed_counts_widen_the_interval() -> None:
    smooth = [10 * 1.1**day for day in range(14)]
    noisy = [value * (1.5 if day % 2 else 0.6) for day, value in enumerate(smooth)]
    smooth_fit, noisy_fit = doubling_time(smooth), doubling_time(noisy)
    assert smooth_fit is not None and noisy_fit is not None
    smooth_width = smooth_fit.growth_rate_upper - smooth_fit.growth_rate_lower
    noisy_width = noisy_fit.growth_rate_upper - noisy_fit.growth_rate_lower
    assert noisy_width > 2 * smooth_width


def test_days_without_cases_are_fitted_not_dropped() -> None:
    counts = [0, 1, 0, 2, 1, 3, 2, 5, 4, 8, 7, 12, 15, 20]
    result = doubling_time(counts)
    assert result is not None and result.is_growing
    assert 1 < result.days < 6


@pytest.mark.parametrize("counts", [[], [0] * 14, [5, 6], [3] * 14, [0] * 13 + [9]], ids=str)
def test_no_doubling_time_without_a_trend_to_fit(counts: list[float]) -> None:
    assert doubling_time(counts) is None


def test_bad_counts_and_window_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        doubling_time([1, 2, -3, 4])
    with pytest.raises(ValueError, match="window"):
        doubling_time([1, 2, 3, 4], window=2)
