"""Case shapes accepted and returned by the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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
