"""Grid-worker tasks: create (idempotently, by source), assign to the grid's worker, list by
scope, complete with notes, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import in_chunks, insert_ignoring_conflicts
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.models import User
from epicontrol.core.policy import Permission, Role
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.people.models import Household, Resident
from epicontrol.tasks.models import GridTask, TaskKind, TaskStatus
from epicontrol.tasks.schemas import TaskIn, TaskOut, TasksOut

MAX_PAGE = 500
# A task with its grid's name and path, the resident's masked name and the assignee's login.
TaskQuery = Select[GridTask, str, str, str, str]


@dataclass(frozen=True, slots=True)
class NewTask:
    """A task to create; `source_ref` makes its creation idempotent."""

    kind: TaskKind
    division_id: int
    title: str
    due_at: datetime
    resident_id: int | None = None
    household_id: int | None = None
    source_ref: str | None = None


def grid_worker_for(db: Session, *, division_id: int) -> int | None:
    """The user id of the active grid worker scoped to exactly this grid (the first registered,
    if several), or None."""
    return db.scalar(
        select(User.id)
        .where(
            User.division_id == division_id,
            User.role == Role.GRID_WORKER.value,
            User.is_active.is_(True),
        )
        .order_by(User.id)
        .limit(1)
    )


def create(db: Session, *, task: NewTask, created_by: str, now: datetime) -> GridTask | None:
    """Store the task assigned to its grid's worker; None if a task with the same
    `source_ref` exists already (also when another process stored it a moment ago)."""
    if task.source_ref is not None and _by_source(db, task.source_ref) is not None:
        return None
    row = GridTask(
        kind=task.kind.value,
        division_id=task.division_id,
        resident_id=task.resident_id,
        household_id=task.household_id,
        assignee_user_id=grid_worker_for(db, division_id=task.division_id),
        title=task.title[:200],
        due_at=task.due_at,
        status=TaskStatus.OPEN.value,
        source_ref=task.source_ref,
        created_by=created_by[:80],
        created_at=now,
        completion_notes="",
    )
    try:
        # A savepoint: losing a race on source_ref must not undo the caller's other work.
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        return None
    return row


def create_many(db: Session, *, tasks: Sequence[NewTask], created_by: str, now: datetime) -> int:
    """Store generated tasks (each with a `source_ref`) in one statement per chunk, assigned to
    their grids' workers, skipping those stored already, also by a concurrent run a moment ago.
    Returns how many of them exist now that did not before this call."""
    refs = [task.source_ref for task in tasks if task.source_ref is not None]
    if len(refs) != len(tasks):
        raise ValueError("generated tasks need a source_ref: it is what makes them idempotent")
    stored = _existing_refs(db, refs)
    fresh = [task for task in tasks if task.source_ref not in stored]
    workers = grid_workers(db, [task.division_id for task in fresh])
    rows = [
        {
            "kind": task.kind.value,
            "division_id": task.division_id,
            "resident_id": task.resident_id,
            "household_id": task.household_id,
            "assignee_user_id": workers.get(task.division_id, (None, ""))[0],
            "title": task.title[:200],
            "due_at": task.due_at,
            "status": TaskStatus.OPEN.value,
            "source_ref": task.source_ref,
            "created_by": created_by[:80],
            "created_at": now,
            "completion_notes": "",
        }
        for task in fresh
    ]
    insert_ignoring_conflicts(db, GridTask.__table__, rows, key="source_ref")
    return len(_existing_refs(db, [task.source_ref for task in fresh if task.source_ref]))


def _existing_refs(db: Session, refs: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in in_chunks(sorted(set(refs))):
        query = select(GridTask.source_ref).where(GridTask.source_ref.in_(chunk))
        found.update(ref for ref in db.scalars(query) if ref is not None)
    return found


def create_by_hand(db: Session, *, principal: Principal, data: TaskIn, now: datetime) -> TaskOut:
    """An officer's task for a grid in their scope; the resident or household, if named, must
    belong to that grid. Audited."""
    if principal.role == Role.GRID_WORKER:
        raise AccessDenied(
            "grid workers receive tasks; a community officer gives them",
            action=str(Permission.TASK_WORK),
            entity="grid_task",
        )
    grid = divisions.get_in_scope(db, principal=principal, division_id=data.division_id)
    if grid.level != DivisionLevel.GRID.value:
        raise InvalidInput(f"{grid.name} is a {grid.level}, not a grid: tasks go to one grid")
    home = (
        db.scalar(select(Resident.division_id).where(Resident.id == data.resident_id))
        if data.resident_id is not None
        else grid.id
    )
    household = (
        db.scalar(select(Household.division_id).where(Household.id == data.household_id))
        if data.household_id is not None
        else grid.id
    )
    if home != grid.id or household != grid.id:
        raise InvalidInput(f"the resident or household named does not live in {grid.name}")
    task = create(
        db,
        task=NewTask(
            kind=data.kind,
            division_id=grid.id,
            title=data.title.strip(),
            due_at=data.due_at,
            resident_id=data.resident_id,
            household_id=data.household_id,
        ),
        created_by=principal.username,
        now=now,
    )
    assert task is not None  # no source_ref: nothing to collide with
    _audit_change(db, principal, task, "create", {"due_at": data.due_at.isoformat()})
    return get_visible(db, principal=principal, task_id=task.id, now=now, action="task:work")


def list_visible(
    db: Session,
    *,
    principal: Principal,
    now: datetime,
    status: TaskStatus | None = TaskStatus.OPEN,
    mine: bool = False,
    purpose: str = "grid tasks",
    limit: int = MAX_PAGE,
) -> TasksOut:
    """Tasks of the caller's division subtree, soonest due first. `mine`: those assigned to the
    caller plus unassigned ones in their scope. The read is audited."""
    query = _visible(principal)
    if status is not None:
        query = query.where(GridTask.status == status.value)
    if mine:
        query = query.where(
            or_(
                GridTask.assignee_user_id == principal.user_id,
                GridTask.assignee_user_id.is_(None),
            )
        )
    rows = db.execute(query.order_by(GridTask.due_at, GridTask.id).limit(min(limit, MAX_PAGE)))
    tasks = [_out(row, now) for row in rows]
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="grid_task",
        purpose=purpose,
        detail={"count": len(tasks), "status": status.value if status else None, "mine": mine},
    )
    return TasksOut(
        open=sum(t.status == TaskStatus.OPEN for t in tasks),
        overdue=sum(t.is_overdue for t in tasks),
        tasks=tasks,
    )


def get_visible(
    db: Session, *, principal: Principal, task_id: int, now: datetime, action: str
) -> TaskOut:
    """One task if it lies in the caller's subtree; NotFound or AccessDenied (audited)."""
    row = db.execute(_all().where(GridTask.id == task_id)).first()
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    if not principal.covers(row.division_path):
        raise AccessDenied(
            f"task {task_id} belongs to a grid outside your scope",
            action=action,
            entity="grid_task",
            entity_id=str(task_id),
        )
    return _out(row, now)


def complete(
    db: Session, *, principal: Principal, task_id: int, notes: str, now: datetime
) -> TaskOut:
    """Mark an open task done with the worker's notes; audited."""
    task = _workable(db, principal, task_id, now)
    text = notes.strip()
    if not text:
        raise InvalidInput("notes are required: say what was found or done")
    task.status = TaskStatus.DONE.value
    task.completion_notes = text[:1000]
    task.completed_by = principal.username
    task.completed_at = now
    _audit_change(db, principal, task, "complete", {"notes_chars": len(text)})
    return get_visible(db, principal=principal, task_id=task_id, now=now, action="task:work")


def cancel(
    db: Session, *, principal: Principal, task_id: int, reason: str, now: datetime
) -> TaskOut:
    """Cancel an open task (officers only: a grid worker completes what they were given)."""
    if principal.role == Role.GRID_WORKER:
        raise AccessDenied(
            "a grid worker cannot cancel a task; ask the community officer",
            action=str(Permission.TASK_WORK),
            entity="grid_task",
            entity_id=str(task_id),
        )
    task = _workable(db, principal, task_id, now)
    if not reason.strip():
        raise InvalidInput("a reason is required to cancel a task")
    task.status = TaskStatus.CANCELLED.value
    task.completion_notes = reason.strip()[:1000]
    task.completed_by = principal.username
    task.completed_at = now
    _audit_change(db, principal, task, "cancel", {"reason": reason.strip()[:200]})
    return get_visible(db, principal=principal, task_id=task_id, now=now, action="task:work")


def grid_workers(db: Session, grid_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The first active grid worker of each grid (user id, login), as grid_worker_for picks."""
    workers: dict[int, tuple[int, str]] = {}
    for chunk in in_chunks(sorted(set(grid_ids))):
        query = (
            select(User.division_id, User.id, User.username)
            .where(
                User.division_id.in_(chunk),
                User.role == Role.GRID_WORKER.value,
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
        for grid_id, user_id, username in db.execute(query):
            if grid_id is not None:
                workers.setdefault(grid_id, (user_id, username))
    return workers


def _workable(db: Session, principal: Principal, task_id: int, now: datetime) -> GridTask:
    action = str(Permission.TASK_WORK)
    seen = get_visible(db, principal=principal, task_id=task_id, now=now, action=action)
    task = db.get(GridTask, task_id)
    assert task is not None  # get_visible found it
    if seen.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is already {seen.status.value}")
    assigned_elsewhere = task.assignee_user_id not in (None, principal.user_id)
    if principal.role == Role.GRID_WORKER and assigned_elsewhere:
        raise AccessDenied(
            f"task {task_id} is assigned to another grid worker",
            action=action,
            entity="grid_task",
            entity_id=str(task_id),
        )
    return task


def _audit_change(
    db: Session, principal: Principal, task: GridTask, action: str, detail: dict[str, Any]
) -> None:
    audit.record(
        db,
        actor=principal,
        action=action,
        entity="grid_task",
        entity_id=task.id,
        purpose="grid tasks",
        detail={"kind": task.kind, "resident_id": task.resident_id, **detail},
    )


def _by_source(db: Session, source_ref: str) -> GridTask | None:
    return db.scalar(select(GridTask).where(GridTask.source_ref == source_ref))


def _all() -> TaskQuery:
    assignee = aliased(User, name="assignee")
    query: TaskQuery = (
        select(
            GridTask,
            Division.name.label("division_name"),
            Division.path.label("division_path"),
            Resident.name_masked,
            assignee.username.label("assignee"),
        )
        .join(Division, Division.id == GridTask.division_id)
        .outerjoin(Resident, Resident.id == GridTask.resident_id)
        .outerjoin(assignee, assignee.id == GridTask.assignee_user_id)
    )
    return query


def _visible(principal: Principal) -> TaskQuery:
    return _all().where(Division.path.startswith(principal.division_path, autoescape=True))


def _out(row: Any, now: datetime) -> TaskOut:
    task: GridTask = row.GridTask
    return TaskOut(
        id=task.id,
        kind=TaskKind(task.kind),
        division_id=task.division_id,
        division_name=row.division_name,
        resident_id=task.resident_id,
        name_masked=row.name_masked,
        household_id=task.household_id,
        assignee=row.assignee,
        title=task.title,
        due_at=task.due_at,
        status=TaskStatus(task.status),
        is_overdue=task.status == TaskStatus.OPEN.value and task.due_at < now,
        source_ref=task.source_ref,
        completion_notes=task.completion_notes,
        completed_by=task.completed_by,
        completed_at=task.completed_at,
    )
