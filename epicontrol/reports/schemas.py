"""Shapes of self-checks and public reports accepted and returned by the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from epicontrol.reports import rules
from epicontrol.reports.models import TipKind, TipOutcome, TipStatus
from epicontrol.reports.rules import Exposure, Symptom, Triage

LOW, HIGH = rules.PLAUSIBLE_TEMPERATURE


class TravelIn(BaseModel):
    """A place visited in the last 14 days."""

    model_config = ConfigDict(extra="forbid")

    place: str = Field(min_length=1, max_length=100, description="city or place, in words")
    region_code: str | None = Field(
        default=None,
        pattern=r"^\d{2,12}$",
        description="administrative code (e.g. 420100) to match declared risk areas",
    )
    on: date = Field(description="the (last) day there")


class SelfCheckIn(BaseModel):
    """The self-check questionnaire (发热自查)."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(
        default=None, ge=LOW, le=HIGH, description=f"body temperature, °C ({LOW}-{HIGH})"
    )
    symptoms: list[Symptom] = Field(default_factory=list, max_length=len(Symptom))
    exposures: list[Exposure] = Field(default_factory=list, max_length=len(Exposure))
    travel: list[TravelIn] = Field(default_factory=list, max_length=rules.MAX_TRAVEL_ENTRIES)


class LocationIn(BaseModel):
    """Where an anonymous caller is, to name the nearest fever clinic: a position or a division."""

    model_config = ConfigDict(extra="forbid")

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    division_id: int | None = None


class PublicSelfCheckIn(SelfCheckIn):
    """An anonymous self-check: the questionnaire and, optionally, where the caller is."""

    location: LocationIn | None = None


class ClinicOut(BaseModel):
    """The designated fever clinic the advice names."""

    place_id: int
    name: str
    address: str
    distance_km: float | None = Field(description="straight-line distance, when it is known")


class AdviceOut(BaseModel):
    """The triage advice with the reasons that produced it."""

    triage: Triage
    advice: str
    reasons: list[str]
    fever: bool
    clinic: ClinicOut | None = None
    emergency_number: str = rules.EMERGENCY_NUMBER


class SelfCheckOut(AdviceOut):
    """A stored self-check of a resident."""

    id: int
    resident_id: int
    submitted_at: datetime
    temperature: float | None
    cleared_at: datetime | None
    cleared_by: str | None


class ClearIn(BaseModel):
    """Why an officer clears a fever report (a negative test, a clinic's finding...)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=2, max_length=300)


class TipIn(BaseModel):
    """A public report (举报 whistleblowing or 自主申报 self-reporting); anonymous allowed."""

    model_config = ConfigDict(extra="forbid")

    kind: TipKind
    # Four characters say something in Chinese ("有人聚集"); fewer is a slip of the finger.
    description: str = Field(min_length=4, max_length=rules.MAX_TIP_DESCRIPTION)
    location_text: str = Field(default="", max_length=300)
    division_id: int | None = None
    contact_phone: str | None = Field(default=None, max_length=20)

    @field_validator("description", "location_text", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class TipReceipt(BaseModel):
    """What the reporter gets back."""

    id: int
    status: TipStatus
    submitted_at: datetime


class TipOut(BaseModel):
    """A report as triage officers see it in the queue: the phone masked, the reporter hidden."""

    id: int
    kind: TipKind
    description: str
    location_text: str
    division_id: int | None
    division_name: str | None
    contact_phone_masked: str | None
    from_registered_resident: bool
    submitted_at: datetime
    status: TipStatus
    outcome: TipOutcome | None
    outcome_note: str
    handled_by: str | None
    updated_at: datetime


class TipDetailOut(TipOut):
    """One report with the reporter's contact phone in clear (the read is audited)."""

    contact_phone: str | None


class TriageIn(BaseModel):
    """An officer's move of a report: a new status, and the outcome when closing."""

    model_config = ConfigDict(extra="forbid")

    status: TipStatus
    outcome: TipOutcome | None = None
    note: str = Field(default="", max_length=1000)


class FeverReportOut(SelfCheckOut):
    """A fever self-check as officers see it: the resident's name masked."""

    name_masked: str
    division_id: int
