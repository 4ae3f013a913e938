"""Each self-check triage rule (reports/rules.py) gives its advice and says which answers did."""

from __future__ import annotations

import pytest

from epicontrol.reports.rules import Answers, Exposure, Symptom, Triage, triage


def test_danger_sign_means_emergency_and_names_it() -> None:
    decision = triage(Answers(temperature=36.8, symptoms=frozenset({Symptom.SHORTNESS_OF_BREATH})))
    assert decision.triage == Triage.EMERGENCY
    assert "120" in decision.advice
    assert any("shortness of breath" in r and "WHO" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "sign", [Symptom.CHEST_PAIN, Symptom.CONFUSION, Symptom.BLUISH_LIPS, Symptom.CANNOT_STAY_AWAKE]
)
def test_every_danger_sign_means_emergency(sign: Symptom) -> None:
    assert triage(Answers(symptoms=frozenset({sign}))).triage == Triage.EMERGENCY


def test_hyperpyrexia_means_emergency() -> None:
    decision = triage(Answers(temperature=41.8))
    assert decision.triage == Triage.EMERGENCY
    assert any("41.8" in r and "hyperpyrexia" in r for r in decision.reasons)


def test_emergency_outranks_fever_clinic_and_keeps_only_its_reasons() -> None:
    decision = triage(
        Answers(temperature=38.5, symptoms=frozenset({Symptom.COUGH, Symptom.CHEST_PAIN}))
    )
    assert decision.triage == Triage.EMERGENCY
    assert len(decision.reasons) == 1 and "chest pain" in decision.reasons[0]


@pytest.mark.parametrize(
    ("temperature", "expected"), [(37.3, Triage.FEVER_CLINIC), (37.2, Triage.HOME)]
)
def test_fever_threshold_is_37_3(temperature: float, expected: Triage) -> None:
    decision = triage(Answers(temperature=temperature))
    assert decision.triage == expected
    if expected == Triage.FEVER_CLINIC:
        assert decision.reasons == (
            f"体温 {temperature:.1f} °C ≥ 37.3 °C: a fever (NHC: fevers are seen at a designated "
            "fever clinic).",
        )


def test_reported_fever_without_a_thermometer_means_fever_clinic() -> None:
    answers = Answers(symptoms=frozenset({Symptom.FEVER}))
    decision = triage(answers)
    assert answers.has_fever
    assert decision.triage == Triage.FEVER_CLINIC
    assert any("fever" in r and "NHC" in r for r in decision.reasons)


def test_key_symptom_alone_means_fever_clinic() -> None:
    decision = triage(Answers(temperature=36.6, symptoms=frozenset({Symptom.LOSS_OF_TASTE_SMELL})))
    assert decision.triage == Triage.FEVER_CLINIC
    assert any("loss of taste or smell" in r for r in decision.reasons)


def test_mild_symptom_with_an_exposure_means_fever_clinic() -> None:
    decision = triage(
        Answers(
            symptoms=frozenset({Symptom.RUNNY_NOSE}),
            exposures=frozenset({Exposure.CASE_CONTACT}),
        )
    )
    assert decision.triage == Triage.FEVER_CLINIC
    [reason] = decision.reasons
    assert "runny nose" in reason and "contact with a case" in reason


def test_mild_symptom_with_travel_through_a_risk_area_means_fever_clinic() -> None:
    decision = triage(Answers(symptoms=frozenset({Symptom.HEADACHE}), risk_areas=("武汉市",)))
    assert decision.triage == Triage.FEVER_CLINIC
    assert "武汉市" in decision.reasons[0]


def test_mild_symptom_alone_means_home() -> None:
    decision = triage(Answers(temperature=36.9, symptoms=frozenset({Symptom.HEADACHE})))
    assert decision.triage == Triage.HOME
    assert any("headache" in r for r in decision.reasons)


def test_exposure_without_symptoms_means_home_and_daily_reports() -> None:
    decision = triage(Answers(temperature=36.5, exposures=frozenset({Exposure.GATHERING})))
    assert decision.triage == Triage.HOME
    assert "report daily" in decision.advice
    assert "a gathering" in decision.reasons[0] and "14 days" in decision.reasons[0]


def test_nothing_reported_means_home() -> None:
    decision = triage(Answers(temperature=36.5))
    assert decision.triage == Triage.HOME
    assert decision.reasons == (
        "无发热、无危险症状 No fever, no danger sign and no exposure in the last 14 days.",
    )
