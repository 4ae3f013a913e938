"""Tables of record linkage: incoming records, scored candidate pairs, linkage runs.

Identity fields of a record are stored like a resident's: an HMAC for exact lookup and an
AES-GCM ciphertext (core.crypto), never in clear. Birth year and sex are kept plain: they are
derived, coarse, and let the review page and the statistics work without decryption.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class RecordStatus(StrEnum):
    """Where an incoming record stands."""

    PENDING = "pending"  # not yet through a linkage run
    REVIEW = "review"  # uncertain candidates wait for a person
    LINKED = "linked"  # linked to a resident, automatically or by review
    UNMATCHED = "unmatched"  # no candidate good enough, or every candidate rejected


class PairState(StrEnum):
    """A candidate pair's state."""

    AUTO_LINKED = "auto_linked"
    REVIEW = "review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # another candidate of the record was accepted


class LinkageRun(Base):
    """One linkage run: who started it, over how many records and residents, what it found."""

    __tablename__ = "linkage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    records: Mapped[int] = mapped_column(Integer, default=0)
    candidates: Mapped[int] = mapped_column(Integer, default=0)  # residents compared against
    # Pairs Splink scored at or above the review threshold (the rest are not kept).
    candidate_pairs: Mapped[int] = mapped_column(Integer, default=0)
    auto_linked: Mapped[int] = mapped_column(Integer, default=0)
    queued_for_review: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    # The thresholds and parameter source in force, so a later reader knows what decided.
    parameters: Mapped[str] = mapped_column(Text, default="")


class LinkageRecord(Base):
    """A clinic registration, medical-record extract or inspection record to link to a resident."""

    __tablename__ = "linkage_records"
    __table_args__ = (UniqueConstraint("source", "source_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The sender's own reference (clinic visit number, file and row): repeats are refused.
    source_ref: Mapped[str] = mapped_column(String(120))
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    name_masked: Mapped[str] = mapped_column(String(40), default="")
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    birth_date_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.PENDING.value, index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    linked_by: Mapped[str | None] = mapped_column(String(12))  # "auto" or "review"
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkagePair(Base):
    """A scored (record, resident) candidate with its weights, and the decision on it."""

    __tablename__ = "linkage_pairs"
    __table_args__ = (UniqueConstraint("record_id", "resident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("linkage_records.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("linkage_runs.id"), index=True)
    match_weight: Mapped[float] = mapped_column(Float)
    match_probability: Mapped[float] = mapped_column(Float)
    # JSON: the prior and each comparison's level and weight (the waterfall, as numbers).
    weights: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
