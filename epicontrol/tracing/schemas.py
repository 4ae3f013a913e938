"""Shapes of tracing runs, contacts and follow-ups in the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from epicontrol.tracing.models import FollowUpState


class TracingRunOut(BaseModel):
    """One run of the tracing engine for a case."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    status: str
    engine: str
    reason: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    contacts_found: int | None
    error: str


class FollowUpStatusOut(BaseModel):
    """Where a contact's observation stands today."""

    state: str  # a FollowUpState, or "pending" before the first report is due
    days_left: int
    last_report_on: date | None


class ExposureOut(BaseModel):
    """One exposure episode: where (a place, or the household) and when."""

    rule: str
    place_id: int | None
    place_name: str | None
    via_resident_id: int | None
    start_at: datetime
    end_at: datetime
    minutes: int


class FollowUpOut(BaseModel):
    """One day's follow-up of a contact."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    day: date
    state: FollowUpState
    temperature: float | None
    note: str
    recorded_by: str
    recorded_at: datetime


class ContactOut(BaseModel):
    """A contact with masked name; `rule`, `place` and `via` are those of the strongest
    exposure, `exposures` lists them all (in the detail view)."""

    id: int
    case_id: int
    case_number: str
    contact_resident_id: int
    name_masked: str
    division_id: int
    degree: int
    rule: str
    place_id: int | None
    place_name: str | None
    via_resident_id: int | None
    via_name_masked: str | None
    first_exposure_at: datetime
    last_exposure_at: datetime
    minutes: int
    observation_ends_on: date
    quarantined_at: datetime | None
    follow_up: FollowUpStatusOut
    exposures: list[ExposureOut] = Field(default_factory=list)
    follow_ups: list[FollowUpOut] = Field(default_factory=list)


class FollowUpIn(BaseModel):
    """A day's report of a contact, recorded by a grid worker or officer."""

    day: date | None = Field(default=None, description="defaults to today (China)")
    state: FollowUpState = FollowUpState.REPORTING
    temperature: float | None = Field(default=None, ge=30.0, le=45.0)
    note: str = Field(default="", max_length=400)


class QuarantineIn(BaseModel):
    """When the contact was put under quarantine (集中隔离 or home quarantine)."""

    quarantined_at: AwareDatetime
