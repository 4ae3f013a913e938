"""Fever-clinic registration shapes accepted and returned by the API."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from epicontrol.cases import rules
from epicontrol.cases.schemas import known_symptoms


class TestResult(StrEnum):
    """A nucleic-acid test result."""

    __test__ = False  # not a pytest test class, whatever its name

    POSITIVE = "positive"
    NEGATIVE = "negative"


class RegistrationIn(BaseModel):
    """A patient arriving at a fever clinic. The ID number may be missing or mistyped: such a
    registration is kept unlinked for record linkage to resolve."""

    clinic_code: str = Field(min_length=1, max_length=40, description="code of the fever clinic")
    id_number: str | None = Field(default=None, max_length=32)
    name: str = Field(min_length=1, max_length=40)
    phone: str | None = Field(default=None, max_length=20)
    sex: str | None = Field(default=None, pattern="^[MF]$", description="M or F; from the ID")
    birth_date: date | None = Field(default=None, description="taken from a valid ID if absent")
    temperature: float | None = Field(default=None, description="°C at triage")
    symptoms: list[str] = Field(default_factory=list, max_length=len(rules.SYMPTOMS))
    onset_date: date | None = Field(default=None, description="symptom onset, as told")
    arrived_at: AwareDatetime | None = Field(default=None, description="defaults to now")

    @field_validator("symptoms")
    @classmethod
    def _known_symptoms(cls, value: list[str]) -> list[str]:
        return known_symptoms(value)


class SampleIn(BaseModel):
    """A sample taken for a nucleic-acid test."""

    sampled_at: AwareDatetime | None = Field(default=None, description="defaults to now")


class ResultIn(BaseModel):
    """The result of the registration's test; the sample time if it was not recorded before."""

    result: TestResult
    sampled_at: AwareDatetime | None = None
    result_at: AwareDatetime | None = Field(default=None, description="defaults to now")


class RegistrationOut(BaseModel):
    """A registration as clinic staff and epidemiologists see it: masked, no identity."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    place_id: int
    division_id: int
    resident_id: int | None
    name_masked: str
    sex: str
    birth_date: date | None
    is_id_number_valid: bool
    temperature: float | None
    symptoms: str
    onset_date: date | None
    arrived_at: datetime
    status: str
    sampled_at: datetime | None
    result: str | None
    result_at: datetime | None
    case_id: int | None
    registered_by: str
    created_at: datetime


class RegistrationIdentityOut(BaseModel):
    """Decrypted identity of a registered patient (audited)."""

    id: int
    id_number: str | None
    name: str
    phone: str | None
