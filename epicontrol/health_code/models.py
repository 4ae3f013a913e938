"""Personal QR passes: a pseudonymous id per resident, signed, revocable and reissuable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class PersonalPass(Base):
    """A pass issued to a resident. `pass_id` is the only identifier the QR carries."""

    __tablename__ = "personal_passes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pass_id: Mapped[str] = mapped_column(String(32), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")
