"""Cases: suspected and confirmed infections (病例), the input of contact tracing."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class CaseStatus(StrEnum):
    """Where a case stands; changes follow TRANSITIONS only."""

    SUSPECTED = "suspected"  # 疑似病例
    CONFIRMED = "confirmed"  # 确诊病例: a positive test and symptoms
    ASYMPTOMATIC = "asymptomatic"  # 无症状感染者: a positive test, no symptoms
    RECOVERED = "recovered"  # 治愈出院
    DECEASED = "deceased"  # 死亡


# Every allowed change of status, in one table (China NHC, COVID-19 Prevention and Control Plan,
# 6th edition: a suspected case is confirmed or found an asymptomatic infection by a positive
# test; an asymptomatic infection who develops symptoms is reclassified as confirmed ("转确诊");
# recovery and death end a case). A suspected case ruled out has no state yet: the
# investigations issue adds "discarded" (排除).
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.SUSPECTED: frozenset({CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC}),
    CaseStatus.ASYMPTOMATIC: frozenset({CaseStatus.CONFIRMED, CaseStatus.RECOVERED}),
    CaseStatus.CONFIRMED: frozenset({CaseStatus.RECOVERED, CaseStatus.DECEASED}),
    CaseStatus.RECOVERED: frozenset(),
    CaseStatus.DECEASED: frozenset(),
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
