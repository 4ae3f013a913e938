"""Cases: suspected and confirmed infections (病例), the input of contact tracing."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class CaseStatus(StrEnum):
    """Where a case stands; changes follow TRANSITIONS only."""

    SUSPECTED = "suspected"  # 疑似病例
    CONFIRMED = "confirmed"  # 确诊病例: a positive test and symptoms
    ASYMPTOMATIC = "asymptomatic"  # 无症状感染者: a positive test, no symptoms
    RECOVERED = "recovered"  # 治愈出院
    DECEASED = "deceased"  # 死亡
    DISCARDED = "discarded"  # 排除: a suspected case ruled out (negative tests)


# Every allowed change of status, in one table (China NHC, COVID-19 Prevention and Control Plan,
# 6th edition: a suspected case is confirmed or found an asymptomatic infection by a positive
# test; an asymptomatic infection who develops symptoms is reclassified as confirmed ("转确诊");
# recovery and death end a case; a suspected case with two negative nucleic-acid tests 24 h
# apart is ruled out, "排除疑似病例", and the case is closed as discarded).
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.SUSPECTED: frozenset(
        {CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC, CaseStatus.DISCARDED}
    ),
    CaseStatus.ASYMPTOMATIC: frozenset({CaseStatus.CONFIRMED, CaseStatus.RECOVERED}),
    CaseStatus.CONFIRMED: frozenset({CaseStatus.RECOVERED, CaseStatus.DECEASED}),
    CaseStatus.RECOVERED: frozenset(),
    CaseStatus.DECEASED: frozenset(),
    CaseStatus.DISCARDED: frozenset(),
}

# States a case may be reported in: a case found by a test need not pass through "suspected".
INITIAL_STATUSES = frozenset({CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC})
# Infections whose contacts are traced (an infected person exposes others).
TRACED_STATUSES = frozenset({CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC})
# Cases still open: a resident has at most one of these at a time.
OPEN_STATUSES = frozenset({CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC})


class Case(Base):
    """One case of one resident; `division_id` is the resident's grid, which scopes access."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(24), unique=True)  # e.g. C2026-000123
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    onset_date: Mapped[date | None] = mapped_column(Date)
    sampling_date: Mapped[date | None] = mapped_column(Date)
    report_date: Mapped[date] = mapped_column(Date)
    isolated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Investigation(Base):
    """The epidemiological investigation (流行病学调查) of a case: one form per case, edited in
    place; its travel history is kept in TravelEntry rows."""

    __tablename__ = "case_investigations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    exposure_summary: Mapped[str] = mapped_column(Text, default="")
    symptoms: Mapped[str] = mapped_column(String(400), default="")  # rules.SYMPTOMS, comma-joined
    investigated_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TravelEntry(Base):
    """One stay of a case's travel history: a known place, or a venue made for a place named
    in free text (`place_text`). Each entry is also stored as an "in" and an "out" movement of
    kind "investigation" (investigations.py), which is how tracing reads it."""

    __tablename__ = "case_travel_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    place_text: Mapped[str] = mapped_column(String(300), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")


class RegistrationStatus(StrEnum):
    """Where a fever-clinic registration stands."""

    WAITING = "waiting"  # registered, no sample yet
    SAMPLED = "sampled"  # sample taken, result pending
    POSITIVE = "positive"  # positive: moved into the case list
    NEGATIVE = "negative"  # negative: closed


class ClinicRegistration(Base):
    """A patient registered at a fever clinic (发热门诊登记). Identity fields are stored hashed
    and encrypted only; `resident_id` is NULL until the patient is linked to a resident (at
    once when the ID number's hash matches, later by record linkage)."""

    __tablename__ = "clinic_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    # The clinic's division: it scopes access (a patient may live anywhere).
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # False when the number fails GB 11643 (mistyped): linkage then leans on the other fields.
    is_id_number_valid: Mapped[bool] = mapped_column(Boolean, default=False)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    name_masked: Mapped[str] = mapped_column(String(40))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    temperature: Mapped[float | None] = mapped_column(Float)
    symptoms: Mapped[str] = mapped_column(String(400), default="")  # rules.SYMPTOMS, comma-joined
    onset_date: Mapped[date | None] = mapped_column(Date)  # as the patient tells it
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    sampled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(8))
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    registered_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by: Mapped[str | None] = mapped_column(String(80))
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
