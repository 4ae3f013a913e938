"""Rt (Cori et al. 2013) compared with EpiEstim 2.2-4 to within 1e-6, column by column.

Source of the reference: EpiEstim's vignette example "Flu2009" (pandemic H1N1 influenza in a
school in Pennsylvania, 2009; Cauchemez S et al., PNAS 2011;108(7):2825-30), shipped with EpiEstim
as `data("Flu2009")`: daily incidence, and a serial interval of mean 2.6 days, sd 1.5 days
(parametric) or `Flu2009$si_distr` (non-parametric). The CSV files in tests/analytics/data/ were
written by Debian's r-cran-epiestim 2.2-4 with
    Rscript scripts/epiestim_reference.R tests/analytics/data
which runs `estimate_R(Flu2009$incidence, method = "parametric_si",
config = make_config(list(mean_si = 2.6, std_si = 1.5)))`, the same with
`method = "non_parametric_si", si_distr = Flu2009$si_distr`, and bi-weekly windows
(t_start = 2..T-13, t_end = t_start + 13) with a prior of mean 4, sd 4.
scripts/epiestim_reference_sparse.R adds a sparse series of our own (COVID-19 serial interval)
to show the one deliberate difference: windows without infectivity are left out.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from epicontrol.analytics import rules
from epicontrol.analytics.rt import RtEstimate, discretised_serial_interval, estimate_rt
from epicontrol.core.settings import Settings

DATA = Path(__file__).parent / "data"
TOLERANCE = 1e-6
COLUMNS = {
    "Mean(R)": "mean",
    "Std(R)": "std",
    "Quantile.0.025(R)": "q025",
    "Quantile.0.05(R)": "q05",
    "Quantile.0.25(R)": "q25",
    "Median(R)": "median",
    "Quantile.0.75(R)": "q75",
    "Quantile.0.95(R)": "q95",
    "Quantile.0.975(R)": "q975",
}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="") as handle:
        return [
            {key: value.strip() for key, value in row.items()} for row in csv.DictReader(handle)
        ]


def _incidence() -> list[int]:
    return [int(row["incidence"]) for row in _rows("flu2009_incidence.csv")]


def _assert_matches(estimates: list[RtEstimate], reference: str | list[dict[str, str]]) -> None:
    expected = _rows(reference) if isinstance(reference, str) else reference
    assert len(expected) > 10
    assert [(e.t_start, e.t_end) for e in estimates] == [
        (int(row["t_start"]), int(row["t_end"])) for row in expected
    ]
    for estimate, row in zip(estimates, expected, strict=True):
        for column, field in COLUMNS.items():
            assert getattr(estimate, field) == pytest.approx(float(row[column]), abs=TOLERANCE), (
                f"{column} of window {estimate.t_start}-{estimate.t_end}"
            )


def test_discretised_serial_interval_matches_epiestim_discr_si() -> None:
    expected = [float(row["p"]) for row in _rows("epiestim_parametric_si_distr.csv")]
    # EpiEstim discretises days 0..T-1 and pads day T with 0.
    ours = discretised_serial_interval(2.6, 1.5, len(_incidence()))
    assert len(ours) == len(expected) - 1
    assert ours == pytest.approx(expected[:-1], abs=1e-12)
    assert expected[-1] == 0
    assert ours[0] == 0 and ours.sum() == pytest.approx(1, abs=1e-6)


def test_parametric_si_weekly_windows_match_epiestim() -> None:
    incidence = _incidence()
    serial_interval = discretised_serial_interval(2.6, 1.5, len(incidence))
    _assert_matches(
        estimate_rt(incidence, serial_interval=serial_interval), "epiestim_parametric_si.csv"
    )


def test_non_parametric_si_weekly_windows_match_epiestim() -> None:
    serial_interval = np.array([float(row["p"]) for row in _rows("flu2009_si_distr.csv")])
    _assert_matches(
        estimate_rt(_incidence(), serial_interval=serial_interval),
        "epiestim_non_parametric_si.csv",
    )


def test_biweekly_windows_and_prior_4_4_match_epiestim() -> None:
    incidence = _incidence()
    starts = list(range(2, len(incidence) - 12))
    estimates = estimate_rt(
        incidence,
        serial_interval=discretised_serial_interval(2.6, 1.5, len(incidence)),
        t_start=starts,
        t_end=[start + 13 for start in starts],
        prior_mean=4,
        prior_sd=4,
    )
    _assert_matches(estimates, "epiestim_parametric_si_biweekly.csv")


def test_window_argument_gives_the_same_biweekly_windows() -> None:
    incidence = _incidence()
    estimates = estimate_rt(
        incidence,
        serial_interval=discretised_serial_interval(2.6, 1.5, len(incidence)),
        window=14,
        prior_mean=4,
        prior_sd=4,
    )
    _assert_matches(estimates, "epiestim_parametric_si_biweekly.csv")


def test_sparse_series_matches_epiestim_except_windows_nobody_could_have_infected() -> None:
    """scripts/epiestim_reference_sparse.R: EpiEstim 2.2-4 on a series starting with empty days."""
    incidence = [int(row["incidence"]) for row in _rows("sparse_incidence.csv")]
    expected = _rows("epiestim_sparse_parametric_si.csv")
    serial_interval = discretised_serial_interval(4.7, 2.9, len(incidence))
    ours = estimate_rt(incidence, serial_interval=serial_interval)
    # EpiEstim's first two windows have no infectivity: it returns the prior (mean 5), then
    # mean 20 from the prior and three cases nobody earlier could have infected; we omit them.
    assert [float(row["Mean(R)"]) for row in expected[:2]] == [5.0, 20.0]
    _assert_matches(ours, expected[2:])


def test_windows_without_infectivity_or_before_the_mean_serial_interval_are_skipped() -> None:
    serial_interval = discretised_serial_interval(4.7, 2.9, 30)
    incidence = [0] * 10 + [3, 4, 6, 8, 9, 12, 15, 20] + [25] * 12
    estimates = estimate_rt(incidence, serial_interval=serial_interval)
    # Day 11 brings the first cases: a window ending on day 11 has no infectivity yet.
    assert estimates[0].t_end == 12
    assert all(np.isfinite(e.mean) and e.std > 0 for e in estimates)
    assert estimate_rt([0] * 20, serial_interval=serial_interval) == []
    # EpiEstim gives NA for windows ending on or before the mean serial interval (4.7 days).
    short = estimate_rt([5] * 10, serial_interval=serial_interval, window=2)
    assert short[0].t_start == 4 and short[0].t_end == 5


def test_series_shorter_than_a_window_has_no_estimate() -> None:
    assert estimate_rt([1, 2, 3], serial_interval=discretised_serial_interval(4.7, 2.9, 3)) == []


def test_constant_epidemic_has_rt_near_one() -> None:
    serial_interval = discretised_serial_interval(4.7, 2.9, 200)
    last = estimate_rt([1000] * 200, serial_interval=serial_interval)[-1]
    assert last.mean == pytest.approx(1.0, abs=0.01)
    assert last.q025 < last.median < last.q975
    assert last.shape == pytest.approx((last.mean / last.std) ** 2)


@pytest.mark.parametrize(
    ("incidence", "message"),
    [([], "non-empty"), ([3, -1, 4], ">= 0"), ([1.0, float("nan")], ">= 0")],
)
def test_bad_incidence_is_refused(incidence: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        estimate_rt(incidence, serial_interval=discretised_serial_interval(4.7, 2.9, 5))


@pytest.mark.parametrize(
    ("mean", "sd", "message"), [(1.0, 1.0, "mean must be > 1"), (0.5, 1, "> 1"), (4, 0, "sd")]
)
def test_bad_serial_interval_parameters_are_refused(mean: float, sd: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        discretised_serial_interval(mean, sd, 10)


@pytest.mark.parametrize(
    ("weights", "message"),
    [([0.5, 0.5], "day 0"), ([0, 0.7, 0.7], "sum"), ([0, -0.2, 1.2], ">= 0"), ([0], "days 0")],
)
def test_bad_serial_interval_distribution_is_refused(weights: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        estimate_rt([1, 2, 3, 4, 5, 6, 7, 8], serial_interval=np.array(weights))


@pytest.mark.parametrize(("t_start", "t_end"), [([1], [7]), ([3], [2]), ([2], [99]), ([2, 3], [8])])
def test_bad_windows_are_refused(t_start: list[int], t_end: list[int]) -> None:
    with pytest.raises(ValueError, match="t_start"):
        estimate_rt(
            [1] * 10,
            serial_interval=discretised_serial_interval(2.6, 1.5, 10),
            t_start=t_start,
            t_end=t_end,
        )


def test_serial_interval_comes_from_settings() -> None:
    default = rules.serial_interval(Settings(), 40)
    mean = float(np.sum(default * np.arange(40)))
    assert mean == pytest.approx(rules.SERIAL_INTERVAL_MEAN_DAYS, abs=0.01)
    custom = Settings(rt_serial_interval_mean_days=6.0, rt_serial_interval_sd_days=2.0)
    assert float(np.sum(rules.serial_interval(custom, 40) * np.arange(40))) == pytest.approx(
        6.0, abs=0.01
    )
