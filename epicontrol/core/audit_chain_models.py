"""The hash chain over the audit log: one seal per audit entry, each linked to the one before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class AuditSeal(Base):
    """Link `seq` of the chain: the HMAC of audit entry `entry_id` and of the previous link.

    No foreign key to audit_log on purpose: a seal whose entry was deleted must survive so that
    verification can name the missing entry.
    """

    __tablename__ = "audit_chain"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
