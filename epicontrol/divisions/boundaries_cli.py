"""The `epicontrol divisions import-boundaries` command: report per feature, exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True)
MAX_ERRORS_SHOWN = 50


def import_boundaries_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON FeatureCollection")
    ],
) -> None:
    """Import division boundaries (features matched by properties.code); all or nothing."""
    raise typer.Exit(code=run_import(file))


def run_import(path: Path) -> int:
    """Import a boundary file into the store; exit 0 done, 1 refused (nothing stored), 2 too big."""
    from epicontrol.core import migrate
    from epicontrol.core.db import engine_for, session_scope
    from epicontrol.core.errors import EpicontrolError
    from epicontrol.core.settings import get_settings
    from epicontrol.divisions.boundaries import (
        BoundaryFileInvalid,
        import_boundaries,
        parse_boundary_file,
    )

    settings = get_settings()
    if path.stat().st_size > settings.max_import_bytes:
        console.print(f"[red]error:[/red] file is larger than {settings.max_import_bytes} bytes")
        return 2
    migrate.upgrade(settings.database_url)
    try:
        document = parse_boundary_file(path.read_bytes())
        with session_scope(engine_for(settings.database_url)) as db:
            stored = import_boundaries(db, document=document)
    except BoundaryFileInvalid as invalid:
        for error in invalid.errors[:MAX_ERRORS_SHOWN]:
            console.print(str(error))
        if len(invalid.errors) > MAX_ERRORS_SHOWN:
            console.print(f"... and {len(invalid.errors) - MAX_ERRORS_SHOWN} more problems")
        console.print(f"[red]nothing imported[/red]: {invalid.message}")
        return 1
    except EpicontrolError as error:
        console.print(f"[red]nothing imported[/red]: {error.message}")
        return 1
    console.print(f"imported {stored} division boundaries from {path.name}")
    return 0
