"""Grid-worker tasks as the API shows and takes them."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from epicontrol.tasks.models import TaskKind, TaskStatus


class TaskOut(BaseModel):
    """A task with the masked name of its resident and whether it is overdue."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: TaskKind
    division_id: int
    division_name: str
    resident_id: int | None
    name_masked: str | None
    household_id: int | None
    assignee: str | None
    title: str
    due_at: datetime
    status: TaskStatus
    is_overdue: bool
    source_ref: str | None
    completion_notes: str
    completed_by: str | None
    completed_at: datetime | None


class TasksOut(BaseModel):
    """A list of tasks with the counts a grid worker's page shows."""

    open: int
    overdue: int
    tasks: list[TaskOut]


class TaskCompletion(BaseModel):
    """What the grid worker found or did: required, it is the record of the visit or call."""

    notes: str = Field(min_length=1, max_length=1000)


class TaskCancellation(BaseModel):
    """Why a task is no longer needed."""

    reason: str = Field(min_length=1, max_length=400)


class TaskIn(BaseModel):
    """A task an officer gives a grid by hand (a delivery to a quarantined household, say)."""

    model_config = ConfigDict(extra="forbid")

    kind: TaskKind
    division_id: int = Field(description="the grid; its grid worker gets the task")
    resident_id: int | None = None
    household_id: int | None = None
    title: str = Field(min_length=1, max_length=200)
    due_at: AwareDatetime


class GridWorkOut(BaseModel):
    """One grid's tasks as an officer tracks them: open, overdue (and the oldest's age), done
    today."""

    division_id: int
    division_name: str
    parent_name: str = Field(description="the community the grid belongs to")
    grid_worker: str | None
    open: int
    overdue: int
    oldest_overdue_due_at: datetime | None
    oldest_overdue_hours: float | None
    done_today: int


class GridsWorkOut(BaseModel):
    """Grids of the caller's scope with open tasks or work done today, overdue first."""

    as_of: datetime
    open: int
    overdue: int
    done_today: int
    grids: list[GridWorkOut]
