"""Schemathesis fuzzes every operation of a live server's /openapi.json: never a 5xx.

A real uvicorn on loopback serves the test city (tests/factories.py); Schemathesis reads the
schema from it and sends generated requests to each operation as a caller its guard lets
through: anonymous for the public routes, the administrator (every staff permission, city-wide
scope, so fuzzed ids and bodies reach the handlers), a resident for the portal's own routes, and
a checkpoint device (X-Device-Key) for the scan routes. A caller the guard turns away is not
fuzzed: the guard answers before FastAPI even reads the parameters (see
test_authorization_walk.py, which calls every route as every role), so fuzzing it only
measures the guard. Whatever the input, the answer must not be a server error: bad input is a
4xx with a message.

Bounded and reproducible: MAX_EXAMPLES per operation and caller, derandomized (Hypothesis'
fixed seed), no example database and no shrinking (a failure is reported as generated). The
rate limits of logins and self-checks are raised for this server so generated requests reach
the handlers instead of a 429 after the first dozen (the 429s are declared in the schema).

SQLite runs every caller; PostgreSQL runs the administrator only (the backend matters to the
handlers, where the administrator gets to, and a second full run would double the time).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from sqlalchemy.orm import Session

from epicontrol.core.crypto import vault_for
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.settings import Settings
from epicontrol.web.app import create_app
from tests.conftest import serving
from tests.factories import PASSWORD, TEST_SECRET, make_city
from tests.web.authz_support import ANONYMOUS, rule_for
from tests.web.test_route_policy import api_routes

# Per operation and caller in `make test`: the module then takes ~57 s on an idle 2-core machine
# (3 examples: ~33 s). EPICONTROL_FUZZ_EXAMPLES=50 (say) for a deeper run and
# EPICONTROL_FUZZ_NEGATIVE=1 to add schema-violating requests (FastAPI's 422s, mostly).
MAX_EXAMPLES = int(os.environ.get("EPICONTROL_FUZZ_EXAMPLES", "8"))
MODES = [GenerationMode.POSITIVE] + (
    [GenerationMode.NEGATIVE] if os.environ.get("EPICONTROL_FUZZ_NEGATIVE") == "1" else []
)
ADMIN, RESIDENT, DEVICE = "admin", "resident", "device"
# Operations left out, each with its reason; everything else in the schema is fuzzed.
EXCLUDED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class FuzzServer:
    """A live server on a store holding the test city."""

    base: str
    backend: str
    log: Path


def _store_url(backend: str, request: pytest.FixtureRequest, tmp: Path) -> str:
    if backend == "sqlite":
        path = tmp / "store.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    from tests.conftest import _truncate_all

    url: str = request.getfixturevalue("pg_url")
    _truncate_all(url)
    return url


@pytest.fixture(scope="module")
def sqlite_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzServer]:
    """The fuzzed server on SQLite."""
    yield from _serve("sqlite", request, tmp_path_factory)


@pytest.fixture(scope="module")
def postgresql_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzServer]:
    """The fuzzed server on PostgreSQL."""
    yield from _serve("postgresql", request, tmp_path_factory)


def _serve(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzServer]:
    """A real uvicorn on loopback serving the test city, limits raised for fuzzing."""
    tmp = tmp_path_factory.mktemp(f"fuzz_{backend}")
    url = _store_url(backend, request, tmp)
    with session_factory(engine_for(url))() as db:
        _build_city(db)
    engine_for(url).dispose()
    try:
        with serving(
            url,
            tmp,
            tracing_in_background="false",
            monitoring_refresh_seconds="0",
            risk_status_sweep_seconds="0",
            # Fuzzing sends hundreds of failed logins and self-checks from one address.
            login_failures_per_username="100000",
            login_failures_per_address="100000",
            public_writes_per_minute="100000",
        ) as base:
            yield FuzzServer(base, backend, tmp / "server.log")
    finally:
        engine_for(url).dispose()


def _build_city(db: Session) -> None:
    make_city(db, vault_for(TEST_SECRET))
    db.commit()


def _bearer(base: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/auth/token", data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _device(base: str) -> dict[str, str]:
    """The key of a checkpoint device at the m1 gate, registered by its community officer."""
    response = httpx.post(
        f"{base}/api/devices",
        json={"place_code": "GATE-M1", "name": "fuzzed scanner"},
        headers=_bearer(base, "officer_m1"),
    )
    assert response.status_code == 201, response.text
    return {"X-Device-Key": response.json()["api_key"]}


def _app(tmp: Path) -> FastAPI:
    """The app as built in-process, for its routes (never served: no store is opened)."""
    settings = Settings(database_url=f"sqlite:///{tmp / 'unused.db'}", secret_key=TEST_SECRET)
    return create_app(settings)


@pytest.fixture(scope="module")
def callers_of(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> the caller that fuzzes it: one its guard lets through (POLICY)."""
    app = _app(tmp_path_factory.mktemp("routes"))
    chosen: dict[tuple[str, str], str] = {}
    for path, route in api_routes(app):
        rule = rule_for(path, route)
        assert rule is not None, f"{path} has no guard (test_authorization_walk says more)"
        if rule.device_only:
            caller = DEVICE
        elif ANONYMOUS in rule.allowed:
            caller = ANONYMOUS
        elif ADMIN in rule.allowed:
            caller = ADMIN
        else:  # the resident's own routes (reports, orders, bookings, appeals)
            caller = RESIDENT
        for method in route.methods or ():
            chosen[(method, path)] = caller
    return chosen


def _fuzz(server: FuzzServer, caller: str, callers_of: dict[tuple[str, str], str]) -> list[str]:
    """Every operation of the live schema this caller gets past, MAX_EXAMPLES requests each."""
    headers = {
        ANONYMOUS: dict,
        ADMIN: lambda: _bearer(server.base, "admin"),
        RESIDENT: lambda: _bearer(server.base, "resident_wang"),
        DEVICE: lambda: _device(server.base),
    }[caller]()
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json")
    failures: list[str] = []
    timings: list[tuple[float, str]] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation, mode in ((op, mode) for mode in MODES for op in operations):
        key = (operation.method.upper(), operation.path)
        if key in EXCLUDED or callers_of.get(key, ANONYMOUS) != caller:
            continue

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.base, headers=headers, timeout=30)
            case.validate_response(response, checks=[not_a_server_error])

        started = time.perf_counter()
        try:
            call()
        except Unsatisfiable:  # nothing to negate: an operation without parameters or body
            assert mode == GenerationMode.NEGATIVE, key
        except (Exception, FailureGroup) as error:  # every failure is collected, then reported
            failures.append(f"{key[0]} {key[1]} ({mode.value}): {str(error)[:1500]}")
        timings.append((time.perf_counter() - started, f"{key[0]} {key[1]}"))
    assert timings, f"nothing fuzzed as {caller}"
    slowest = sorted(timings, reverse=True)[:6]
    print(
        f"{caller}: {len(timings)} operations in {sum(t for t, _ in timings):.1f} s; slowest:",
        ", ".join(f"{name} {seconds:.2f} s" for seconds, name in slowest),
    )
    return failures


def _report(server: FuzzServer, failures: list[str]) -> str:
    return "\n\n".join(failures) + "\n\nserver errors:\n" + _server_errors(server.log)


def _server_errors(log: Path) -> str:
    """Each traceback of the server's log as its innermost line of our code and its error."""
    found: list[str] = []
    ours = ""
    in_traceback = False
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("Traceback"):
            in_traceback, ours = True, ""
        elif in_traceback and 'File "' in line and "/epicontrol/" in line:
            ours = line.strip()
        elif (
            in_traceback
            and line
            and not line.startswith((" ", "\t", "+", "|", "The above", "During handling"))
        ):
            found.append(f"{ours}\n    {line[:300]}")
            in_traceback = False
    return "\n".join(dict.fromkeys(found))


@pytest.mark.parametrize("caller", [ANONYMOUS, ADMIN, RESIDENT, DEVICE])
def test_fuzzed_requests_never_get_a_server_error(
    sqlite_server: FuzzServer, caller: str, callers_of: dict[tuple[str, str], str]
) -> None:
    failures = _fuzz(sqlite_server, caller, callers_of)
    assert failures == [], _report(sqlite_server, failures)


def test_fuzzed_requests_of_the_administrator_on_postgresql_never_get_a_server_error(
    postgresql_server: FuzzServer, callers_of: dict[tuple[str, str], str]
) -> None:
    failures = _fuzz(postgresql_server, ADMIN, callers_of)
    assert failures == [], _report(postgresql_server, failures)


def test_every_operation_of_the_schema_has_a_caller_that_gets_past_its_guard(
    callers_of: dict[tuple[str, str], str], tmp_path: Path
) -> None:
    app = _app(tmp_path)
    operations = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    assert len(operations) >= 150
    assert operations - set(callers_of) - set(EXCLUDED) <= {("GET", "/healthz")}


def test_rate_limited_routes_declare_their_429(tmp_path: Path) -> None:
    paths = _app(tmp_path).openapi()["paths"]
    for path in ("/api/auth/token", "/api/public/self-check", "/api/public/tips"):
        assert "429" in paths[path]["post"]["responses"], path
