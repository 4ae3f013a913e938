"""Agency data exchange: grants, API keys, streamed exports, list matching, statistics.

- GET  /api/exchange/datasets                       the registry (grant:request)
- POST /api/exchange/grants                         an agency asks (grant:request)
- GET  /api/exchange/grants                         the caller's own requests (grant:request)
- GET  /api/exchange/grants/all                     every request (grant:decide)
- POST /api/exchange/grants/{id}/decision           grant (maybe narrowed) or refuse
- POST /api/exchange/grants/{id}/revoke             takes effect at once
- GET|POST /api/exchange/keys, POST .../{id}/rotate, .../{id}/revoke   (grant:decide)
- GET  /api/exchange/datasets/{name}/export         streamed CSV, Parquet or Arrow IPC
- POST /api/exchange/match                          a CSV list against residents under watch
- GET  /api/exchange/stats, GET /exchange/stats     requests, rows, bytes (exchange:stats)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, Vault, require
from epicontrol.core.errors import AccessDenied, InvalidInput
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission
from epicontrol.exchange import access, datasets, formats, grants, keys, matching, pages, stats
from epicontrol.exchange.deps import ExchangeCaller
from epicontrol.exchange.export import ExportStream
from epicontrol.exchange.schemas import (
    DatasetOut,
    FieldOut,
    GrantDecision,
    GrantOut,
    GrantRequest,
    IssuedKeyOut,
    KeyCreate,
    KeyOut,
    KeyRotate,
    MatchOut,
    RevokeIn,
    StatsLine,
)
from epicontrol.web.templating import render

router = APIRouter(tags=["exchange"])
router.include_router(pages.router)  # the HTML pages of grants and keys (pages.py)
Requester = Annotated[Principal, Depends(require(Permission.GRANT_REQUEST))]
Approver = Annotated[Principal, Depends(require(Permission.GRANT_DECIDE))]
StatsReader = Annotated[Principal, Depends(require(Permission.EXCHANGE_STATS))]
CodeList = Annotated[
    str, Query(max_length=2000, description="comma-separated; all granted if empty")
]
# Ids fit PostgreSQL's integer: a larger one is a 422, not a database error.
MAX_ID = 2_147_483_647
GrantId = Annotated[int, Path(ge=1, le=MAX_ID)]
KeyId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_DAYS_AWAY = 366  # exports are of recent days; farther dates are mistakes


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _grant_out(db: DbSession, grant: grants.Grant) -> GrantOut:
    return GrantOut.of(grant, grants.division_codes(db, grant))


@router.get("/api/exchange/datasets")
def list_datasets(principal: Requester) -> list[DatasetOut]:
    """Every dataset an agency may ask for, with its fields."""
    return [
        DatasetOut(
            name=d.name,
            title=d.title,
            description=d.description,
            division_field=d.division_field,
            is_personal=d.is_personal,
            is_exportable=d.is_exportable,
            fields=[
                FieldOut(**{k: getattr(f, k) for k in FieldOut.model_fields}) for f in d.fields
            ],
        )
        for d in datasets.REGISTRY.values()
    ]


@router.post("/api/exchange/grants", status_code=201)
def request_grant(body: GrantRequest, db: DbSession, principal: Requester) -> GrantOut:
    """Ask for a dataset: fields, division scope, purpose, expiry."""
    grant = grants.request_grant(
        db,
        principal=principal,
        agency=body.agency,
        dataset_name=body.dataset,
        fields=body.fields,
        division_codes=body.division_codes,
        purpose=body.purpose,
        expires_at=body.expires_at,
    )
    return _grant_out(db, grant)


@router.get("/api/exchange/grants")
def my_grants(db: DbSession, principal: Requester) -> list[GrantOut]:
    """The caller's own requests and their decisions."""
    return [_grant_out(db, g) for g in grants.list_grants(db, requested_by=principal.user_id)]


@router.get("/api/exchange/grants/all")
def all_grants(db: DbSession, principal: Approver) -> list[GrantOut]:
    """Every request, newest first, for approvers."""
    return [_grant_out(db, g) for g in grants.list_grants(db)]


@router.post("/api/exchange/grants/{grant_id}/decision")
def decide_grant(
    grant_id: GrantId, body: GrantDecision, db: DbSession, principal: Approver
) -> GrantOut:
    """Grant (optionally narrowing fields or scope) or refuse a request."""
    grant = grants.decide(
        db,
        principal=principal,
        grant_id=grant_id,
        approve=body.approve,
        fields=body.fields,
        division_codes=body.division_codes,
        note=body.note,
    )
    return _grant_out(db, grant)


@router.post("/api/exchange/grants/{grant_id}/revoke")
def revoke_grant(grant_id: GrantId, body: RevokeIn, db: DbSession, principal: Approver) -> GrantOut:
    """Revoke a grant: the next export (or the next batch of a running one) is refused."""
    return _grant_out(db, grants.revoke(db, principal=principal, grant_id=grant_id, note=body.note))


@router.get("/api/exchange/keys")
def list_keys(db: DbSession, principal: Approver) -> list[KeyOut]:
    """Every API key without its secret."""
    return [KeyOut.of(k, keys.grant_ids_of(db, k.id)) for k in keys.list_keys(db)]


@router.post("/api/exchange/keys", status_code=201)
def create_key(body: KeyCreate, db: DbSession, vault: Vault, principal: Approver) -> IssuedKeyOut:
    """A new key for an agency's machine client; the key is in this answer only."""
    issued = keys.create(
        db,
        vault,
        principal=principal,
        agency=body.agency,
        grant_ids=body.grant_ids,
        label=body.label,
    )
    return IssuedKeyOut(**KeyOut.of(issued.key, issued.grant_ids).model_dump(), key=issued.secret)


@router.post("/api/exchange/keys/{key_id}/rotate", status_code=201)
def rotate_key(
    key_id: KeyId, body: KeyRotate, db: DbSession, vault: Vault, principal: Approver
) -> IssuedKeyOut:
    """A new key replacing this one; the old one works `grace_hours` more (0: stops now)."""
    issued = keys.rotate(
        db, vault, principal=principal, key_id=key_id, grace_hours=body.grace_hours
    )
    return IssuedKeyOut(**KeyOut.of(issued.key, issued.grant_ids).model_dump(), key=issued.secret)


@router.post("/api/exchange/keys/{key_id}/revoke")
def revoke_key(key_id: KeyId, db: DbSession, principal: Approver) -> KeyOut:
    """Stop a key at once."""
    key = keys.revoke(db, principal=principal, key_id=key_id)
    return KeyOut.of(key, keys.grant_ids_of(db, key.id))


def _log_refusal(
    request: Request,
    db: Session,
    caller: access.Caller,
    dataset: str,
    kind: str,
    fmt: str,
    why: str,
) -> None:
    stats.log(
        request.app.state.sessions,
        stats.Logged(
            agency=access.agency_of(db, caller),
            dataset=dataset[:40],
            kind=kind,
            format=fmt,
            api_key_id=caller.api_key_id,
            user_id=caller.principal.user_id if caller.principal else None,
            status=403,
            note=why,
        ),
    )


@router.get("/api/exchange/datasets/{name}/export")
def export_dataset(
    name: str,
    request: Request,
    db: DbSession,
    vault: Vault,
    caller: ExchangeCaller,
    format: Literal["csv", "parquet", "arrow"] = "csv",
    day: Annotated[date | None, Query(description="local day; today if absent")] = None,
    fields: CodeList = "",
    divisions: CodeList = "",
    grant_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> StreamingResponse:
    """The dataset streamed in batches; fields or divisions beyond the grant are refused (403)."""
    if not datasets.get(name).is_exportable:
        raise InvalidInput(f"dataset '{name}' is for list matching only (POST /api/exchange/match)")
    now = utcnow()
    if day is not None and abs((day - local_date(now)).days) > MAX_DAYS_AWAY:
        raise InvalidInput(f"day must be within {MAX_DAYS_AWAY} days of today")
    try:
        plan = access.authorise(
            db,
            caller,
            dataset_name=name,
            fields=_split(fields),
            division_codes=_split(divisions),
            grant_id=grant_id,
            now=now,
        )
    except AccessDenied as denial:
        _log_refusal(request, db, caller, name, "export", format, denial.message)
        raise
    # The request's transaction ends here: the stream reads in its own session for minutes
    # maybe, and must not keep this connection idle in a transaction meanwhile.
    db.commit()
    body = ExportStream(
        request.app.state.sessions, vault, caller, plan, fmt=format, day=day or local_date(now)
    )
    filename = f"{name}-{(day or local_date(now)).isoformat()}.{format}"
    return StreamingResponse(
        iter(body),
        media_type=formats.FORMATS[format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Grant-Id": str(plan.grant_id),
            "Cache-Control": "no-store",
        },
    )


@router.post("/api/exchange/match")
def match_list(
    request: Request,
    db: DbSession,
    vault: Vault,
    settings: SettingsDep,
    caller: ExchangeCaller,
    file: Annotated[UploadFile, File(description="CSV with an id_number column")],
    grant_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> MatchOut:
    """Which rows of the list are residents under watch (row numbers, colour if granted)."""
    if file.size is not None and file.size > settings.max_import_bytes:
        raise InvalidInput(f"the list is larger than {settings.max_import_bytes} bytes")
    now = utcnow()
    try:
        plan = access.authorise(
            db,
            caller,
            dataset_name="watch_list",
            fields=[],
            division_codes=[],
            grant_id=grant_id,
            now=now,
        )
    except AccessDenied as denial:
        _log_refusal(request, db, caller, "watch_list", "match", "csv", denial.message)
        raise
    started = utcnow()
    result = matching.match(db, vault, caller, plan, file.file, today=local_date(now))
    stats.log(
        request.app.state.sessions,
        stats.Logged(
            agency=plan.agency,
            dataset=plan.dataset.name,
            kind="match",
            format="csv",
            grant_id=plan.grant_id,
            api_key_id=caller.api_key_id,
            user_id=caller.principal.user_id if caller.principal else None,
            rows=result.rows,
            bytes=file.size or 0,
            duration_ms=int((utcnow() - started).total_seconds() * 1000),
            note=f"{len(result.matched)} matched",
        ),
    )
    return MatchOut(grant_id=plan.grant_id, rows=result.rows, matched=result.matched)


@router.get("/api/exchange/stats")
def exchange_stats(
    db: DbSession, principal: StatsReader, days: Annotated[int, Query(ge=1, le=92)] = 30
) -> list[StatsLine]:
    """Requests, refusals, rows and bytes by local day, agency and dataset."""
    return [StatsLine(**line) for line in stats.as_dicts(stats.summary(db, days=days))]


@router.get("/exchange/stats", include_in_schema=False)
def exchange_stats_page(
    request: Request,
    db: DbSession,
    principal: StatsReader,
    days: Annotated[int, Query(ge=1, le=92)] = 30,
) -> Response:
    """The statistics page: charts by agency and dataset over time, and the table."""
    from epicontrol.web.figures import figure_html
    from epicontrol.web.plotly_static import plotly_js_url

    lines = stats.summary(db, days=days)
    charts = {
        "requests": stats.figure(lines, "requests", "请求数 Requests"),
        "rows": stats.figure(lines, "rows", "行数 Rows"),
        "bytes": stats.figure(lines, "bytes", "字节 Bytes"),
    }
    context = {
        "lines": lines,
        "days": days,
        "charts": {k: figure_html(f, div_id=f"exchange-chart-{k}") for k, f in charts.items()},
        "plotly_src": plotly_js_url(),
    }
    return render(request, "exchange_stats.html", context)
