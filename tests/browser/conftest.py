"""Browser tests run on SQLite only; the browser fixtures are in tests/browser_fixtures.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """SQLite only: the pages run the same services as the dual-backend tests in
    tests/movements/test_checkin.py, and a second backend would double the slowest tests."""
    path = tmp_path / "store.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"
