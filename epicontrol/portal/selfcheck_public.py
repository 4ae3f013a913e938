"""The public site's fever self-check in the visitor's language.

The decision is the existing service's (reports/selfcheck.py `advise`, rules.py `triage`);
this module only words it in zh or en: the advice of the triage it returned, and the answers
that led there, read against the same rule sets (rules.DANGER_SIGNS, CLINIC_SYMPTOMS, the
fever threshold). The reports service words its reasons in both languages at once, which the
public site cannot show as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy.orm import Session

from epicontrol.core.i18n import gettext as _
from epicontrol.core.i18n import translate
from epicontrol.reports import rules, selfcheck
from epicontrol.reports.rules import Exposure, Symptom, Triage
from epicontrol.reports.schemas import AdviceOut, ClinicOut, PublicSelfCheckIn
from epicontrol.reports.selfcheck_places import Origin, division_origin, nearest_fever_clinic

E = TypeVar("E", bound=StrEnum)


def N_(message: str) -> str:  # noqa: N802  (gettext's name for "translate later")
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


SYMPTOM_NAMES: dict[Symptom, str] = {
    Symptom.FEVER: N_("fever"),
    Symptom.COUGH: N_("cough"),
    Symptom.SORE_THROAT: N_("sore throat"),
    Symptom.FATIGUE: N_("fatigue"),
    Symptom.LOSS_OF_TASTE_SMELL: N_("loss of taste or smell"),
    Symptom.DIARRHOEA: N_("diarrhoea"),
    Symptom.RUNNY_NOSE: N_("runny nose"),
    Symptom.HEADACHE: N_("headache"),
    Symptom.MUSCLE_ACHES: N_("muscle aches"),
    Symptom.SHORTNESS_OF_BREATH: N_("shortness of breath"),
    Symptom.CHEST_PAIN: N_("chest pain or pressure"),
    Symptom.CONFUSION: N_("confusion"),
    Symptom.BLUISH_LIPS: N_("bluish lips or face"),
    Symptom.CANNOT_STAY_AWAKE: N_("cannot wake up or stay awake"),
}
EXPOSURE_NAMES: dict[Exposure, str] = {
    Exposure.CASE_CONTACT: N_("contact with a case or suspected case"),
    Exposure.RISK_AREA_ARRIVAL: N_("arrival from a risk area"),
    Exposure.GATHERING: N_("a gathering"),
}
ADVICE: dict[Triage, str] = {
    Triage.HOME: N_("Stay at home, watch your health and report daily."),
    Triage.FEVER_CLINIC: N_("Go to the nearest designated fever clinic."),
    Triage.EMERGENCY: N_("Call emergency services now."),
}


@dataclass(frozen=True, slots=True)
class PublicAdvice:
    """The service's advice with its wording in the visitor's language and the clinic to go to."""

    triage: Triage
    advice: str
    reasons: list[str]
    clinic: ClinicOut | None


def _names(values: Iterable[E], names: Mapping[E, str]) -> str:
    return _(", ").join(translate(names[v]) for v in sorted(values))


def _reasons(data: PublicSelfCheckIn, triage: Triage) -> list[str]:
    symptoms, exposures = frozenset(data.symptoms), frozenset(data.exposures)
    temperature = data.temperature
    reasons: list[str] = []
    if triage == Triage.EMERGENCY:
        signs = symptoms & rules.DANGER_SIGNS
        if signs:
            reasons.append(
                _(
                    "You reported %(signs)s: a danger sign that needs immediate medical care "
                    "(WHO).",
                    signs=_names(signs, SYMPTOM_NAMES),
                )
            )
        if temperature is not None and temperature > rules.HYPERPYREXIA_CELSIUS:
            reasons.append(
                _(
                    "A temperature of %(t)s °C, above %(limit)s °C, is a medical emergency.",
                    t=f"{temperature:.1f}",
                    limit=rules.HYPERPYREXIA_CELSIUS,
                )
            )
        return reasons
    if temperature is not None and temperature >= rules.FEVER_THRESHOLD_CELSIUS:
        reasons.append(
            _(
                "A temperature of %(t)s °C is a fever (%(limit)s °C or more).",
                t=f"{temperature:.1f}",
                limit=rules.FEVER_THRESHOLD_CELSIUS,
            )
        )
    key = symptoms & rules.CLINIC_SYMPTOMS
    if key and triage == Triage.FEVER_CLINIC:
        reasons.append(
            _(
                "You reported %(symptoms)s: anyone with these symptoms should be seen at a fever "
                "clinic (National Health Commission).",
                symptoms=_names(key, SYMPTOM_NAMES),
            )
        )
    milder = symptoms - rules.CLINIC_SYMPTOMS - rules.DANGER_SIGNS
    if exposures and milder and triage == Triage.FEVER_CLINIC:
        reasons.append(
            _(
                "You reported %(symptoms)s together with %(exposures)s in the last 14 days: "
                "symptoms after an exposure are screened at a fever clinic.",
                symptoms=_names(milder, SYMPTOM_NAMES),
                exposures=_names(exposures, EXPOSURE_NAMES),
            )
        )
    if triage == Triage.HOME:
        reasons.extend(_home_reasons(symptoms, exposures))
    return reasons


def _home_reasons(symptoms: frozenset[Symptom], exposures: frozenset[Exposure]) -> list[str]:
    if exposures:
        reasons = [
            _(
                "You reported %(exposures)s but no fever and no symptom that needs a clinic: "
                "watch your health at home for 14 days from the exposure and report daily.",
                exposures=_names(exposures, EXPOSURE_NAMES),
            )
        ]
    else:
        reasons = [_("No fever, no danger sign and no exposure in the last 14 days.")]
    if symptoms:
        reasons.append(
            _(
                "You reported %(symptoms)s: mild, and without an exposure they need no clinic; "
                "check again if they get worse or a fever starts.",
                symptoms=_names(symptoms, SYMPTOM_NAMES),
            )
        )
    return reasons


def _origin(db: Session, data: PublicSelfCheckIn) -> Origin | None:
    location = data.location
    if location is None:
        return None
    if location.latitude is not None and location.longitude is not None:
        return Origin(location.latitude, location.longitude, location.division_id)
    if location.division_id is not None:
        return division_origin(db, division_id=location.division_id)
    return None


def check(db: Session, *, data: PublicSelfCheckIn, now: datetime) -> PublicAdvice:
    """Advice for an anonymous visitor (nothing stored), worded in the request's language, with
    the nearest fever clinic whatever the advice (the result page offers it)."""
    advice: AdviceOut = selfcheck.advise(db, data=data, now=now)
    clinic = advice.clinic
    if clinic is None:
        origin = _origin(db, data)
        clinic = nearest_fever_clinic(db, origin=origin) if origin is not None else None
    text = translate(ADVICE[advice.triage])
    if advice.triage == Triage.EMERGENCY:
        text = _("Call emergency services (%(number)s) now.", number=rules.EMERGENCY_NUMBER)
    return PublicAdvice(
        triage=advice.triage, advice=text, reasons=_reasons(data, advice.triage), clinic=clinic
    )


def symptom_choices() -> list[tuple[str, str]]:
    """(value, label) of every symptom, in the request's language."""
    return [(s.value, translate(name)) for s, name in SYMPTOM_NAMES.items()]


def exposure_choices() -> list[tuple[str, str]]:
    """(value, label) of every exposure, in the request's language."""
    return [(e.value, translate(name)) for e, name in EXPOSURE_NAMES.items()]


def booking_summary(data: PublicSelfCheckIn) -> str:
    """A short summary of the answers to carry into a consultation booking."""
    parts = []
    if data.temperature is not None:
        parts.append(f"{data.temperature:.1f} °C")
    parts += [translate(SYMPTOM_NAMES[s]) for s in sorted(set(data.symptoms))]
    return _(", ").join(parts)
