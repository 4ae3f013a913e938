"""Alembic environment: runs revisions against the URL the caller configured."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import epicontrol.models  # noqa: F401  (fills Base.metadata)
from epicontrol.core.db import Base, build_engine
from epicontrol.core.settings import get_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
connection = config.attributes.get("connection")


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = build_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
