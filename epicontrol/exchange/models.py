"""Grants, API keys and exchange request statistics (helper H)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class GrantStatus(StrEnum):
    """Where an agency's request for a dataset stands."""

    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    REVOKED = "revoked"


class Grant(Base):
    """An agency's right to one dataset: which fields, which divisions, why, until when."""

    __tablename__ = "exchange_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "public_security"
    dataset: Mapped[str] = mapped_column(String(40))
    # Comma-joined: the fields and divisions are few and always read whole with the grant.
    fields: Mapped[str] = mapped_column(Text)
    division_ids: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(400))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=GrantStatus.REQUESTED.value)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(400), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def field_list(self) -> list[str]:
        """The granted (or requested) fields in their stored order."""
        return [f for f in self.fields.split(",") if f]

    @property
    def division_id_list(self) -> list[int]:
        """The divisions whose subtrees the grant covers."""
        return [int(d) for d in self.division_ids.split(",") if d]


class ApiKey(Base):
    """A machine client's key: only its HMAC is stored; `prefix` finds the row."""

    __tablename__ = "exchange_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(40), index=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set on rotation: the old key keeps working until then (the grace period).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("exchange_api_keys.id"))


class ApiKeyGrant(Base):
    """Which grants a key may use."""

    __tablename__ = "exchange_api_key_grants"

    api_key_id: Mapped[int] = mapped_column(ForeignKey("exchange_api_keys.id"), primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("exchange_grants.id"), primary_key=True)


class ExchangeRequest(Base):
    """One export or list match, refused or served: the exchange statistics' raw rows."""

    __tablename__ = "exchange_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(40))
    dataset: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(12))  # "export" or "match"
    format: Mapped[str] = mapped_column(String(12), default="")
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_grants.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_api_keys.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[int] = mapped_column(Integer)  # HTTP status; 499 when the stream was cut
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
