"""Parameters of case management and fever clinics, each with its source; change them here."""

from __future__ import annotations

from datetime import date, timedelta

from epicontrol.movements import rules as movement_rules

# Symptoms recorded by investigations and fever clinics (NHC Diagnosis and Treatment Protocol
# for COVID-19, 7th edition, §4: fever, dry cough and fatigue are the main manifestations; some
# patients have nasal congestion, runny nose, sore throat, myalgia, diarrhoea, loss of smell
# or taste; severe cases dyspnoea). Codes are stored; the labels are shown.
SYMPTOMS: dict[str, str] = {
    "fever": "发热 fever",
    "dry_cough": "干咳 dry cough",
    "fatigue": "乏力 fatigue",
    "sore_throat": "咽痛 sore throat",
    "nasal_congestion": "鼻塞流涕 nasal congestion",
    "myalgia": "肌痛 muscle pain",
    "diarrhoea": "腹泻 diarrhoea",
    "loss_of_smell_taste": "嗅觉味觉减退 loss of smell or taste",
    "dyspnoea": "呼吸困难 shortness of breath",
    "conjunctivitis": "结膜炎 conjunctivitis",
}

# No case of this disease can have an earlier onset, sampling or report: the first known
# patient fell ill on 1 December 2019 (Huang et al., Lancet 2020;395:497). An earlier date is
# a mistyped year.
EARLIEST_PLAUSIBLE_DATE = date(2019, 12, 1)

# One stay of a travel history: tracing caps a stay at 24 hours (tracing/rules.max_stay_hours),
# so a longer stay (a hotel, a ward) is entered day by day and would otherwise be cut silently.
MAX_STAY = timedelta(hours=24)
# Investigators ask about the 14 days before onset (the incubation period, NHC plan, 6th
# edition) and the days since; a stay older than this cannot be a lead any more.
MAX_TRAVEL_HISTORY_AGE = timedelta(days=60)
MAX_TRAVEL_ENTRIES = 200

# Fever-clinic patients are febrile at the checkpoints' threshold (37.3 °C, NHC prevention and
# control guideline, 5th edition), and readings outside the same range are measurement errors.
FEVER_THRESHOLD_CELSIUS = movement_rules.FEVER_THRESHOLD_CELSIUS
PLAUSIBLE_TEMPERATURE = movement_rules.PLAUSIBLE_TEMPERATURE

# A line-list file larger than this is refused before it is parsed (a city's line list in the
# worst weeks of 2020 had a few thousand rows).
MAX_IMPORT_ROWS = 20_000
MAX_IMPORT_BYTES = 20 * 1024 * 1024
