"""Grid-worker tasks: a visit, a call or a delivery for a resident or household of one grid."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class TaskKind(StrEnum):
    """What the grid worker is asked to do."""

    DOOR_TO_DOOR_VISIT = "door_to_door_visit"  # 上门走访
    FOLLOW_UP_CALL = "follow_up_call"  # 电话随访
    DELIVERY = "delivery"  # 代购配送 to a quarantined household


class TaskStatus(StrEnum):
    """Life of a task: open until done or cancelled."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class GridTask(Base):
    """One task for the grid worker of a grid. `source_ref` names what generated it (for
    example "not_reporting:12:2020-02-03"); being unique, generating twice stores one task."""

    __tablename__ = "grid_tasks"
    __table_args__ = (
        Index("ix_grid_tasks_division_status_due", "division_id", "status", "due_at"),
        Index("ix_grid_tasks_assignee_status", "assignee_user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN.value)
    source_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completion_notes: Mapped[str] = mapped_column(String(1000), default="")
    completed_by: Mapped[str | None] = mapped_column(String(80))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
