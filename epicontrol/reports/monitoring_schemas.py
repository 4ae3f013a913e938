"""Daily monitoring as the API shows and takes it: daily reports, people by state, closing."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from epicontrol.reports.monitoring_models import MonitoringState, ObservationReason
from epicontrol.reports.monitoring_rules import SYMPTOMS, TEMPERATURE_RANGE


class DailyReportIn(BaseModel):
    """Today's report by the resident under observation; always about the caller, so it names
    nobody (an extra field such as `resident_id` is refused)."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(
        ge=TEMPERATURE_RANGE[0], le=TEMPERATURE_RANGE[1], description="body temperature, °C"
    )
    symptoms: list[str] = Field(
        default_factory=list, max_length=len(SYMPTOMS), description="codes of monitoring_rules"
    )
    is_at_home: bool = Field(description="staying at home today (居家)")
    note: str = Field(default="", max_length=400)

    @field_validator("symptoms")
    @classmethod
    def _known_symptoms(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SYMPTOMS))
        if unknown:
            known = ", ".join(SYMPTOMS)
            raise ValueError(f"unknown symptom(s) {', '.join(unknown)}; known: {known}")
        return sorted(set(value))


class DailyReportOut(BaseModel):
    """A stored daily report."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    day: date
    temperature: float
    symptoms: list[str]
    is_symptomatic: bool
    is_at_home: bool
    note: str
    submitted_at: datetime
    submissions: int

    @field_validator("symptoms", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return [s for s in value.split(",") if s] if isinstance(value, str) else value


class ObservationOut(BaseModel):
    """One observation episode of a person, with what put them under it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    reason: ObservationReason
    starts_on: date
    ends_on: date
    closed_at: datetime | None
    close_reason: str | None
    sources: list[str] = Field(default_factory=list, description='e.g. "contact:12"')


class MyMonitoringOut(BaseModel):
    """What a resident sees of their own observation: state, episodes, last reports."""

    state: MonitoringState | None
    is_report_due: bool
    observations: list[ObservationOut]
    reports: list[DailyReportOut]


class PersonOut(BaseModel):
    """A person under observation in the officer's list, with their monitoring state."""

    resident_id: int
    name: str = Field(description="masked unless the caller may read identity")
    division_id: int
    division_name: str
    state: MonitoringState
    reasons: list[ObservationReason]
    starts_on: date
    ends_on: date
    last_report_at: datetime | None
    last_temperature: float | None
    last_symptoms: list[str]
    close_reason: str | None


class MonitoringOut(BaseModel):
    """People under observation in a division by state: counts of every state, one page."""

    division_id: int
    division_name: str
    as_of: datetime
    counts: dict[MonitoringState, int]
    state: MonitoringState | None
    people: list[PersonOut]


class CloseIn(BaseModel):
    """Why an officer ends someone's observation early (recorded and audited)."""

    reason: str = Field(min_length=3, max_length=400)


class SyncOut(BaseModel):
    """What one generation of observations did."""

    division_id: int
    day: date
    observations_created: int
    observations_extended: int
    sources_added: int
    observations_closed: int = Field(
        default=0, description="closed because the person became a case or was withdrawn"
    )


class TasksGeneratedOut(BaseModel):
    """Follow-up-call tasks made from non-reporters."""

    division_id: int
    non_reporters: int
    tasks_created: int


class VisitTasksOut(BaseModel):
    """First home visits made for people newly under observation."""

    division_id: int
    tasks_created: int
