"""Overdue tracking for officers: per grid of their scope, open tasks, overdue ones with the
age of the oldest, and tasks done today."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from epicontrol.core.auth import Principal
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.divisions.models import Division
from epicontrol.tasks.models import GridTask, TaskStatus
from epicontrol.tasks.schemas import GridsWorkOut, GridWorkOut
from epicontrol.tasks.service import grid_workers

MAX_GRIDS = 300


def work_by_grid(
    db: Session, *, principal: Principal, now: datetime, limit: int = MAX_GRIDS
) -> GridsWorkOut:
    """Per grid of the caller's subtree: open tasks, overdue ones and the oldest overdue's due
    time, tasks done since local midnight; grids with none of these are left out. Overdue
    first, then the longest overdue, then the most open. Counts only: not audited."""
    since = datetime.combine(local_date(now), time(0), LOCAL_TIME)
    is_open = GridTask.status == TaskStatus.OPEN.value
    is_late = and_(is_open, GridTask.due_at < now)
    done_today = and_(GridTask.status == TaskStatus.DONE.value, GridTask.completed_at >= since)
    parent = aliased(Division, name="parent")
    rows = db.execute(
        select(
            GridTask.division_id,
            Division.name,
            parent.name.label("parent_name"),
            func.sum(case((is_open, 1), else_=0)).label("open"),
            func.sum(case((is_late, 1), else_=0)).label("overdue"),
            func.min(case((is_late, GridTask.due_at), else_=None)).label("oldest_due"),
            func.sum(case((done_today, 1), else_=0)).label("done_today"),
        )
        .join(Division, Division.id == GridTask.division_id)
        .outerjoin(parent, parent.id == Division.parent_id)
        .where(
            Division.path.startswith(principal.division_path, autoescape=True),
            or_(is_open, done_today),
        )
        .group_by(GridTask.division_id, Division.name, parent.name)
    ).all()
    workers = grid_workers(db, [row.division_id for row in rows])
    grids = [_grid_out(row, workers.get(row.division_id, (0, None))[1], now) for row in rows]
    grids.sort(key=lambda g: (-g.overdue, -(g.oldest_overdue_hours or 0), -g.open, g.division_name))
    return GridsWorkOut(
        as_of=now,
        open=sum(g.open for g in grids),
        overdue=sum(g.overdue for g in grids),
        done_today=sum(g.done_today for g in grids),
        grids=grids[:limit],
    )


def _grid_out(row: Any, worker: str | None, now: datetime) -> GridWorkOut:
    oldest: datetime | None = row.oldest_due
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands MIN() back as naive UTC
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return GridWorkOut(
        division_id=row.division_id,
        division_name=row.name,
        parent_name=row.parent_name or "",
        grid_worker=worker,
        open=row.open or 0,
        overdue=row.overdue or 0,
        oldest_overdue_due_at=oldest,
        oldest_overdue_hours=round((now - oldest).total_seconds() / 3600, 1) if oldest else None,
        done_today=row.done_today or 0,
    )
