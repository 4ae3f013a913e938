"""Grid-worker tasks: the API and the phone-first task list page.

- GET  /api/tasks                      tasks of the caller's scope (status, mine)
- POST /api/tasks                      an officer gives a grid a task by hand
- GET  /api/tasks/by-grid               per grid: open, overdue (oldest), done today; overdue first
- GET  /api/tasks/{task_id}            one task
- POST /api/tasks/{task_id}/complete   done, with notes
- POST /api/tasks/{task_id}/cancel     cancelled, with a reason (officers)
- GET  /tasks                          my open tasks, overdue highlighted; officers also see
                                       their grids with overdue ones first
- POST /tasks/{task_id}/complete       the page's form; an HTMX request gets the task's fragment
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, require
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, Role, is_allowed
from epicontrol.tasks import service, workload
from epicontrol.tasks.models import TaskKind, TaskStatus
from epicontrol.tasks.schemas import (
    GridsWorkOut,
    TaskCancellation,
    TaskCompletion,
    TaskIn,
    TaskOut,
    TasksOut,
)
from epicontrol.web.templating import render

router = APIRouter()
TaskReader = Annotated[Principal, Depends(require(Permission.TASK_READ))]
TaskWorker = Annotated[Principal, Depends(require(Permission.TASK_WORK))]

# Strings shown to people, Chinese with the English beside; move to the catalogue when it exists.
KIND_LABELS = {
    TaskKind.DOOR_TO_DOOR_VISIT.value: "上门走访 door-to-door visit",
    TaskKind.FOLLOW_UP_CALL.value: "电话随访 follow-up call",
    TaskKind.DELIVERY.value: "配送 delivery",
}
STATUS_LABELS = {
    TaskStatus.OPEN.value: "待办 open",
    TaskStatus.DONE.value: "已完成 done",
    TaskStatus.CANCELLED.value: "已取消 cancelled",
}


@router.get("/api/tasks", tags=["tasks"])
def list_tasks(
    db: DbSession,
    principal: TaskReader,
    purpose: Purpose,
    status: TaskStatus | None = TaskStatus.OPEN,
    mine: bool = False,
) -> TasksOut:
    """Tasks of the caller's division subtree, soonest due first (masked names); audited."""
    return service.list_visible(
        db, principal=principal, now=utcnow(), status=status, mine=mine, purpose=purpose
    )


@router.post("/api/tasks", status_code=201, tags=["tasks"])
def create_task(db: DbSession, principal: TaskWorker, data: TaskIn) -> TaskOut:
    """A task for one grid in the caller's scope, assigned to that grid's worker."""
    return service.create_by_hand(db, principal=principal, data=data, now=utcnow())


@router.get("/api/tasks/by-grid", tags=["tasks"])
def tasks_by_grid(db: DbSession, principal: TaskReader) -> GridsWorkOut:
    """Per grid of the caller's scope: open, overdue with the oldest's age, done today."""
    return workload.work_by_grid(db, principal=principal, now=utcnow())


@router.get("/api/tasks/{task_id}", tags=["tasks"])
def read_task(db: DbSession, principal: TaskReader, purpose: Purpose, task_id: int) -> TaskOut:
    """One task of the caller's scope; audited."""
    task = service.get_visible(
        db, principal=principal, task_id=task_id, now=utcnow(), action=str(Permission.TASK_READ)
    )
    audit.record(
        db, actor=principal, action="read", entity="grid_task", entity_id=task_id, purpose=purpose
    )
    return task


@router.post("/api/tasks/{task_id}/complete", tags=["tasks"])
def complete_task(
    db: DbSession, principal: TaskWorker, task_id: int, data: TaskCompletion
) -> TaskOut:
    """Mark an open task done with what was found or done."""
    return service.complete(
        db, principal=principal, task_id=task_id, notes=data.notes, now=utcnow()
    )


@router.post("/api/tasks/{task_id}/cancel", tags=["tasks"])
def cancel_task(
    db: DbSession, principal: TaskWorker, task_id: int, data: TaskCancellation
) -> TaskOut:
    """Cancel an open task (community officers and admins)."""
    return service.cancel(
        db, principal=principal, task_id=task_id, reason=data.reason, now=utcnow()
    )


@router.get("/tasks", include_in_schema=False)
def tasks_page(request: Request, db: DbSession, principal: TaskReader) -> Response:
    """My open tasks (a grid worker's, or all open ones of an officer's scope), phone-first."""
    mine = principal.role == Role.GRID_WORKER
    now = utcnow()
    listed = service.list_visible(
        db, principal=principal, now=now, mine=mine, purpose="task list page"
    )
    context = {
        "listed": listed,
        "by_grid": None if mine else workload.work_by_grid(db, principal=principal, now=now),
        "mine": mine,
        "can_work": is_allowed(principal.role, Permission.TASK_WORK),
        "kinds": KIND_LABELS,
        "statuses": STATUS_LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "tasks_mine.html", context)


@router.post("/tasks/{task_id}/complete", include_in_schema=False)
def complete_from_page(
    request: Request,
    db: DbSession,
    principal: TaskWorker,
    task_id: int,
    notes: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The page's completion form: the task's new fragment for HTMX, else back to the list."""
    task = service.complete(db, principal=principal, task_id=task_id, notes=notes, now=utcnow())
    if request.headers.get("hx-request") != "true":
        return RedirectResponse("/tasks", status_code=303)
    context = {
        "task": task,
        "can_work": True,
        "kinds": KIND_LABELS,
        "statuses": STATUS_LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "tasks_item.html", context)
