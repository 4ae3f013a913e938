"""`epicontrol retention purge`: apply every personal table's retention window."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress

from epicontrol.core.settings import get_settings

retention_app = typer.Typer(help="Retention windows of personal data.", no_args_is_help=True)
console = Console(stderr=True)


@retention_app.callback()
def retention_group() -> None:
    """Retention windows of personal data (core/retention.py lists every table)."""


@retention_app.command("purge")
def purge_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count only; change nothing")] = False,
) -> None:
    """Delete or anonymise personal records past their table's retention window."""
    from epicontrol.core import migrate, retention
    from epicontrol.core.db import engine_for, session_factory, utcnow

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    now = utcnow()
    with session_factory(engine_for(settings.database_url))() as db:
        if dry_run:
            results = retention.plan(db, settings=settings, now=now)
        else:
            with Progress(
                "{task.description}", BarColumn(), MofNCompleteColumn(), console=console
            ) as progress:
                task = progress.add_task("purging", total=len(retention.RULES))

                def done(result: retention.TableResult) -> None:
                    progress.update(task, advance=1, description=result.table)

                results = retention.purge(
                    db,
                    settings=settings,
                    now=now,
                    actor="epicontrol retention purge (command line)",
                    purpose="retention windows",
                    on_table=done,
                )
    verb = "would " if dry_run else ""
    for r in results:
        files = f", {r.files:,} files deleted" if r.files else ""
        typer.echo(
            f"{r.table}: {verb}{r.action} {r.rows:,} rows before {r.cutoff} "
            f"({r.window_days} days){files}"
        )
