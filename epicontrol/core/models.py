"""Tables of the shared infrastructure: users, the audit log, import records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class User(Base):
    """A login. Staff are scoped to a division subtree; a resident user is linked to a resident."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), unique=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One access to personal data or one privileged action. Rows are never updated or deleted
    (database triggers refuse it)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16), default="allowed")
    detail: Mapped[str] = mapped_column(Text, default="")


class ImportRecord(Base):
    """A file imported into the store; its SHA-256 refuses a second import of the same file."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    row_count: Mapped[int] = mapped_column(Integer)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginFailure(Base):
    """A failed login, counted by the login limits of every server process (web/rate_limits.py).

    Keyed hashes of the case-folded username and of the client address, never the clear values.
    A success does not write here; it blanks the username's recent failures only if it had some.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_hash_at", "username_hash", "at"),
        Index("ix_login_failures_client_hash_at", "client_hash", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username_hash: Mapped[str | None] = mapped_column(String(64))
    client_hash: Mapped[str] = mapped_column(String(64))
