"""Request and response bodies of enterprise resumption."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from epicontrol.enterprises.models import ApplicationStatus, Category

# Protective measures a company ticks (防控措施): the checklist officers look for.
MEASURES: dict[str, str] = {
    "temperature_checks": "每日体温检测 Daily temperature checks",
    "masks_supplied": "口罩发放 Masks supplied to staff",
    "disinfection": "定时消毒 Regular disinfection",
    "staggered_canteen": "错峰就餐 Staggered canteen",
    "isolation_room": "临时隔离室 Temporary isolation room",
    "closed_management": "封闭管理 Closed-site management",
}
CATEGORY_LABELS: dict[Category, str] = {
    Category.MEDICAL_SUPPLIES: "防疫物资 Medical supplies",
    Category.DAILY_NECESSITIES: "生活必需品 Daily necessities",
    Category.UTILITIES_TRANSPORT: "公用事业与交通 Utilities and transport",
    Category.MAJOR_INDUSTRY: "重点工业企业 Other major industry",
    Category.OTHER: "其他 Others",
}
NOTES_MAX_CHARS = 500  # resumption_phases.notes is VARCHAR(500)


def phase_notes(text: str | None) -> str | None:
    """A phase's note as stored: line ends as LF (a browser sends a textarea's and a hidden
    field's as CRLF, and the compare-and-set must match what was stored), trimmed, None if
    empty. Too long or holding control characters: ValueError (422), as PostgreSQL refuses NUL."""
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    if len(text) > NOTES_MAX_CHARS:
        raise ValueError(f"notes may be at most {NOTES_MAX_CHARS} characters, not {len(text)}")
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise ValueError("notes may not contain control characters")
    return text


class CompanyIn(BaseModel):
    """A company's registration by its representative."""

    name: str = Field(min_length=2, max_length=200)
    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码, 18 chars")
    sector: str = Field(min_length=1, max_length=80)
    category: Category
    division_id: int
    workforce: int = Field(ge=1, le=1_000_000)
    measures: list[str] = Field(default_factory=list)
    measures_note: str = Field(default="", max_length=2000)


class ResidenceCount(BaseModel):
    """Employees living in one division (street level), or not found in the register."""

    division_id: int | None
    name: str
    employees: int


class EmployeeCheck(BaseModel):
    """An employee list matched against the residents and their current risk status."""

    employees: int
    green: int
    yellow: int
    red: int
    unknown: int = Field(description="not found in the resident register")
    residence: list[ResidenceCount]
    uploaded_at: datetime | None


class FlaggedEmployee(BaseModel):
    """An employee who is not green, as an officer sees them: the masked name only."""

    name_masked: str
    colour: str


class ApplicationOut(BaseModel):
    """A resumption application with its company."""

    id: int
    enterprise_id: int
    company: str
    credit_code: str
    sector: str
    category: Category
    division_id: int
    division_name: str
    workforce: int
    measures: list[str]
    measures_note: str
    status: ApplicationStatus
    version: int
    phase_number: int | None
    submitted_at: datetime
    decided_at: datetime | None
    approved_on: date | None
    reason: str
    yellow_measure: str


class CompanyOut(BaseModel):
    """The caller's company, its application (if any) and its employee check."""

    id: int
    name: str
    credit_code: str
    sector: str
    category: Category
    division_id: int
    division_name: str
    workforce: int
    measures: list[str]
    measures_note: str
    application: ApplicationOut | None
    check: EmployeeCheck


class ApplicationDetail(BaseModel):
    """What an officer sees to decide: the application, the check, the flagged employees."""

    application: ApplicationOut
    check: EmployeeCheck
    flagged: list[FlaggedEmployee]
    phases: list[PhaseOut] = Field(description="open phases that admit the company's category")


class Decision(StrEnum):
    """What an officer decides."""

    APPROVE = "approve"
    REFUSE = "refuse"
    SUSPEND = "suspend"


class DecisionIn(BaseModel):
    """A decision on an application seen at `version` (compare-and-set)."""

    decision: Decision
    version: int
    phase_id: int | None = None
    reason: str = Field(default="", max_length=400)
    yellow_measure: str = Field(default="", max_length=400)


class PhaseIn(BaseModel):
    """A phase of resumption for a division's subtree: approvals from `opens_on`, and before
    `closes_on` when it has one (the day it closed, or closes, early). `notes`: what it is for
    (trimmed, at most NOTES_MAX_CHARS; empty is None; omitted in an edit clears it)."""

    division_id: int
    number: int = Field(ge=1, le=99)
    opens_on: date
    closes_on: date | None = None
    categories: list[Category] = Field(min_length=1)
    notes: str | None = None

    @field_validator("notes")
    @classmethod
    def _notes_as_stored(cls, notes: str | None) -> str | None:
        return phase_notes(notes)

    @model_validator(mode="after")
    def _closes_after_opening(self) -> PhaseIn:
        if self.closes_on is not None and self.closes_on < self.opens_on:
            raise ValueError(f"a phase cannot close ({self.closes_on}) before it opens")
        return self


class PhaseSeen(BaseModel):
    """The phase as the officer read it: a change applies only if it is still so
    (compare-and-set on the values, the table has no version column)."""

    seen: PhaseIn


class PhaseEditIn(PhaseIn):
    """A phase's new values, and the values the officer read."""

    seen: PhaseIn


class PhaseOut(BaseModel):
    """A configured phase."""

    id: int
    division_id: int
    division_name: str
    number: int
    opens_on: date
    closes_on: date | None
    categories: list[Category]
    notes: str | None = None
    is_open: bool = Field(description="approvals possible today: opened, and not closed")
    is_closed: bool
    is_editable: bool = Field(
        default=False, description="the caller may change it (its division is in their area)"
    )


class WhitelistEntry(BaseModel):
    """A company on the published whitelist (复工白名单)."""

    company: str
    sector: str
    category: Category
    division: str
    phase: int
    phase_notes: str | None = Field(default=None, description="what the phase is for")
    approved_on: date


ApplicationDetail.model_rebuild()
