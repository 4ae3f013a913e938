"""Every migration upgrades and downgrades cleanly on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from epicontrol.core import migrate
from epicontrol.core.db import Base, engine_for
from tests.conftest import create_pg_database, drop_pg_database


@pytest.fixture(params=("sqlite", "postgresql"))
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        yield url
        engine_for(url).dispose()
    else:
        url = create_pg_database("epicontrol_migrations")
        yield url
        drop_pg_database(url)


def _tables(url: str) -> set[str]:
    engine = engine_for(url)
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    return names


def test_upgrade_creates_every_table_and_downgrade_removes_them(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
    migrate.downgrade(empty_url, "base")
    assert _tables(empty_url) == set()
    migrate.upgrade(empty_url)  # and back up again: downgrade left nothing behind
    assert _tables(empty_url) == set(Base.metadata.tables)


def test_audit_log_refuses_update_and_delete(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    engine = engine_for(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, actor_role, action, entity, purpose, outcome,"
                " detail) VALUES (CURRENT_TIMESTAMP, 'a', 'admin', 'read', 'x', 'p', 'allowed', '')"
            )
        )
    for statement in ("UPDATE audit_log SET actor = 'b'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT actor FROM audit_log")) == "a"
    engine.dispose()


def test_models_and_migrations_agree(empty_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate.upgrade(empty_url)
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == [], (
        "a model changed without a migration (alembic revision --autogenerate)"
    )
