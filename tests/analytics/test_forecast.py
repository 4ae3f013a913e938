"""Renewal-equation forecast: reproducible with a seed, flat when R is 1, widening with horizon."""

from __future__ import annotations

import math

import pytest

from epicontrol.analytics.forecast import forecast_incidence
from epicontrol.analytics.rt import RtEstimate, discretised_serial_interval, estimate_rt

SERIAL_INTERVAL = discretised_serial_interval(4.7, 2.9, 60)


def _rt(mean: float, std: float) -> RtEstimate:
    # Only mean and std matter to the forecast (they fix the gamma posterior).
    return RtEstimate(1, 1, mean, std, *([mean] * 7))


def test_same_seed_same_forecast_other_seed_other_forecast() -> None:
    incidence = [20 + day for day in range(40)]
    rt = estimate_rt(incidence, serial_interval=SERIAL_INTERVAL)[-1]
    first = forecast_incidence(incidence, serial_interval=SERIAL_INTERVAL, rt=rt, seed=7)
    again = forecast_incidence(incidence, serial_interval=SERIAL_INTERVAL, rt=rt, seed=7)
    other = forecast_incidence(incidence, serial_interval=SERIAL_INTERVAL, rt=rt, seed=8)
    assert first == again
    assert first != other
    assert [day.day for day in first] == list(range(41, 48))
    assert [day.horizon for day in first] == list(range(1, 8))


def test_first_day_mean_is_r_times_the_infectivity_of_the_series() -> None:
    # I_{T+1} ~ Poisson(R * Lambda_{T+1}), Lambda_{T+1} = sum_{s>=1} I_{T+1-s} w_s.
    incidence = [3, 0, 8, 1, 0, 20, 2, 5, 40, 0, 1, 0]
    infectivity = sum(
        incidence[len(incidence) - s] * SERIAL_INTERVAL[s] for s in range(1, len(incidence) + 1)
    )
    day = forecast_incidence(
        incidence, serial_interval=SERIAL_INTERVAL, rt=_rt(1.5, 1e-6), days=1, simulations=20_000
    )[0]
    expected = 1.5 * infectivity
    standard_error = math.sqrt(expected / 20_000)
    assert abs(day.mean - expected) < 4 * standard_error


def test_flat_incidence_with_r_near_one_stays_flat() -> None:
    incidence = [100] * 60
    forecast = forecast_incidence(
        incidence, serial_interval=SERIAL_INTERVAL, rt=_rt(1.0, 0.01), days=10
    )
    for day in forecast:
        assert day.median == pytest.approx(100, abs=5)
        assert day.mean == pytest.approx(100, abs=3)
        assert day.q025 <= day.q05 <= day.median <= day.q95 <= day.q975


def test_intervals_widen_with_horizon() -> None:
    incidence = [50] * 60
    forecast = forecast_incidence(
        incidence, serial_interval=SERIAL_INTERVAL, rt=_rt(1.1, 0.2), days=14
    )
    widths = [day.q975 - day.q025 for day in forecast]
    assert widths[-1] > 2 * widths[0]
    assert widths[6] > widths[0]


def test_growth_follows_r() -> None:
    incidence = [10 * 1.05**day for day in range(60)]
    forecast = forecast_incidence(
        [round(value) for value in incidence],
        serial_interval=SERIAL_INTERVAL,
        rt=_rt(2.0, 0.05),
        days=7,
    )
    assert forecast[-1].median > 2 * incidence[-1]


def test_forecast_of_an_epidemic_that_died_out_is_zero() -> None:
    forecast = forecast_incidence(
        [5] * 10 + [0] * 60, serial_interval=SERIAL_INTERVAL, rt=_rt(1.5, 0.3)
    )
    assert all(day.q975 == 0 for day in forecast)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="days"):
        forecast_incidence([1] * 10, serial_interval=SERIAL_INTERVAL, rt=_rt(1, 0.1), days=0)
    with pytest.raises(ValueError, match="std"):
        forecast_incidence([1] * 10, serial_interval=SERIAL_INTERVAL, rt=_rt(1, 0))
    with pytest.raises(ValueError, match="non-empty"):
        forecast_incidence([], serial_interval=SERIAL_INTERVAL, rt=_rt(1, 0.1))
    assert math.isfinite(_rt(1, 0.1).shape)
