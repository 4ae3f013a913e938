"""FastAPI dependencies: the database session, the settings, the caller, and permission checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

import anyio
from anyio import to_thread
from anyio.lowlevel import RunVar
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

T = TypeVar("T")


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


# Why the request session works this way (issue 8): FastAPI runs each sync dependency, the
# endpoint and the response's validation as separate tasks of one 40-thread pool, and a sync
# generator dependency's exit (the commit) as yet another. A request that wrote on SQLite holds
# the write lock, and any request holds its connection, from its first statement to that commit;
# when every thread of the pool is taken by requests waiting for the lock or a connection, the
# holder never gets a thread to commit in, and all of them fail after the busy or pool timeout.
# So: (1) the caller is read in a brief session of its own, closed in the thread that read it;
# (2) at most half the pool's threads serve requests with a session at once (the others wait in
# the event loop, holding nothing), so a holder always finds a thread for its next step; (3) the
# commit, rollback and close run on threads of their own, each in one go, right after the
# response is built and before it is sent (scope="function"), so a client never sees a success
# that was not committed.
_GATE: RunVar[anyio.Semaphore] = RunVar("epicontrol_session_gate")
_FINISHERS: RunVar[anyio.CapacityLimiter] = RunVar("epicontrol_session_finishers")


def _per_loop(var: RunVar[T], make: Callable[[int], T]) -> T:
    # Per event loop: a test may serve one app from several loops, and anyio's primitives belong
    # to the loop they were made in.
    try:
        return var.get()
    except LookupError:
        made = make(max(1, int(to_thread.current_default_thread_limiter().total_tokens) // 2))
        var.set(made)
        return made


async def _finish(step: Callable[..., None], *args: object) -> None:
    await to_thread.run_sync(step, *args, limiter=_per_loop(_FINISHERS, anyio.CapacityLimiter))


def _commit(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def _roll_back(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


def _roll_back_and_audit(session: Session, request: Request, denial: AccessDenied) -> None:
    try:
        session.rollback()
        _audit_denial(session, request, denial)
        session.commit()
    finally:
        session.close()


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request: committed on success, rolled back on error.

    A denial is the exception: its audit entry must survive the rollback, so it is written
    in a fresh transaction after the request's work is undone. The comment above says why the
    session is gated and finished off the request's threads.
    """
    async with _per_loop(_GATE, anyio.Semaphore):
        session = request.app.state.sessions()
        try:
            yield session
        except AccessDenied as denial:
            await _finish(_roll_back_and_audit, session, request, denial)
            raise
        except BaseException:
            if _untouched(session):
                session.close()
            else:
                await _finish(_roll_back, session)
            raise
        if _untouched(session):
            session.close()  # no connection, nothing to send: no thread needed
        else:
            await _finish(_commit, session)


def _untouched(session: Session) -> bool:
    return session.get_transaction() is None and not (
        session.new or session.dirty or session.deleted
    )


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


# scope="function": committed before the response goes out, not after (see get_db).
DbSession = Annotated[Session, Depends(get_db, scope="function")]


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


def optional_principal(
    request: Request, settings: SettingsDep, _request_session: DbSession
) -> Principal | None:
    """The caller if a valid session cookie or bearer token came with the request.

    Read in a brief session closed before the route runs, not the request's (see get_db); the
    request's session is still opened first, so that it can audit a denial.
    """
    token = token_from(request)
    if not token:
        return None
    user_id = read_token(settings.secret_key, token, settings.session_max_age_seconds)
    principal = None
    if user_id is not None:
        with request.app.state.sessions() as brief:
            principal = load_principal(brief, user_id)
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
