"""Shared fixtures: every database test runs on SQLite and on PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from epicontrol.core import migrate
from epicontrol.core.crypto import PersonalDataVault, vault_for
from epicontrol.core.db import Base, engine_for, session_factory
from epicontrol.core.settings import Settings
from epicontrol.web.app import create_app
from tests.factories import TEST_SECRET, City, make_city

pytest_plugins = ["tests.checkpoint_fixtures", "tests.browser_fixtures"]
BACKENDS = ("sqlite", "postgresql")
PG_ADMIN_URL = os.environ.get(
    "EPICONTROL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def create_pg_database(prefix: str) -> str:
    """A new, empty PostgreSQL database for this test run; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database, closing its connections first."""
    engine_for(url).dispose()
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    engine_for(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database shared by the run; tests truncate it before use."""
    url = create_pg_database("epicontrol_test")
    migrate.upgrade(url)
    yield url
    drop_pg_database(url)


def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine_for(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated store: a fresh SQLite file or the truncated PostgreSQL db."""
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        _truncate_all(url)
    yield url
    engine_for(url).dispose()


@pytest.fixture
def vault() -> PersonalDataVault:
    """The vault of the test deployment secret."""
    return vault_for(TEST_SECRET)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings of a test deployment on `db_url`."""
    # No background threads (purge, tracing, monitoring, risk sweep) unless a test asks.
    return Settings(
        database_url=db_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path / "data",
        retention_purge_interval_seconds=0,
        tracing_in_background=False,
        monitoring_refresh_seconds=0,
        risk_status_sweep_seconds=0,
        audit_seal_interval_seconds=0,
    )


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    """A session on the test store for arranging and checking data (commit explicitly)."""
    with session_factory(engine_for(db_url))() as session:
        yield session


@pytest.fixture
def city(db: Session, vault: PersonalDataVault) -> City:
    """A small city: two districts down to grids, households, residents and a login per role."""
    built = make_city(db, vault)
    db.commit()
    return built


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app, called in-process through its ASGI interface."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    database_url: str,
    folder: Path,
    *,
    secret: str = TEST_SECRET,
    timeout: float = 120,
    **settings: str,
) -> Iterator[str]:
    """A real uvicorn process on loopback serving `database_url`; yields its base URL.

    Its data lives in `folder`/data and its output goes to `folder`/server.log; `settings` are
    further EPICONTROL_* variables by their lower-case names (login_failures_per_address=...).
    """
    port = free_port()
    env = {
        **os.environ,
        "EPICONTROL_DATABASE_URL": database_url,
        "EPICONTROL_SECRET_KEY": secret,
        "EPICONTROL_DATA_DIR": str(folder / "data"),
        "EPICONTROL_RETENTION_PURGE_INTERVAL_SECONDS": "0",
        "EPICONTROL_AUDIT_SEAL_INTERVAL_SECONDS": "0",
        "EPICONTROL_QA_WARM_UP": "false",  # 1-2 s of CPU per server; the Q&A tests load it
        **{f"EPICONTROL_{name.upper()}": value for name, value in settings.items()},
    }
    command = [sys.executable, "-m", "epicontrol.cli", "serve", "--port", str(port)]
    log_path = folder / "server.log"
    # Output goes to a file: a pipe nobody reads would fill up and stall the server.
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # A loaded machine (other suites running) can take well over 30 s to import the app.
        wait_until_up(base, process, timeout=timeout, log_path=log_path)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def live_server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A real uvicorn process on loopback serving the test store; yields its base URL."""
    with serving(
        settings.database_url,
        tmp_path,
        secret=settings.secret_key,
        timeout=60,
        data_dir=str(settings.data_dir),
        retention_purge_interval_seconds=str(settings.retention_purge_interval_seconds),
        audit_seal_interval_seconds=str(settings.audit_seal_interval_seconds),
    ) as base:
        yield base


def city_store(sqlite_template: Path, folder: Path) -> tuple[str, City]:
    """A copy of the migrated template in `folder` holding the test city; its URL and ids."""
    path = folder / "store.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    with session_factory(engine_for(url))() as db:
        city = make_city(db, vault_for(TEST_SECRET))
        db.commit()
    engine_for(url).dispose()
    return url, city


def wait_until_up(
    base: str,
    process: subprocess.Popen[bytes],
    timeout: float = 60,
    log_path: Path | None = None,
) -> None:
    """Return once the server at `base` answers /healthz; fail if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if log_path is not None:
                output = log_path.read_text(errors="replace")
            else:
                output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"server exited early:\n{output}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not answer /healthz within {timeout} s")
