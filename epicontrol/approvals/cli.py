"""`epicontrol approvals import-catalogue FILE`: load approval items from JSON (all or nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from epicontrol.core.settings import get_settings

approvals_app = typer.Typer(help="Non-meeting approvals (不见面审批).", no_args_is_help=True)
console = Console(stderr=True)


@approvals_app.command("import-catalogue")
def import_catalogue_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON list of items")],
) -> None:
    """Create new items and new versions of changed ones; nothing is stored if one is invalid."""
    from epicontrol.approvals import catalogue
    from epicontrol.core import migrate as migrations
    from epicontrol.core.db import engine_for, session_scope
    from epicontrol.core.errors import EpicontrolError

    settings = get_settings()
    migrations.upgrade(settings.database_url)
    try:
        items = catalogue.parse_items(file.read_text(encoding="utf-8"))
        with session_scope(engine_for(settings.database_url)) as db:
            result = catalogue.import_items(db, items, actor="approvals-import")
    except (EpicontrolError, UnicodeDecodeError) as bad:
        console.print(f"[red]error:[/red] {getattr(bad, 'message', bad)}")
        raise typer.Exit(code=2) from None
    console.print(
        f"{len(items)} items: {result.created} new, {result.new_versions} new versions, "
        f"{result.unchanged} unchanged"
    )
