"""Daily-monitoring parameters (who is observed, for how long, when someone is not reporting),
each with its source."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from epicontrol.movements.rules import FEVER_THRESHOLD_CELSIUS, PLAUSIBLE_TEMPERATURE
from epicontrol.tracing.rules import DEFAULT_RULES

# Sara Alert (MITRE with CDC and APHL, used by US health departments in 2020) moves a monitoree
# to the "non-reporting" line list once no report has come in during the last reporting period,
# one day by default. DESIGN.md adopts that default: 24 hours without a report.
NOT_REPORTING_AFTER = timedelta(hours=24)

# China NHC, COVID-19 Prevention and Control Plan (6th edition, March 2020) and WHO
# ("Considerations for quarantine of individuals in the context of containment for COVID-19",
# 19 March 2020): 14 days of medical observation from the last exposure. Contacts carry the end
# date the tracing engine computed with the same rule (tracing/rules.py, observation_days).
OBSERVATION_DAYS = DEFAULT_RULES.observation_days
# NHC Plan (6th edition), people arriving from areas with sustained transmission: 14 days of
# home health observation from the day of arrival.
ARRIVAL_OBSERVATION_DAYS = 14

# Checkpoints and fever clinics in China referred anyone at or above 37.3 °C (NHC guideline);
# a daily report at or above it is symptomatic, as Sara Alert flags a reported fever.
FEVER_CELSIUS = FEVER_THRESHOLD_CELSIUS
# A reading outside this range is a typing or device error, not a person: refused as bad input.
TEMPERATURE_RANGE = PLAUSIBLE_TEMPERATURE

# The symptoms asked each day: the NHC Diagnosis and Treatment Protocol (7th edition, March
# 2020) lists fever, dry cough and fatigue as the main manifestations, with nasal congestion,
# sore throat, myalgia and diarrhoea in some patients; loss of smell or taste and shortness of
# breath are on the WHO and CDC symptom lists Sara Alert asks about.
SYMPTOMS: Mapping[str, str] = MappingProxyType(
    {
        "fever": "发热 fever or chills",
        "cough": "咳嗽 cough",
        "fatigue": "乏力 fatigue",
        "sore_throat": "咽痛 sore throat",
        "shortness_of_breath": "气促 shortness of breath",
        "muscle_ache": "肌肉酸痛 muscle aches",
        "diarrhoea": "腹泻 diarrhoea",
        "loss_of_taste_or_smell": "嗅觉味觉减退 loss of taste or smell",
        "nasal_congestion": "鼻塞 nasal congestion",
    }
)

# Not epidemiology: how soon a grid worker should call a non-reporter. Within the same working
# half-day, so a person flagged in the morning is reached before the evening report round.
FOLLOW_UP_CALL_WITHIN = timedelta(hours=4)

# NHC, "Community prevention and control plan for pneumonia caused by the novel coronavirus
# (trial)" (新型冠状病毒感染的肺炎疫情社区防控工作方案（试行）, 25 January 2020): communities
# manage by grid, register people arriving from affected areas and visit those under home
# observation. Within a day of being put under observation is our reading of "promptly".
FIRST_VISIT_WITHIN = timedelta(hours=24)

# NHC community prevention plan (above) and the home-quarantine guidance that followed: people
# in home quarantine (居家隔离) do not go out, and the community secures their daily needs; in
# Wuhan and elsewhere grid workers brought groceries and medicine to their doors. Only close
# contacts are quarantined at home: secondary contacts and arrivals are under home health
# observation and may go out for necessities. Every three days is our choice, not a rule: fresh
# food for a few days at a time, the rhythm of the group purchases that communities organised.
DELIVERY_REASONS = frozenset({"close_contact"})
DELIVERY_EVERY = timedelta(days=3)
# Within the same day: the household is waiting for food.
DELIVERY_WITHIN = timedelta(hours=12)
