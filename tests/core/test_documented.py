"""Every setting and every CLI command is documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from epicontrol.cli import app
from epicontrol.core.settings import Settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented(name: str) -> None:
    assert f"`EPICONTROL_{name.upper()}`" in README


def _command_paths() -> list[str]:
    group = typer.main.get_command(app)
    paths = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            paths.extend(f"{name} {sub}" for sub in subcommands)
        else:
            paths.append(name)
    return sorted(paths)


@pytest.mark.parametrize("path", _command_paths())
def test_command_is_documented(path: str) -> None:
    if path == "version":
        pytest.skip("self-explanatory")
    assert f"`epicontrol {path}" in README
