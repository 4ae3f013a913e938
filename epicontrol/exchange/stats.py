"""Exchange statistics: each export or match logged, summed by day, agency and dataset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.exchange.models import ExchangeRequest

if TYPE_CHECKING:
    import plotly.graph_objects as go

MAX_DAYS = 92


@dataclass(frozen=True, slots=True)
class Logged:
    """What one request did, for the statistics table."""

    agency: str
    dataset: str
    kind: str
    format: str = ""
    grant_id: int | None = None
    api_key_id: int | None = None
    user_id: int | None = None
    status: int = 200
    rows: int = 0
    bytes: int = 0
    duration_ms: int = 0
    note: str = ""


def log(sessions: sessionmaker[Session], entry: Logged, *, at: datetime | None = None) -> None:
    """Store one request in its own transaction (it must survive the request's rollback)."""
    with sessions() as db:
        db.add(
            ExchangeRequest(
                agency=entry.agency,
                dataset=entry.dataset,
                kind=entry.kind,
                format=entry.format,
                grant_id=entry.grant_id,
                api_key_id=entry.api_key_id,
                user_id=entry.user_id,
                status=entry.status,
                rows=entry.rows,
                bytes=entry.bytes,
                duration_ms=entry.duration_ms,
                note=entry.note[:200],
                started_at=at or utcnow(),
            )
        )
        db.commit()


@dataclass(frozen=True, slots=True)
class DayLine:
    """One day, agency and dataset: requests served and refused, rows and bytes sent."""

    day: date
    agency: str
    dataset: str
    requests: int
    refused: int
    rows: int
    bytes: int


def summary(db: Session, *, days: int = 30, now: datetime | None = None) -> list[DayLine]:
    """The last `days` local days, summed in Python by local day (a few rows per request)."""
    days = max(1, min(days, MAX_DAYS))
    now = now or utcnow()
    since = now - timedelta(days=days)
    query = (
        select(
            ExchangeRequest.started_at,
            ExchangeRequest.agency,
            ExchangeRequest.dataset,
            ExchangeRequest.status,
            ExchangeRequest.rows,
            ExchangeRequest.bytes,
        )
        .where(ExchangeRequest.started_at >= since)
        .order_by(ExchangeRequest.started_at)
    )
    totals: dict[tuple[date, str, str], list[int]] = {}
    for started_at, agency, dataset, status, rows, size in db.execute(query):
        line = totals.setdefault((local_date(started_at), agency, dataset), [0, 0, 0, 0])
        line[0] += 1
        line[1] += 1 if status >= 400 else 0
        line[2] += rows
        line[3] += size
    return [DayLine(k[0], k[1], k[2], *v) for k, v in sorted(totals.items())]


def total_requests(db: Session) -> int:
    """How many requests were ever logged."""
    return int(db.scalar(select(func.count(ExchangeRequest.id))) or 0)


def figure(lines: list[DayLine], measure: str, title: str) -> go.Figure:
    """Stacked bars per day, one series per agency and dataset, of `measure` (a DayLine field)."""
    import plotly.graph_objects as go

    series: dict[str, dict[date, int]] = {}
    for line in lines:
        series.setdefault(f"{line.agency} · {line.dataset}", {})[line.day] = getattr(line, measure)
    chart = go.Figure()
    for name, values in sorted(series.items()):
        days = sorted(values)
        chart.add_bar(name=name, x=[d.isoformat() for d in days], y=[values[d] for d in days])
    chart.update_layout(
        barmode="stack",
        title=title,
        height=340,
        margin={"l": 56, "r": 16, "t": 48, "b": 40},
        legend={"orientation": "h", "x": 0, "y": -0.2},
        plot_bgcolor="#fff",
        paper_bgcolor="#fff",
    )
    return chart


def as_dicts(lines: list[DayLine]) -> list[dict[str, Any]]:
    """The summary as JSON-ready dicts."""
    return [
        {
            "day": line.day.isoformat(),
            "agency": line.agency,
            "dataset": line.dataset,
            "requests": line.requests,
            "refused": line.refused,
            "rows": line.rows,
            "bytes": line.bytes,
        }
        for line in lines
    ]
