"""Fever self-check triage (发热自查分诊) and public-report limits, each rule with its source.

`triage` is a pure function of the answers: it says which of three pieces of advice applies and
the plain-language reasons (the answers that triggered it), so a resident sees why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from epicontrol.movements import rules as movement_rules

# China NHC prevention and control guideline (5th ed.) and its designated fever clinic guidance:
# a body temperature at or above 37.3 °C is a fever to be seen at a designated fever clinic
# (发热门诊). The same threshold is used at checkpoints: one source of truth.
FEVER_THRESHOLD_CELSIUS = movement_rules.FEVER_THRESHOLD_CELSIUS
# Readings outside this range are thermometer errors or typos, not people: refused (422).
PLAUSIBLE_TEMPERATURE = movement_rules.PLAUSIBLE_TEMPERATURE
# Hyperpyrexia, above 41.5 °C, is a medical emergency (Harrison's Principles of Internal
# Medicine, 21st ed., ch. 18 "Fever").
HYPERPYREXIA_CELSIUS = 41.5
# Exposures and travel count for 14 days, the upper bound of the incubation period (WHO; China
# NHC Prevention and Control Plan: 14-day medical observation).
LOOKBACK = timedelta(days=14)
MAX_TRAVEL_ENTRIES = 10

# Public emergency number in mainland China (急救电话), and the public health hotline (12320)
# for questions when no clinic can be named.
EMERGENCY_NUMBER = "120"
HEALTH_HOTLINE = "12320"


class Triage(StrEnum):
    """The advice a self-check gives (stored in SelfCheck.triage)."""

    HOME = "home"
    FEVER_CLINIC = "fever_clinic"
    EMERGENCY = "emergency"


ADVICE: dict[Triage, str] = {
    Triage.HOME: "居家观察，每日报告 Stay home and report daily",
    Triage.FEVER_CLINIC: "前往最近的指定发热门诊 Go to the nearest designated fever clinic",
    Triage.EMERGENCY: (
        f"立即拨打急救电话 {EMERGENCY_NUMBER} Call emergency services ({EMERGENCY_NUMBER})"
    ),
}


class Symptom(StrEnum):
    """Symptoms the questionnaire asks about; anything else is refused."""

    FEVER = "fever"
    COUGH = "cough"
    SORE_THROAT = "sore_throat"
    FATIGUE = "fatigue"
    LOSS_OF_TASTE_SMELL = "loss_of_taste_smell"
    DIARRHOEA = "diarrhoea"
    RUNNY_NOSE = "runny_nose"
    HEADACHE = "headache"
    MUSCLE_ACHES = "muscle_aches"
    SHORTNESS_OF_BREATH = "shortness_of_breath"
    CHEST_PAIN = "chest_pain"
    CONFUSION = "confusion"
    BLUISH_LIPS = "bluish_lips"
    CANNOT_STAY_AWAKE = "cannot_stay_awake"


class Exposure(StrEnum):
    """Epidemiological history of the last 14 days (流行病学史)."""

    CASE_CONTACT = "case_contact"
    RISK_AREA_ARRIVAL = "risk_area_arrival"
    GATHERING = "gathering"


SYMPTOM_LABELS: dict[Symptom, str] = {
    Symptom.FEVER: "发热 fever",
    Symptom.COUGH: "咳嗽 cough",
    Symptom.SORE_THROAT: "咽痛 sore throat",
    Symptom.FATIGUE: "乏力 fatigue",
    Symptom.LOSS_OF_TASTE_SMELL: "嗅觉味觉减退 loss of taste or smell",
    Symptom.DIARRHOEA: "腹泻 diarrhoea",
    Symptom.RUNNY_NOSE: "流涕 runny nose",
    Symptom.HEADACHE: "头痛 headache",
    Symptom.MUSCLE_ACHES: "肌肉酸痛 muscle aches",
    Symptom.SHORTNESS_OF_BREATH: "呼吸困难 shortness of breath",
    Symptom.CHEST_PAIN: "胸痛或胸闷 chest pain or pressure",
    Symptom.CONFUSION: "意识模糊 confusion",
    Symptom.BLUISH_LIPS: "口唇发紫 bluish lips or face",
    Symptom.CANNOT_STAY_AWAKE: "嗜睡难以唤醒 cannot wake up or stay awake",
}

EXPOSURE_LABELS: dict[Exposure, str] = {
    Exposure.CASE_CONTACT: "接触过病例或疑似病例 contact with a case or suspected case",
    Exposure.RISK_AREA_ARRIVAL: "从风险地区来 arrival from a risk area",
    Exposure.GATHERING: "参加聚集活动 a gathering",
}

# WHO, "Coronavirus disease (COVID-19): symptoms" and Clinical management of COVID-19 (living
# guideline): seek immediate medical attention for difficulty breathing or shortness of breath,
# chest pain, loss of speech or mobility, or confusion; US CDC emergency warning signs add
# bluish lips or face and inability to wake or stay awake.
DANGER_SIGNS = frozenset(
    {
        Symptom.SHORTNESS_OF_BREATH,
        Symptom.CHEST_PAIN,
        Symptom.CONFUSION,
        Symptom.BLUISH_LIPS,
        Symptom.CANNOT_STAY_AWAKE,
    }
)
# China NHC, Guidelines for public protection under normalised prevention and control (2020):
# anyone with fever, dry cough, fatigue, sore throat, reduced smell or taste, or diarrhoea should
# go to a fever clinic promptly, whatever their travel.
CLINIC_SYMPTOMS = frozenset(
    {
        Symptom.FEVER,
        Symptom.COUGH,
        Symptom.SORE_THROAT,
        Symptom.FATIGUE,
        Symptom.LOSS_OF_TASTE_SMELL,
        Symptom.DIARRHOEA,
    }
)
# Milder symptoms send someone to the clinic only with an epidemiological history (NHC
# Prevention and Control Plan, 6th ed.: symptoms plus an epidemiological history make a person
# to be screened at a fever clinic); alone they mean home monitoring.


@dataclass(frozen=True, slots=True)
class Answers:
    """What a self-check reported; `risk_areas` names declared risk areas the travel touched."""

    temperature: float | None = None
    symptoms: frozenset[Symptom] = frozenset()
    exposures: frozenset[Exposure] = frozenset()
    risk_areas: tuple[str, ...] = ()

    @property
    def has_fever(self) -> bool:
        """Fever by the thermometer (>= 37.3 °C) or as reported."""
        measured = self.temperature is not None and self.temperature >= FEVER_THRESHOLD_CELSIUS
        return measured or Symptom.FEVER in self.symptoms


@dataclass(frozen=True, slots=True)
class Decision:
    """The advice and the reasons, in plain language, that produced it."""

    triage: Triage
    reasons: tuple[str, ...]

    @property
    def advice(self) -> str:
        """The advice in words (Chinese, then English)."""
        return ADVICE[self.triage]


def _labels(symptoms: frozenset[Symptom] | set[Symptom]) -> str:
    return ", ".join(SYMPTOM_LABELS[s] for s in sorted(symptoms))


def _exposure_words(answers: Answers) -> list[str]:
    words = [EXPOSURE_LABELS[e] for e in sorted(answers.exposures)]
    words += [f"到过风险地区 travel through the risk area {name}" for name in answers.risk_areas]
    return words


def _emergency_reasons(answers: Answers) -> list[str]:
    reasons = []
    signs = answers.symptoms & DANGER_SIGNS
    if signs:
        reasons.append(
            f"您报告了危险症状 You reported {_labels(signs)}: a danger sign for which WHO advises "
            "immediate medical care."
        )
    if answers.temperature is not None and answers.temperature > HYPERPYREXIA_CELSIUS:
        reasons.append(
            f"体温 {answers.temperature:.1f} °C 超过 {HYPERPYREXIA_CELSIUS} °C: a temperature this "
            "high (hyperpyrexia) is a medical emergency."
        )
    return reasons


def _clinic_reasons(answers: Answers) -> list[str]:
    reasons = []
    if answers.temperature is not None and answers.temperature >= FEVER_THRESHOLD_CELSIUS:
        reasons.append(
            f"体温 {answers.temperature:.1f} °C ≥ {FEVER_THRESHOLD_CELSIUS} °C: a fever "
            "(NHC: fevers are seen at a designated fever clinic)."
        )
    key = answers.symptoms & CLINIC_SYMPTOMS
    if key:
        reasons.append(
            f"您报告了 You reported {_labels(key)}: NHC asks anyone with these symptoms to go to a "
            "fever clinic."
        )
    exposures = _exposure_words(answers)
    milder = answers.symptoms - CLINIC_SYMPTOMS - DANGER_SIGNS
    if milder and exposures:
        reasons.append(
            f"您报告了 You reported {_labels(milder)} together with {'; '.join(exposures)} in the "
            "last 14 days: symptoms with an exposure are screened at a fever clinic."
        )
    return reasons


def _home_reasons(answers: Answers) -> list[str]:
    exposures = _exposure_words(answers)
    if exposures:
        reasons = [
            f"您报告了 You reported {'; '.join(exposures)} but no fever and no symptom that needs "
            "a clinic: watch your health at home for 14 days from the exposure and report daily."
        ]
    else:
        reasons = [
            "无发热、无危险症状 No fever, no danger sign and no exposure in the last 14 days."
        ]
    if answers.symptoms:
        reasons.append(
            f"您报告了 You reported {_labels(answers.symptoms)}: mild, and without an exposure "
            "they need no clinic; check again if they get worse or a fever starts."
        )
    return reasons


def triage(answers: Answers) -> Decision:
    """The most urgent advice whose rule the answers meet, with every reason that applies."""
    reasons = _emergency_reasons(answers)
    if reasons:
        return Decision(Triage.EMERGENCY, tuple(reasons))
    reasons = _clinic_reasons(answers)
    if reasons:
        return Decision(Triage.FEVER_CLINIC, tuple(reasons))
    return Decision(Triage.HOME, tuple(_home_reasons(answers)))


# --- public reports (举报 whistleblowing and self-reporting) -------------------------------------

# Reports a client (one IP address, kept only as a keyed hash) may file per rolling hour. Mobile
# networks in China put many phones behind one carrier NAT address, so the default is generous;
# set EPICONTROL_TIP_RATE_LIMIT_PER_HOUR per deployment.
TIP_RATE_WINDOW = timedelta(hours=1)
# The same report (same kind, text, place) from the same client is refused for a day: a resend
# by a double tap or an impatient reporter must not make two entries in the officers' queue.
DUPLICATE_WINDOW = timedelta(days=1)
MAX_TIP_DESCRIPTION = 2000
MAX_REQUEST_BYTES = 16 * 1024  # JSON or form bodies of the public forms; larger is refused (413)
