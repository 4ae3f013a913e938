"""`epicontrol portal import-feed FILE.csv`: import the provincial and national figures feed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

portal_app = typer.Typer(help="The public portal: its feeds.", no_args_is_help=True)
console = Console(stderr=True)
MAX_ERRORS_SHOWN = 50


@portal_app.command("import-feed")
def import_feed_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="feed CSV")],
    by: Annotated[str, typer.Option(help="who imports it, for the audit trail")] = "cli",
) -> None:
    """Import provincial and national figures (CSV); all rows or none. Exit 0 done, 1 refused."""
    raise typer.Exit(code=run_import(file, by=by))


def run_import(path: Path, *, by: str = "cli") -> int:
    """Import a feed file into the store named by the settings; 0 done, 1 refused."""
    from epicontrol.core import migrate
    from epicontrol.core.db import engine_for, session_scope, utcnow
    from epicontrol.core.errors import EpicontrolError
    from epicontrol.core.settings import get_settings
    from epicontrol.portal import feed

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    try:
        with session_scope(engine_for(settings.database_url)) as db:
            report = feed.import_feed(
                db, actor=by, data=path.read_bytes(), file_name=path.name, now=utcnow()
            )
    except EpicontrolError as error:
        console.print(f"[red]nothing imported[/red]: {error.message}")
        return 1
    if not report.committed:
        for problem in report.errors[:MAX_ERRORS_SHOWN]:
            console.print(str(problem), markup=False)
        if len(report.errors) > MAX_ERRORS_SHOWN:
            console.print(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more problems")
        console.print(f"[red]nothing imported[/red]: {len(report.errors)} problems")
        return 1
    console.print(
        f"{path.name}: {report.rows_total} rows, {report.inserted} new, {report.updated} updated,"
        f" {report.unchanged} unchanged"
    )
    return 0
