"""Request and response bodies of the exchange API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from epicontrol.exchange.models import ApiKey, Grant


def _printable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no purpose or note needs control characters.
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_printable)]
Name = Annotated[str, Field(max_length=64), AfterValidator(_printable)]
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]


class FieldOut(BaseModel):
    name: str
    kind: str
    description: str
    identity: bool


class DatasetOut(BaseModel):
    name: str
    title: str
    description: str
    division_field: str
    is_personal: bool
    is_exportable: bool
    fields: list[FieldOut]


class GrantRequest(BaseModel):
    agency: Name = Field(description="e.g. public_security, transport, rail")
    dataset: Name
    fields: list[Name] = Field(max_length=50)
    division_codes: list[Name] = Field(
        max_length=200, description="codes of the divisions whose subtrees it covers"
    )
    purpose: Text = Field(max_length=400)
    expires_at: datetime


class GrantDecision(BaseModel):
    approve: bool
    fields: list[Name] | None = Field(None, max_length=50, description="a subset of the fields")
    division_codes: list[Name] | None = Field(None, max_length=200, description="a narrower scope")
    note: Text = Field("", max_length=400)


class RevokeIn(BaseModel):
    note: Text = Field("", max_length=400)


class GrantOut(BaseModel):
    id: int
    agency: str
    dataset: str
    fields: list[str]
    division_codes: list[str]
    purpose: str
    expires_at: datetime
    status: str
    requested_by: int
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str
    revoked_at: datetime | None

    @classmethod
    def of(cls, grant: Grant, division_codes: list[str]) -> GrantOut:
        return cls(
            id=grant.id,
            agency=grant.agency,
            dataset=grant.dataset,
            fields=grant.field_list,
            division_codes=division_codes,
            purpose=grant.purpose,
            expires_at=grant.expires_at,
            status=grant.status,
            requested_by=grant.requested_by,
            requested_at=grant.requested_at,
            decided_by=grant.decided_by,
            decided_at=grant.decided_at,
            decision_note=grant.decision_note,
            revoked_at=grant.revoked_at,
        )


class KeyCreate(BaseModel):
    agency: Name
    grant_ids: list[Id] = Field(max_length=50)
    label: Text = Field("", max_length=80)


class KeyRotate(BaseModel):
    grace_hours: float = Field(
        0, ge=0, le=72, description="how long the old key keeps working; 0 = stops now"
    )


class KeyOut(BaseModel):
    id: int
    agency: str
    label: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by: int | None
    grant_ids: list[int]

    @classmethod
    def of(cls, key: ApiKey, grant_ids: list[int]) -> KeyOut:
        return cls(
            id=key.id,
            agency=key.agency,
            label=key.label,
            prefix=key.prefix,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            replaced_by=key.replaced_by,
            grant_ids=grant_ids,
        )


class IssuedKeyOut(KeyOut):
    key: str = Field(description="the key itself: shown this once, store it safely")


class MatchOut(BaseModel):
    grant_id: int
    rows: int
    matched: list[dict[str, object]] = Field(
        description="{'row': CSV line number (header = 1)} and, if granted, 'colour'"
    )


class StatsLine(BaseModel):
    day: str
    agency: str
    dataset: str
    requests: int
    refused: int
    rows: int
    bytes: int
