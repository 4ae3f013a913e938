"""Housing-estate health registration as the API shows and takes it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from epicontrol.divisions.estate_models import HouseholdStatus


class EstateSort(StrEnum):
    """How the list of estates is ordered."""

    NAME = "name"
    CASES = "cases"  # most households with a case first


class RegistrationIn(BaseModel):
    """What the grid worker found at the door."""

    model_config = ConfigDict(extra="forbid")

    # A household of more than 30 at one door is a typing error, not a family.
    members_present: int = Field(ge=0, le=30, description="household members at home")
    has_fever_or_symptoms: bool
    has_arrival_from_outside: bool = Field(
        description="anyone back from outside the city within the last 14 days"
    )
    note: str = Field(default="", max_length=400)


class RegistrationOut(BaseModel):
    """One stored visit."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    household_id: int
    registered_by: str
    registered_at: datetime
    members_present: int
    has_fever_or_symptoms: bool
    has_arrival_from_outside: bool
    note: str


class HouseholdOut(BaseModel):
    """A household of an estate with its live status, masked member names and latest visit."""

    id: int
    division_id: int
    division_name: str
    status: HouseholdStatus
    residents: int
    members: list[str] = Field(description="masked names")
    latest: RegistrationOut | None
    is_registered_recently: bool


class EstateSummaryOut(BaseModel):
    """An estate's figures over the households the caller may see."""

    id: int
    name: str
    division_id: int
    division_name: str
    households: int
    registered: int
    registered_recently: int = Field(description="registered within the last 7 days")
    normal: int
    under_observation: int
    cases: int = Field(description="households with a member who has an open case")
    residents: int
    fever_reported: int = Field(description="latest visit found fever or symptoms")
    arrivals_reported: int = Field(description="latest visit found an arrival from outside")
    is_partial: bool = Field(description="only the households of the caller's grid are counted")


class EstatesOut(BaseModel):
    """One page of the estates in the caller's scope."""

    total: int
    page: int
    page_size: int
    name: str
    sort: EstateSort
    estates: list[EstateSummaryOut]


class EstateOut(BaseModel):
    """An estate's summary and one page of its households, most serious first."""

    summary: EstateSummaryOut
    as_of: datetime
    status: HouseholdStatus | None
    page: int
    page_size: int
    listed_total: int
    households: list[HouseholdOut]
