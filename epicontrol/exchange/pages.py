"""Exchange pages: a liaison's requests and API keys, an approver's queue (the JSON API's twins).

- GET  /exchange/grants                   the liaison's requests and the form to ask (grant:request)
- GET  /exchange/grants/fields            the chosen dataset's fields (htmx fragment)
- POST /exchange/grants                   ask for a dataset
- GET  /exchange/keys                     the liaison's API keys and the form to make one
- POST /exchange/keys                     a key for their granted requests: shown once
- POST /exchange/keys/{id}/rotate|revoke  a new key (old one kept `grace_hours`), or stop it
- GET  /exchange/approvals                requests to decide, decided ones, every key (grant:decide)
- POST /exchange/approvals/{id}/grant     grant, maybe narrowed (fields, divisions)
- POST /exchange/approvals/{id}/refuse    refuse, with a reason
- POST /exchange/approvals/{id}/revoke    revoke a granted request
- POST /exchange/approvals/keys/{id}/revoke   stop any key

A refusal the service raises comes back as the page with the message and the service's status;
a denial (AccessDenied) is left to the error page, so that get_db audits it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Vault, require
from epicontrol.core.errors import AccessDenied, EpicontrolError, InvalidInput
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.exchange import datasets, grants, keys
from epicontrol.exchange.models import ApiKey, Grant, GrantStatus
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Requester = Annotated[Principal, Depends(require(Permission.GRANT_REQUEST))]
Approver = Annotated[Principal, Depends(require(Permission.GRANT_DECIDE))]
Codes = Annotated[list[str], Form(max_length=200)]
Note = Annotated[str, Form(max_length=400)]
# Scope choices on the request form: the levels an agency asks for; finer codes can be typed.
FORM_LEVELS = (DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET)
NO_STORE = {"Cache-Control": "no-store"}
# Ids fit PostgreSQL's integer: a larger one is a 422, not a database error.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


def local(moment: datetime | None) -> str:
    """A moment as China wall-clock time, for pages."""
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M") if moment else ""


def _codes(checked: list[str], typed: str) -> list[str]:
    extra = [c.strip() for c in typed.replace("，", ",").split(",") if c.strip()]
    return list(dict.fromkeys([*checked, *extra]))


def _attempt(
    db: Session, action: Callable[[], object], page: Callable[[str, int], Response]
) -> Response | None:
    """Run `action`; None if it worked, else the page with the refusal (denials propagate)."""
    try:
        action()
    except AccessDenied:
        raise
    except EpicontrolError as refused:
        db.rollback()
        return page(refused.message, refused.status_code)
    return None


def _grant_rows(db: Session, rows: list[Grant]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "grant": g,
            "codes": grants.division_codes(db, g),
            "expired": g.status == GrantStatus.GRANTED.value and g.expires_at <= now,
        }
        for g in rows
    ]


def _key_rows(db: Session, rows: list[ApiKey]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {"key": k, "grant_ids": keys.grant_ids_of(db, k.id), "why_not": keys.usable_reason(k, now)}
        for k in rows
    ]


# --- the liaison's requests ---------------------------------------------------------------


def _scope_divisions(db: Session, principal: Principal) -> list[Division]:
    query = (
        select(Division)
        .where(Division.path.startswith(principal.division_path))
        .where(Division.level.in_([level.value for level in FORM_LEVELS]))
        .order_by(Division.path)
        .limit(300)
    )
    return list(db.scalars(query))


def _requests_page(
    request: Request,
    db: Session,
    principal: Principal,
    error: str | None = None,
    status_code: int = 200,
    dataset: str = "",
) -> Response:
    requestable = list(datasets.REGISTRY.values())
    chosen = datasets.REGISTRY.get(dataset) or requestable[0]
    context = {
        "rows": _grant_rows(db, grants.list_grants(db, requested_by=principal.user_id)),
        "datasets": requestable,
        "chosen": chosen,
        "divisions": _scope_divisions(db, principal),
        "default_expiry": (local_date(utcnow()) + timedelta(days=30)).isoformat(),
        "error": error,
        "local": local,
    }
    return render(request, "exchange_requests.html", context, status_code=status_code)


@router.get("/exchange/grants")
def requests_page(request: Request, db: DbSession, principal: Requester) -> Response:
    """The liaison's requests with their status, and the form to ask for a dataset."""
    return _requests_page(request, db, principal)


@router.get("/exchange/grants/fields")
def dataset_fields(request: Request, principal: Requester, dataset: str = "") -> Response:
    """The field checkboxes of one dataset (the form swaps them in when the dataset changes)."""
    chosen = datasets.get(dataset[:64])
    return render(request, "exchange_fields.html", {"chosen": chosen})


@router.post("/exchange/grants")
def request_from_page(
    request: Request,
    db: DbSession,
    principal: Requester,
    agency: Annotated[str, Form(max_length=40)],
    dataset: Annotated[str, Form(max_length=64)],
    purpose: Annotated[str, Form(max_length=400)],
    expires_on: Annotated[date, Form()],
    fields: Codes = [],  # noqa: B006  (FastAPI copies defaults)
    division_codes: Codes = [],  # noqa: B006
    other_codes: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Ask for a dataset; the grant expires at 00:00 China time of `expires_on`."""
    made: list[Grant] = []

    def ask() -> None:
        made.append(
            grants.request_grant(
                db,
                principal=principal,
                agency=agency.strip(),
                dataset_name=dataset,
                fields=fields,
                division_codes=grants.checked_codes(_codes(division_codes, other_codes)),
                purpose=purpose,
                expires_at=datetime.combine(expires_on, time(0), LOCAL_TIME),
            )
        )

    def page(message: str, status: int) -> Response:
        return _requests_page(request, db, principal, message, status, dataset=dataset)

    refused = _attempt(db, ask, page)
    if refused is not None:
        return refused
    return RedirectResponse(f"/exchange/grants#grant-{made[0].id}", status_code=303)


# --- the liaison's API keys ---------------------------------------------------------------


def _keys_page(
    request: Request,
    db: Session,
    principal: Principal,
    error: str | None = None,
    status_code: int = 200,
    issued: keys.IssuedKey | None = None,
) -> Response:
    now = utcnow()
    mine = grants.list_grants(db, requested_by=principal.user_id)
    context = {
        "rows": _key_rows(db, keys.managed_by(db, principal.user_id)),
        "usable": [g for g in mine if grants.why_unusable(g, now) is None],
        "issued": issued,
        "error": error,
        "local": local,
        "max_grace": keys.MAX_GRACE_HOURS,
    }
    headers = NO_STORE if issued else None
    response = render(request, "exchange_keys.html", context, status_code=status_code)
    if headers:
        response.headers.update(headers)
    return response


@router.get("/exchange/keys")
def keys_page(request: Request, db: DbSession, principal: Requester) -> Response:
    """The liaison's API keys (prefixes and status, never the key) and the form to make one."""
    return _keys_page(request, db, principal)


def _issue(
    request: Request, db: Session, principal: Principal, make: Callable[[], keys.IssuedKey]
) -> Response:
    issued: list[keys.IssuedKey] = []

    def page(message: str, status: int) -> Response:
        return _keys_page(request, db, principal, message, status)

    refused = _attempt(db, lambda: issued.append(make()), page)
    if refused is not None:
        return refused
    db.commit()  # stored before the key is shown: it is shown this once
    return _keys_page(request, db, principal, status_code=201, issued=issued[0])


@router.post("/exchange/keys")
def create_key_from_page(
    request: Request,
    db: DbSession,
    vault: Vault,
    principal: Requester,
    grant_ids: Annotated[list[int], Form(max_length=50)] = [],  # noqa: B006
    label: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """A key for the liaison's own granted requests; the answer shows it once."""

    def make() -> keys.IssuedKey:
        agency = keys.agency_of_own_grants(db, principal, grant_ids)
        return keys.create(
            db, vault, principal=principal, agency=agency, grant_ids=grant_ids, label=label
        )

    return _issue(request, db, principal, make)


@router.post("/exchange/keys/{key_id}/rotate")
def rotate_key_from_page(
    request: Request,
    db: DbSession,
    vault: Vault,
    principal: Requester,
    key_id: Id,
    grace_hours: Annotated[float, Form(ge=0, le=keys.MAX_GRACE_HOURS)] = 0,
) -> Response:
    """A new key replacing one of the liaison's; the old one works `grace_hours` more."""
    keys.ensure_manages(db, principal, key_id)
    return _issue(
        request,
        db,
        principal,
        lambda: keys.rotate(db, vault, principal=principal, key_id=key_id, grace_hours=grace_hours),
    )


@router.post("/exchange/keys/{key_id}/revoke")
def revoke_key_from_page(db: DbSession, principal: Requester, key_id: Id) -> Response:
    """Stop one of the liaison's keys at once."""
    keys.ensure_manages(db, principal, key_id)
    keys.revoke(db, principal=principal, key_id=key_id)
    return RedirectResponse(f"/exchange/keys#key-{key_id}", status_code=303)


# --- the approvers' queue -----------------------------------------------------------------


def _approvals_page(
    request: Request,
    db: Session,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = _grant_rows(db, grants.list_grants(db))
    context = {
        "queue": [r for r in rows if r["grant"].status == GrantStatus.REQUESTED.value],
        "decided": [r for r in rows if r["grant"].status != GrantStatus.REQUESTED.value],
        "keys": _key_rows(db, keys.list_keys(db)),
        "datasets": datasets.REGISTRY,
        "error": error,
        "local": local,
    }
    return render(request, "exchange_approvals.html", context, status_code=status_code)


@router.get("/exchange/approvals")
def approvals_page(request: Request, db: DbSession, principal: Approver) -> Response:
    """Requests waiting for a decision, the decided ones, and every API key."""
    return _approvals_page(request, db)


def _decided(request: Request, db: Session, action: Callable[[], object], anchor: str) -> Response:
    refused = _attempt(
        db, action, lambda message, status: _approvals_page(request, db, message, status)
    )
    if refused is not None:
        return refused
    return RedirectResponse(f"/exchange/approvals#{anchor}", status_code=303)


@router.post("/exchange/approvals/{grant_id}/grant")
def grant_from_page(
    request: Request,
    db: DbSession,
    principal: Approver,
    grant_id: Id,
    fields: Codes = [],  # noqa: B006
    division_codes: Codes = [],  # noqa: B006
    other_codes: Annotated[str, Form(max_length=2000)] = "",
    note: Note = "",
) -> Response:
    """Grant the request with the fields and divisions left ticked (narrowing only)."""

    def grant() -> None:
        grants.decide(
            db,
            principal=principal,
            grant_id=grant_id,
            approve=True,
            fields=fields,
            division_codes=grants.checked_codes(_codes(division_codes, other_codes)),
            note=note,
        )

    return _decided(request, db, grant, f"grant-{grant_id}")


@router.post("/exchange/approvals/{grant_id}/refuse")
def refuse_from_page(
    request: Request, db: DbSession, principal: Approver, grant_id: Id, note: Note = ""
) -> Response:
    """Refuse the request; the reason is required and shown to the liaison."""

    def refuse() -> None:
        if len(note.strip()) < 3:
            raise InvalidInput("give the reason for the refusal; the agency sees it")
        grants.decide(db, principal=principal, grant_id=grant_id, approve=False, note=note)

    return _decided(request, db, refuse, f"grant-{grant_id}")


@router.post("/exchange/approvals/{grant_id}/revoke")
def revoke_from_page(
    request: Request, db: DbSession, principal: Approver, grant_id: Id, note: Note = ""
) -> Response:
    """Revoke a granted request: exports stop at their next batch."""
    return _decided(
        request,
        db,
        lambda: grants.revoke(db, principal=principal, grant_id=grant_id, note=note),
        f"grant-{grant_id}",
    )


@router.post("/exchange/approvals/keys/{key_id}/revoke")
def revoke_any_key(request: Request, db: DbSession, principal: Approver, key_id: Id) -> Response:
    """Stop any agency's key at once."""
    return _decided(
        request, db, lambda: keys.revoke(db, principal=principal, key_id=key_id), f"key-{key_id}"
    )
