"""Case shapes accepted and returned by the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from epicontrol.cases import rules
from epicontrol.cases.models import CaseStatus


class CaseIn(BaseModel):
    """A case reported by a clinic or an epidemiologist."""

    resident_id: int
    status: CaseStatus = CaseStatus.SUSPECTED
    onset_date: date | None = Field(default=None, description="symptom onset (China date)")
    sampling_date: date | None = Field(default=None, description="first positive sample taken")
    report_date: date | None = Field(default=None, description="defaults to today (China)")
    isolated_at: AwareDatetime | None = None
    case_number: str | None = Field(
        default=None,
        max_length=24,
        pattern=r"^[A-Za-z0-9-]+$",
        description="the number of the national report card; generated when absent",
    )


class StatusChange(BaseModel):
    """A new status, with the dates the new status needs if they were not known before."""

    status: CaseStatus
    onset_date: date | None = None
    sampling_date: date | None = None


class CaseDatesIn(BaseModel):
    """Corrected dates of a case; only the fields sent change (null clears onset or sampling)."""

    onset_date: date | None = None
    sampling_date: date | None = None
    report_date: date | None = None


class IsolationIn(BaseModel):
    """When the case was isolated (admitted, or put in centralised isolation)."""

    isolated_at: AwareDatetime


class CaseOut(BaseModel):
    """A case as staff see it (the resident by id; names come from the residents API)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_number: str
    resident_id: int
    division_id: int
    status: CaseStatus
    onset_date: date | None
    sampling_date: date | None
    report_date: date
    isolated_at: datetime | None
    created_at: datetime
    updated_at: datetime


def known_symptoms(value: list[str]) -> list[str]:
    """Symptom codes of rules.SYMPTOMS, once each, in its order; ValueError names the others."""
    unknown = sorted(set(value) - set(rules.SYMPTOMS))
    if unknown:
        raise ValueError(
            f"unknown symptom(s) {', '.join(unknown)}; known: {', '.join(rules.SYMPTOMS)}"
        )
    return sorted(set(value), key=list(rules.SYMPTOMS).index)


class TravelEntryIn(BaseModel):
    """One stay of a travel history: a known place by code, or a place named in free text
    (with its address); times with their zone (a phone sends +08:00)."""

    place_code: str | None = Field(default=None, max_length=40)
    place_name: str | None = Field(default=None, max_length=160, description="free text")
    address: str = Field(default="", max_length=300)
    started_at: AwareDatetime
    ended_at: AwareDatetime
    note: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _one_place(self) -> TravelEntryIn:
        code = (self.place_code or "").strip()
        name = (self.place_name or "").strip()
        if bool(code) == bool(name):
            raise ValueError("give either place_code (a known place) or place_name (free text)")
        self.place_code, self.place_name = code or None, name or None
        return self


class InvestigationIn(BaseModel):
    """The investigation form (流行病学调查); a save replaces the whole form."""

    exposure_summary: str = Field(default="", max_length=4000)
    symptoms: list[str] = Field(default_factory=list, max_length=len(rules.SYMPTOMS))
    travel: list[TravelEntryIn] = Field(default_factory=list, max_length=rules.MAX_TRAVEL_ENTRIES)

    @field_validator("symptoms")
    @classmethod
    def _known_symptoms(cls, value: list[str]) -> list[str]:
        return known_symptoms(value)


class TravelEntryOut(BaseModel):
    """A stay of a travel history, with the place it was stored at."""

    id: int
    place_id: int
    place_code: str
    place_name: str
    place_kind: str
    place_text: str
    address: str
    started_at: datetime
    ended_at: datetime
    note: str


class InvestigationOut(BaseModel):
    """A case's investigation as the epidemiologist sees it."""

    case_id: int
    exposure_summary: str
    symptoms: list[str]
    investigated_by: str
    created_at: datetime
    updated_at: datetime
    travel: list[TravelEntryOut]
