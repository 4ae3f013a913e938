"""Shapes of passes, risk statuses and appeals in the API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class PassOut(BaseModel):
    """A resident's pass: the payload to show as QR, and the current colour."""

    pass_id: str
    resident_id: int
    issued_at: datetime
    payload: str
    colour: str


class RevokeIn(BaseModel):
    """Why a pass is revoked."""

    reason: str = Field(min_length=1, max_length=200)


class RevokedOut(BaseModel):
    """Pass ids checkpoints must refuse."""

    pass_ids: list[str]


class EvidenceOut(BaseModel):
    """One record behind a status: where it is, which rule it met, and until when it counts."""

    model_config = ConfigDict(from_attributes=True)

    rule: str
    colour: str
    source_table: str
    source_id: int
    reason: str
    since: datetime
    expires_at: datetime | None
    overridden_until: datetime | None
    counts: bool = Field(description="whether the record sets the colour now")


class AppealOut(BaseModel):
    """An appeal and, once decided, the decision."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    resident_id: int
    state: str
    reason: str
    colour_appealed: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    override_colour: str | None
    override_until: datetime | None


class RiskStatusOut(BaseModel):
    """A resident's risk status (健康码), the plain reason and the records that produced it."""

    resident_id: int
    colour: str
    reason: str
    computed_at: datetime
    changes_at: datetime | None = Field(description="when a record behind it next expires")
    evidence: list[EvidenceOut]
    appeals: list[AppealOut] = []


class AppealIn(BaseModel):
    """A resident's appeal: why they think the status is wrong."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=5, max_length=1000)


class Decision(StrEnum):
    """What an officer decides on an appeal."""

    UPHOLD = "uphold"  # the status stands
    CORRECT = "correct"  # an override colour until a moment


class AppealDecisionIn(BaseModel):
    """An officer's decision; a correction names the colour, its reason and its expiry."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    note: str = Field(
        min_length=3, max_length=1000, description="the reason, shown to the resident"
    )
    colour: Literal["green", "yellow", "red"] | None = None
    until: AwareDatetime | None = Field(default=None, description="when the correction ends")
