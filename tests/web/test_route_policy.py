"""Every API route either is public on purpose or is guarded by a permission of the policy table."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from epicontrol.core.deps import current_principal
from epicontrol.core.settings import Settings
from epicontrol.web.app import create_app

# Routes anyone may call: health, logging in, the login form.
PUBLIC = {
    "/healthz",
    "/api/auth/token",
    "/login",
    "/logout",
    "/",
    "/api/passes/public-key",
    "/static/vendor/plotly.min.js",
    # Fever self-check advice (stores nothing) and public reports (举报), anonymous on purpose.
    "/api/public/self-check",
    "/self-check",
    "/api/public/tips",
    "/report",
}
# The public portal (issue 7) is anonymous on purpose, all of it but a visitor's own pages.
PUBLIC_PREFIXES = ("/public", "/api/public/")
PERSONAL_PREFIXES = ("/public/me/", "/api/public/me/")


def is_public(path: str) -> bool:
    """Whether `path` is anonymous on purpose (listed, or a portal page that is not personal)."""
    if path in PUBLIC:
        return True
    return path.startswith(PUBLIC_PREFIXES) and not path.startswith(PERSONAL_PREFIXES)


# Routes that need a login but no particular permission (they only show the caller's own data).
ANY_LOGIN = {
    "/api/me",
    "/api/residents/household",
    "/api/passes/me",
    "/api/passes/me/qr.svg",
    "/api/passes/me/qr.png",
}


def _guards(route: APIRoute) -> tuple[set[str], bool]:
    permissions: set[str] = set()
    needs_login = False
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            permissions.add(str(permission))
        if dependency.call is current_principal:
            needs_login = True
        stack.extend(dependency.dependencies)
    return permissions, needs_login


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(path, route) for every API route of the app, whichever way FastAPI nests them."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers were kept as groups
        return [(r.path, r) for r in app.routes if isinstance(r, APIRoute)]
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found.append((str(getattr(context, "path", route.path)), route))
    return found


def test_every_route_is_guarded_or_declared_public(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    routes = api_routes(app)
    assert len(routes) >= 20, "the walk must actually see the app's routes"
    unguarded = []
    for path, route in routes:
        if is_public(path):
            continue
        permissions, needs_login = _guards(route)
        if path in ANY_LOGIN:
            assert needs_login, f"{path} must require a login"
        elif not permissions:
            unguarded.append(f"{sorted(route.methods)} {path}")
    assert unguarded == [], "routes without a policy permission"
