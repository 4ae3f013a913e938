"""Every route x every role (and anonymous), called for real, against the one policy table.

For each API route of the app and each caller, the expected outcome comes from policy.POLICY
alone (tests/web/authz_support.py): a role the route's permission is not granted to gets the
guard's 403 (worded "role '<role>' ..."), anonymous gets 401 (or, for a page, a redirect to
/login); a role it is granted to gets past the guard: anything but 401, a redirect to /login or
the guard's 403 (a 403 worded otherwise is a later check: division scope, an agency's grant),
and never a 5xx. Routes public on purpose (test_route_policy) deny no one. So a route whose
guard names another permission than the table means, or that checks nothing, fails here.

Why a denied role gets exactly 403 even with an empty body: FastAPI solves a route's
dependencies (the guard among them) before it validates the path, query and body parameters,
so the guard's AccessDenied comes before any 422. Only a malformed JSON body is refused
earlier (400), so write routes get a valid, empty JSON object.

Path parameters are ids of the test city that every staff login's scope covers (grid g1,
resident wang_father, household h1, the gate of m1); other ids exist nowhere, and a 404 counts
as past the guard. SQLite only: the walk checks the routes' guards, which do not depend on the
backend, and ~3,000 requests on a second backend would double its time.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.core.models import User
from epicontrol.core.policy import Role
from tests.factories import PASSWORD_HASH, City, login
from tests.web.authz_support import ANONYMOUS, fill_path, rule_for, summary, verdict
from tests.web.test_route_policy import api_routes

# Routes that take seconds per call once past the guard (chromium prints the briefing): an
# invalid query value makes them answer 422 instead, which FastAPI can only give after the guard
# let the caller through (dependencies first, then parameters); a denied role still gets 403.
CHEAP_QUERY = {
    "/dashboard/briefing.pdf": "day=not-a-date",
    "/dashboard/briefing": "day=not-a-date",
}


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """SQLite only (see the module docstring)."""
    path = tmp_path / "store.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


def _logins(client: TestClient, db: Session, city: City) -> dict[str, dict[str, str]]:
    """Bearer headers for one user of every role; a role the test city lacks gets a user here."""
    users: dict[str, str] = {}
    for username, role in city.users.items():
        users.setdefault(role.value, username)
    for role in Role:
        if role.value not in users:
            db.add(
                User(
                    username=f"walk_{role.value}",
                    display_name=role.value,
                    password_hash=PASSWORD_HASH,
                    role=role.value,
                    division_id=city.divisions["city"],
                )
            )
            users[role.value] = f"walk_{role.value}"
    db.commit()
    headers = {role: login(client, username) for role, username in users.items()}
    return {ANONYMOUS: {}, **headers}


def _detail(response: httpx.Response) -> str:
    """The error message of a JSON error answer ("" for anything else)."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return ""
    body = response.json()
    return str(body.get("detail", "")) if isinstance(body, dict) else ""


def _ids(city: City) -> dict[str, str]:
    return {
        "division_id": str(city.divisions["g1"]),
        "resident_id": str(city.residents["wang_father"]),
        "household_id": str(city.households["h1"]),
        "place_code": "GATE-M1",
        "code": "GATE-M1",
        "name": "case_counts",
    }


def test_every_route_answers_every_role_as_the_policy_table_says(
    client: TestClient, db: Session, city: City
) -> None:
    callers = _logins(client, db, city)
    ids = _ids(city)
    routes = api_routes(client.app)  # type: ignore[arg-type]
    assert len(routes) >= 200, "the walk must actually see the app's routes"
    mismatches: list[tuple[str, str, str, str, int, str]] = []
    calls = denials = 0
    for path, route in routes:
        rule = rule_for(path, route)
        for method in sorted(route.methods or ()):
            if rule is None:
                mismatches.append((method, path, "-", "a guard or declaration", 0, "unguarded"))
                continue
            url = fill_path(path, ids) + (f"?{CHEAP_QUERY[path]}" if path in CHEAP_QUERY else "")
            for who, headers in callers.items():
                client.cookies.clear()  # no session or language cookie carried between calls
                body: dict[str, str] | None = (
                    {} if method in ("POST", "PUT", "PATCH", "DELETE") else None
                )
                response = client.request(
                    method, url, headers=headers, json=body, follow_redirects=False
                )
                calls += 1
                denials += who not in rule.allowed
                problem = verdict(
                    rule,
                    who,
                    response.status_code,
                    response.headers.get("location", ""),
                    _detail(response),
                )
                if problem is None:
                    continue
                expected = ("allow " if who in rule.allowed else "deny ") + rule.why
                mismatches.append((method, path, who, expected, response.status_code, problem))
    # Not vacuous: the walk made its calls, most of them by callers POLICY turns away.
    assert calls >= 2000 and denials >= calls // 2, (calls, denials)
    assert mismatches == [], summary(mismatches)
