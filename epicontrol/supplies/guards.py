"""A permission check for the order routes that gives its connection back before the route runs.

Why not core.deps.require: its session (get_db) keeps the connection it read the caller with
until the request ends, across FastAPI's thread hops (each sync dependency, the route and the
commit run as separate tasks of the 40-thread pool). In a rush of orders, requests holding
connections then wait for threads while the threads wait for connections (the pool) or for the
SQLite write lock held by a request whose commit waits for a thread: 200 simultaneous orders
ended in pool timeouts and "database is locked" 500s. Here the caller is read in a short session
of its own, and the order routes commit or roll back before returning, so a connection and the
round's lock are held only inside one thread's run.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from epicontrol.core.auth import Principal, read_token
from epicontrol.core.deps import ensure_allowed, load_principal, token_from
from epicontrol.core.errors import NotAuthenticated
from epicontrol.core.policy import Permission
from epicontrol.core.settings import Settings


def require_briefly(permission: Permission) -> Callable[[Request], Principal]:
    """Like core.deps.require(permission), reading the caller in a session closed at once."""

    def check(request: Request) -> Principal:
        settings: Settings = request.app.state.settings
        token = token_from(request)
        user_id = (
            read_token(settings.secret_key, token, settings.session_max_age_seconds)
            if token
            else None
        )
        with request.app.state.sessions() as session:
            principal = load_principal(session, user_id) if user_id is not None else None
            if principal is None:
                raise NotAuthenticated("log in first: no valid session cookie or bearer token")
            request.state.principal = principal
            # A refusal is audited by get_db, which every route using this guard depends on.
            ensure_allowed(principal, permission)
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-policy test
    return check
