"""Who is asking for data (a liaison's login or an agency's API key) and which grant lets them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied
from epicontrol.divisions.models import Division
from epicontrol.exchange import datasets, keys
from epicontrol.exchange.grants import checked_codes, why_unusable
from epicontrol.exchange.models import ApiKey, ApiKeyGrant, Grant


@dataclass(frozen=True, slots=True)
class Caller:
    """A liaison signed in (`principal`) or a machine client (`api_key_id`, `agency`)."""

    principal: Principal | None = None
    api_key_id: int | None = None
    agency: str | None = None

    @property
    def label(self) -> str:
        """How the audit trail names the caller."""
        if self.principal is not None:
            return self.principal.username
        return f"api-key:{self.api_key_id}:{self.agency}"

    @property
    def audit_actor(self) -> Principal | str:
        """The principal, or the key's label (recorded as a system actor)."""
        return self.principal if self.principal is not None else self.label


@dataclass(frozen=True, slots=True)
class Plan:
    """An authorised request: the grant, the fields and the scope divisions it may read."""

    grant_id: int
    agency: str
    dataset: datasets.Dataset
    fields: list[str]
    divisions: list[Division]
    purpose: str


def _denied(message: str, dataset: str) -> AccessDenied:
    return AccessDenied(message, action="exchange:export", entity="dataset", entity_id=dataset)


def _callers_grants(db: Session, caller: Caller, dataset: str) -> list[Grant]:
    query = select(Grant).where(Grant.dataset == dataset).order_by(Grant.id.desc())
    if caller.api_key_id is not None:
        scoped = select(ApiKeyGrant.grant_id).where(ApiKeyGrant.api_key_id == caller.api_key_id)
        query = query.where(Grant.id.in_(scoped))
    else:
        assert caller.principal is not None
        query = query.where(Grant.requested_by == caller.principal.user_id)
    return list(db.scalars(query))


def _grant_for(
    db: Session, caller: Caller, dataset: str, grant_id: int | None, now: datetime
) -> Grant:
    grants = _callers_grants(db, caller, dataset)
    if grant_id is not None:
        grants = [g for g in grants if g.id == grant_id]
        if not grants:
            raise _denied(f"grant {grant_id} of dataset '{dataset}' is not yours", dataset)
    usable = [g for g in grants if why_unusable(g, now) is None]
    if not usable:
        reasons = "; ".join(filter(None, (why_unusable(g, now) for g in grants)))
        raise _denied(
            f"no active grant of dataset '{dataset}' for you"
            + (f" ({reasons})" if reasons else ""),
            dataset,
        )
    return usable[0]


def agency_of(db: Session, caller: Caller) -> str:
    """The caller's agency: the key's, or that of the liaison's newest request (else their name)."""
    if caller.agency is not None:
        return caller.agency
    assert caller.principal is not None
    newest = db.scalar(
        select(Grant.agency)
        .where(Grant.requested_by == caller.principal.user_id)
        .order_by(Grant.id.desc())
        .limit(1)
    )
    return newest or caller.principal.username


def _scope(db: Session, grant: Grant) -> list[Division]:
    return list(db.scalars(select(Division).where(Division.id.in_(grant.division_id_list))))


def _requested_divisions(
    db: Session, grant: Grant, codes: list[str], dataset: str
) -> list[Division]:
    scope = _scope(db, grant)
    if not codes:
        return _outermost(scope)
    checked_codes(codes)
    found = {d.code: d for d in db.scalars(select(Division).where(Division.code.in_(codes)))}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise _denied(
            "unknown divisions (not in the grant's scope): " + ", ".join(unknown), dataset
        )
    beyond = [c for c in codes if not any(found[c].path.startswith(s.path) for s in scope)]
    if beyond:
        granted = ", ".join(sorted(s.code for s in scope))
        raise _denied(
            f"divisions beyond the grant's scope: {', '.join(beyond)} (granted: {granted})",
            dataset,
        )
    return _outermost([found[c] for c in dict.fromkeys(codes)])


def _outermost(divisions: list[Division]) -> list[Division]:
    # A division inside another listed one would export its rows twice.
    return [
        d
        for d in divisions
        if not any(o.id != d.id and d.path.startswith(o.path) for o in divisions)
    ]


def authorise(
    db: Session,
    caller: Caller,
    *,
    dataset_name: str,
    fields: list[str],
    division_codes: list[str],
    grant_id: int | None,
    now: datetime,
) -> Plan:
    """The plan of an export or match, or AccessDenied naming what lies beyond the grant."""
    dataset = datasets.get(dataset_name)
    for name in fields:
        dataset.field(name)  # unknown field: 422 rather than 403
    grant = _grant_for(db, caller, dataset.name, grant_id, now)
    chosen = list(dict.fromkeys(fields)) or grant.field_list
    beyond = [f for f in chosen if f not in grant.field_list]
    if beyond:
        raise _denied(
            f"fields beyond grant {grant.id}: {', '.join(beyond)} "
            f"(granted: {', '.join(grant.field_list)})",
            dataset.name,
        )
    divisions = _requested_divisions(db, grant, division_codes, dataset.name)
    return Plan(grant.id, grant.agency, dataset, chosen, divisions, grant.purpose)


def still_allowed(db: Session, plan: Plan, api_key_id: int | None, now: datetime) -> str | None:
    """None while the plan's grant (and key) still hold, else why the stream must stop."""
    grant = db.get(Grant, plan.grant_id, populate_existing=True)
    reason = "grant deleted" if grant is None else why_unusable(grant, now)
    if reason is None and api_key_id is not None:
        key = db.get(ApiKey, api_key_id, populate_existing=True)
        reason = "API key deleted" if key is None else keys.usable_reason(key, now)
    return reason
