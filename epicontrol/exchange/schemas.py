"""Request and response bodies of the exchange API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from epicontrol.exchange.models import ApiKey, Grant


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
    agency: str = Field(description="e.g. public_security, transport, rail")
    dataset: str
    fields: list[str]
    division_codes: list[str] = Field(description="codes of the divisions whose subtrees it covers")
    purpose: str = Field(max_length=400)
    expires_at: datetime


class GrantDecision(BaseModel):
    approve: bool
    fields: list[str] | None = Field(None, description="a subset of the requested fields")
    division_codes: list[str] | None = Field(None, description="a narrower scope")
    note: str = Field("", max_length=400)


class RevokeIn(BaseModel):
    note: str = Field("", max_length=400)


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
    agency: str
    grant_ids: list[int]
    label: str = Field("", max_length=80)


class KeyRotate(BaseModel):
    grace_hours: float = Field(0, description="how long the old key keeps working; 0 = stops now")


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
