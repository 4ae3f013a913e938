"""Parameters of the epidemic analytics (Rt, growth, forecast), each with its source."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from epicontrol.core.settings import Settings

# Serial interval of COVID-19: mean 4.7 days (95% CrI 3.7-6.0), sd 2.9 days (1.9-4.9), from 28
# infector-infectee pairs (Nishiura H, Linton NM, Akhmetzhanov AR. Serial interval of novel
# coronavirus (COVID-19) infections. Int J Infect Dis 2020;93:284-6). Du et al. (Emerg Infect Dis
# 2020;26(6):1341-3) found 3.96 days (sd 4.75) from 468 Chinese pairs, negative intervals
# included, which the method of Cori et al. cannot take. Configurable per deployment:
# EPICONTROL_RT_SERIAL_INTERVAL_MEAN_DAYS, EPICONTROL_RT_SERIAL_INTERVAL_SD_DAYS.
SERIAL_INTERVAL_MEAN_DAYS = 4.7
SERIAL_INTERVAL_SD_DAYS = 2.9

# Sliding weekly windows and a Gamma prior with mean 5 and sd 5 on Rt: the defaults of
# Cori et al. (2013) and EpiEstim (make_config), wide enough to let a week's data speak.
RT_WINDOW_DAYS = 7
RT_PRIOR_MEAN = 5.0
RT_PRIOR_SD = 5.0

# Doubling time from the last two weeks: two whole weeks so weekday reporting patterns cancel,
# short enough to follow a change of trend (our choice, not a published standard).
DOUBLING_WINDOW_DAYS = 14

# A week ahead, 1000 simulations with a fixed seed: the renewal forecast assumes the last
# window's Rt holds, which is only plausible for a short horizon; the seed makes a briefing
# reproducible (our choices; the R `projections` package defaults to 100 simulations).
FORECAST_DAYS = 7
FORECAST_SIMULATIONS = 1000
FORECAST_SEED = 2020


def serial_interval(settings: Settings, days: int) -> np.ndarray:
    """The deployment's discretised serial interval over days 0..days-1 (for a series of `days`)."""
    from epicontrol.analytics.rt import discretised_serial_interval

    return discretised_serial_interval(
        settings.rt_serial_interval_mean_days, settings.rt_serial_interval_sd_days, days
    )
