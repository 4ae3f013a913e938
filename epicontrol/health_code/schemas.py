"""Pass shapes returned by the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
