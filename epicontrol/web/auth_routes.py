"""Login and logout: a session cookie for pages, a bearer token for the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from epicontrol.core import audit, users
from epicontrol.core.auth import SESSION_COOKIE, issue_token
from epicontrol.core.deps import CurrentPrincipal, DbSession, SettingsDep, load_principal
from epicontrol.core.errors import NotAuthenticated
from epicontrol.web.rate_limits import (
    LOGIN_MESSAGE,
    TOO_MANY,
    client_address,
    login_throttle,
    minutes,
)
from epicontrol.web.templating import render

router = APIRouter(tags=["auth"])


class TokenOut(BaseModel):
    """A bearer token for API clients."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(BaseModel):
    """Who the caller is."""

    username: str
    role: str
    division_id: int
    resident_id: int | None


@router.post("/api/auth/token", responses=TOO_MANY)
def token(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    db: DbSession,
    settings: SettingsDep,
) -> TokenOut:
    """Exchange a username and password for a bearer token (429 after too many failures)."""
    throttle, address = login_throttle(request), client_address(request)
    wait = throttle.retry_after(username=username, address=address)
    if wait is not None:
        message = LOGIN_MESSAGE.format(minutes=minutes(wait))
        raise HTTPException(429, message, headers={"Retry-After": str(wait)})
    user = users.authenticate(db, username=username, password=password)
    if user is None:
        throttle.failed(username=username, address=address)
        raise NotAuthenticated("wrong username or password")
    throttle.succeeded(username=username)
    principal = load_principal(db, user.id)
    audit.record(db, actor=principal, action="login", entity="user", entity_id=user.id)
    return TokenOut(
        access_token=issue_token(settings.secret_key, user.id),
        expires_in=settings.session_max_age_seconds,
    )


@router.get("/api/me")
def me(principal: CurrentPrincipal) -> MeOut:
    """The authenticated caller."""
    return MeOut(
        username=principal.username,
        role=str(principal.role),
        division_id=principal.division_id,
        resident_id=principal.resident_id,
    )


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path on this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form; `next` is where to go afterwards."""
    return render(request, "login.html", {"error": None, "next": safe_next(next)})


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    db: DbSession,
    settings: SettingsDep,
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password, set the session cookie and go where the user was heading."""
    throttle, address = login_throttle(request), client_address(request)
    wait = throttle.retry_after(username=username, address=address)
    if wait is not None:
        context = {"error": LOGIN_MESSAGE.format(minutes=minutes(wait)), "next": safe_next(next)}
        refused = render(request, "login.html", context, status_code=429)
        refused.headers["Retry-After"] = str(wait)
        return refused
    user = users.authenticate(db, username=username, password=password)
    if user is None:
        throttle.failed(username=username, address=address)
        context = {"error": "Wrong username or password 用户名或密码错误", "next": safe_next(next)}
        return render(request, "login.html", context, status_code=401)
    throttle.succeeded(username=username)
    principal = load_principal(db, user.id)
    audit.record(db, actor=principal, action="login", entity="user", entity_id=user.id)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issue_token(settings.secret_key, user.id),
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.post("/logout", include_in_schema=False)
def logout() -> Response:
    """Forget the session cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
