"""`epicontrol demo`: Parquet with --out, the store otherwise, refusing a filled store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from argon2 import PasswordHasher
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

import epicontrol.models  # noqa: F401  (fills Base.metadata)
from epicontrol.core.db import Base
from epicontrol.core.settings import get_settings
from epicontrol.demo import logins
from epicontrol.demo.cli import demo_command

runner = CliRunner()
app = typer.Typer()
app.command()(demo_command)
SMALL = ["--residents", "500", "--days", "2", "--seed", "11"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    # The demo logins' argon2 hashes dominate a small build; cheap parameters keep this file
    # fast (the store tests use the real ones).
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(logins, "hash_password", cheap.hash)
    monkeypatch.setenv("EPICONTROL_DATABASE_URL", url)
    monkeypatch.setenv("EPICONTROL_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _residents(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(Base.metadata.tables["residents"])
        ).scalar_one()
    engine.dispose()
    return int(count)


def test_out_writes_a_parquet_city(tmp_path: Path) -> None:
    result = runner.invoke(app, [*SMALL, "--out", str(tmp_path / "city")])

    assert result.exit_code == 0, result.output
    assert pq.read_metadata(tmp_path / "city" / "residents.parquet").num_rows == 500
    assert "residents" in result.output


def test_builds_into_the_store_then_refuses_to_build_again_unless_reset(
    store: str, tmp_path: Path
) -> None:
    built = runner.invoke(app, SMALL)
    assert built.exit_code == 0, built.output
    assert _residents(store) == 500
    for username in ("admin", "epidemiologist", "gridworker", "resident"):
        assert username in built.output
    assert (tmp_path / "var" / "city" / "cases.parquet").exists()

    refused = runner.invoke(app, SMALL)
    assert refused.exit_code == 1
    assert "--reset" in refused.output

    rebuilt = runner.invoke(app, [*SMALL, "--residents", "600", "--reset"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert _residents(store) == 600
