"""The epidemiologist's workbench pages: the case line list and one case with its contacts,
their follow-up, and the transmission picture."""

from __future__ import annotations

import logging
from typing import Annotated

import pyarrow as pa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from epicontrol.cases import service as cases
from epicontrol.cases.models import TRANSITIONS, Case, CaseStatus
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.places.models import Place
from epicontrol.tracing import background, contacts, service
from epicontrol.tracing.schemas import ContactOut
from epicontrol.web.templating import render

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
CaseReader = Annotated[Principal, Depends(require(Permission.CASE_READ))]
Tracer = Annotated[Principal, Depends(require(Permission.TRACING_RUN))]

# Strings shown to people, Chinese with the English beside; move to the catalogue when it exists.
STATUS_LABELS = {
    "suspected": "疑似 suspected",
    "confirmed": "确诊 confirmed",
    "asymptomatic": "无症状感染者 asymptomatic",
    "recovered": "治愈 recovered",
    "deceased": "死亡 deceased",
    "discarded": "排除 discarded",
}
RULE_LABELS = {
    "co_location": "同场所 same place",
    "household": "同住 household",
    "same_carriage": "同车厢 same carriage",
}
FOLLOW_UP_LABELS = {
    "reporting": "正常报告 reporting",
    "symptomatic": "有症状 symptomatic",
    "not_reporting": "未报告 not reporting",
    "closed": "已解除 closed",
    "pending": "待首报 first report due",
}
RUN_LABELS = {
    "queued": "排队中 queued",
    "running": "追踪中 running",
    "done": "已完成 done",
    "failed": "失败 failed",
}
LABELS = {
    "status": STATUS_LABELS,
    "rule": RULE_LABELS,
    "follow_up": FOLLOW_UP_LABELS,
    "run": RUN_LABELS,
}


@router.get("/workbench/cases")
def cases_page(
    request: Request, db: DbSession, principal: CaseReader, status: CaseStatus | None = None
) -> Response:
    """The line list (病例一览) of the caller's division: status, onset, contacts found."""
    rows = cases.list_visible(db, principal=principal, status=status, limit=cases.MAX_PAGE)
    context = {
        "lines": service.case_lines(db, rows),
        "status": status.value if status else "",
        "statuses": list(CaseStatus),
        "labels": LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "workbench_cases.html", context)


@router.get("/workbench/cases/{case_id}")
def case_page(request: Request, db: DbSession, principal: CaseReader, case_id: int) -> Response:
    """One case: who it exposed, where and when, each contact's follow-up, the picture."""
    case = cases.get_visible(db, principal=principal, case_id=case_id)
    found = contacts.for_case(
        db,
        principal=principal,
        case_id=case.id,
        purpose="case workbench",
        now=utcnow(),
        with_details=True,
    )
    [line] = service.case_lines(db, [case])
    context = {
        "case": case,
        "line": line,
        "close": [c for c in found if c.degree == 1],
        "secondary": [c for c in found if c.degree == 2],
        "runs": service.runs_for_case(db, principal=principal, case_id=case.id)[:5],
        "figure": _figure(db, case, found),
        "plotly_src": _plotly_src(),
        "can_trace": is_allowed(principal.role, Permission.TRACING_RUN),
        "can_reveal": is_allowed(principal.role, Permission.RESIDENT_READ_IDENTITY),
        "next_statuses": sorted(TRANSITIONS[CaseStatus(case.status)]),
        "labels": LABELS,
        "time_zone": LOCAL_TIME,
    }
    return render(request, "workbench_case.html", context)


@router.post("/workbench/cases/{case_id}/trace")
def trace_again(db: DbSession, principal: Tracer, case_id: int) -> Response:
    """Queue a new tracing run of the case and come back to its page."""
    case = cases.get_visible(db, principal=principal, case_id=case_id, action="tracing:run")
    background.request_trace(
        db, case_id=case.id, reason="traced by hand", requested_by=principal.username
    )
    return RedirectResponse(f"/workbench/cases/{case.id}", status_code=303)


def _plotly_src() -> str | None:
    try:
        from epicontrol.web.plotly_static import plotly_js_url
    except ImportError:
        return None
    return plotly_js_url()


def _figure(db: Session, case: Case, found: list[ContactOut]) -> str | None:
    """The case's contacts drawn by tracing.graph (a <div>), or None when there is nothing to
    draw or the figure could not be made (the page still shows the tables)."""
    if not found:
        return None
    try:
        from epicontrol.tracing.chains import CASES
        from epicontrol.tracing.clusters import find_clusters
        from epicontrol.tracing.graph import case_figure
        from epicontrol.web.figures import figure_html

        table = service.stored_contacts(db, case_id=case.id)
        residents = [case.resident_id, *table.column("contact_resident_id").to_pylist()]
        known = service.cases_of_residents(db, residents)
        case_table = pa.table(
            {
                "case_id": [c.id for c in known],
                "resident_id": [c.resident_id for c in known],
                "onset_date": [c.onset_date for c in known],
                "sampling_date": [c.sampling_date for c in known],
            },
            schema=CASES,
        )
        clusters = find_clusters(table, case_table)
        ids = clusters.case_cluster.column("case_id").to_pylist()
        cluster_id = clusters.case_cluster.column("cluster_id")[ids.index(case.id)].as_py()
        place_ids = [p for p in table.column("place_id").to_pylist() if p is not None]
        names = contacts.names_by_id(db, Place, Place.name, place_ids)
        figure = case_figure(clusters.cluster(cluster_id), case.id, place_names=names)
        return figure_html(figure, div_id="case-chain")
    except Exception:  # a picture that fails must not take the case page down with it
        logger.exception("transmission picture of case %s failed", case.id)
        return None
