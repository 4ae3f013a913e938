"""FastAPI dependencies: the database session, the settings, the caller, and permission checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import SESSION_COOKIE, Principal, read_token
from epicontrol.core.crypto import PersonalDataVault, vault_for
from epicontrol.core.errors import AccessDenied, NotAuthenticated
from epicontrol.core.models import User
from epicontrol.core.policy import Permission, Role, is_allowed
from epicontrol.core.settings import Settings
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_db(request: Request) -> Iterator[Session]:
    """A session per request: committed on success, rolled back on error.

    A denial is the exception: its audit entry must survive the rollback, so it is written
    in a fresh transaction after the request's work is undone.
    """
    session = request.app.state.sessions()
    try:
        yield session
        session.commit()
    except AccessDenied as denial:
        session.rollback()
        _audit_denial(session, request, denial)
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _audit_denial(session: Session, request: Request, denial: AccessDenied) -> None:
    principal: Principal | None = getattr(request.state, "principal", None)
    audit.record(
        session,
        actor=principal,
        action=denial.action,
        entity=denial.entity,
        entity_id=denial.entity_id,
        purpose=request.headers.get("x-purpose", ""),
        outcome="denied",
        detail={"reason": denial.message, "path": request.url.path},
    )


DbSession = Annotated[Session, Depends(get_db)]


def get_vault(settings: SettingsDep) -> PersonalDataVault:
    """The personal-data vault keyed by this deployment's secret."""
    return vault_for(settings.secret_key)


Vault = Annotated[PersonalDataVault, Depends(get_vault)]


def token_from(request: Request) -> str | None:
    """The caller's bearer token, else their session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def load_principal(db: Session, user_id: int) -> Principal | None:
    """The principal of an active user, with their scope path and household."""
    row = db.execute(
        select(User, Division.path)
        .join(Division, Division.id == User.division_id)
        .where(User.id == user_id, User.is_active.is_(True))
    ).first()
    if row is None:
        return None
    user, path = row
    household_id = None
    if user.resident_id is not None:
        household_id = db.scalar(
            select(Resident.household_id).where(Resident.id == user.resident_id)
        )
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        division_id=user.division_id,
        division_path=path,
        resident_id=user.resident_id,
        household_id=household_id,
        place_id=user.place_id,
    )


def optional_principal(request: Request, db: DbSession, settings: SettingsDep) -> Principal | None:
    """The caller if a valid session cookie or bearer token came with the request."""
    token = token_from(request)
    if not token:
        return None
    user_id = read_token(settings.secret_key, token, settings.session_max_age_seconds)
    principal = load_principal(db, user_id) if user_id is not None else None
    request.state.principal = principal
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The caller, or 401."""
    if principal is None:
        raise NotAuthenticated("log in first: no valid session cookie or bearer token")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def ensure_allowed(principal: Principal, permission: Permission) -> None:
    """AccessDenied unless the caller's role holds `permission` (policy.POLICY)."""
    if not is_allowed(principal.role, permission):
        raise AccessDenied(
            f"role '{principal.role}' may not {permission.value.replace(':', ' ')}",
            action=str(permission),
            entity=permission.value.split(":")[0],
        )


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that lets through only roles holding `permission` (policy.POLICY)."""

    def check(principal: CurrentPrincipal) -> Principal:
        ensure_allowed(principal, permission)
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-policy test
    return check


def purpose_header(x_purpose: Annotated[str | None, Header()] = None) -> str:
    """The purpose the caller declares for reading personal data (X-Purpose header)."""
    return (x_purpose or "").strip()


Purpose = Annotated[str, Depends(purpose_header)]
