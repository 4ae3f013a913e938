"""The exchange's caller dependency: a liaison's session or token, or an agency's API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, Vault, optional_principal
from epicontrol.core.errors import AccessDenied, NotAuthenticated
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.exchange import keys
from epicontrol.exchange.access import Caller

API_KEY_HEADER = "x-api-key"


def _raw_key(request: Request) -> str | None:
    if request.headers.get(API_KEY_HEADER):
        return request.headers[API_KEY_HEADER]
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer epx_"):
        return header[7:].strip()
    return None


def exchange_caller(
    request: Request,
    db: DbSession,
    vault: Vault,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Caller:
    """The API key's agency if a key came (looked up on every request), else the signed-in user."""
    raw = _raw_key(request)
    if raw is not None:
        key = keys.authenticate(db, vault, raw)
        return Caller(api_key_id=key.id, agency=key.agency)
    if principal is None:
        raise NotAuthenticated("send an API key (X-API-Key) or log in")
    if not is_allowed(principal.role, Permission.EXCHANGE_EXPORT):
        raise AccessDenied(
            f"role '{principal.role}' may not exchange export",
            action=str(Permission.EXCHANGE_EXPORT),
            entity="exchange",
        )
    return Caller(principal=principal)


# Read by the route-policy test: these routes are guarded by exchange:export.
exchange_caller.permission = Permission.EXCHANGE_EXPORT  # type: ignore[attr-defined]

ExchangeCaller = Annotated[Caller, Depends(exchange_caller)]
