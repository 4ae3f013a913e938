"""The `epicontrol export movements` and `epicontrol purge` commands (registered in cli.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from epicontrol.core.settings import Settings, get_settings
from epicontrol.movements import rules

# Soft wrap: messages stay on one line, so they can be grepped and copied whole.
console = Console(stderr=True, soft_wrap=True)
EXPORT_FOLDER = "export"


def default_export_dir(settings: Settings) -> Path:
    """Where exports go unless told otherwise, and where the purge looks for expired copies."""
    return settings.data_dir / EXPORT_FOLDER


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; write it YYYY-MM-DD") from None


def export_command(
    out: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="folder to write into; default <data dir>/export"),
    ] = None,
    day: Annotated[
        date | None,
        typer.Option(parser=_parse_day, metavar="YYYY-MM-DD", help="export only this closed day"),
    ] = None,
    through: Annotated[
        date | None,
        typer.Option(
            parser=_parse_day,
            metavar="YYYY-MM-DD",
            help="last day to export; default yesterday (UTC)",
        ),
    ] = None,
) -> None:
    """Write closed days of movements to Parquet (movements/day=YYYY-MM-DD/) for tracing."""
    from epicontrol.core import migrate
    from epicontrol.core.db import engine_for
    from epicontrol.core.errors import EpicontrolError
    from epicontrol.movements.export import export_closed_days

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    out_dir = out or default_export_dir(settings)
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("exporting movements", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = export_closed_days(
                engine_for(settings.database_url),
                out_dir,
                day=day,
                through=through,
                progress=advance,
            )
    except EpicontrolError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(code=2) from None
    if summary.days:
        first, last = summary.days[0].day, summary.days[-1].day
        console.print(
            f"exported {summary.rows:,} movements of {len(summary.days)} days "
            f"({first.isoformat()} to {last.isoformat()}) to {out_dir / 'movements'}"
        )
    else:
        console.print("no closed day with movements to export")
    console.print(
        f"reference tables: {summary.places:,} places, {summary.residents:,} residents, "
        f"{summary.divisions:,} divisions"
    )


def purge_command(
    older_than_days: Annotated[
        int, typer.Option(help="keep this many days of movements (DESIGN.md: 28)")
    ] = rules.RETENTION_DAYS,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    export_dir: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="also remove expired day partitions here; default <data dir>/export",
        ),
    ] = None,
) -> None:
    """Delete movement records (and their temperature alerts) older than the retention window."""
    from epicontrol.core import migrate
    from epicontrol.core.db import engine_for, session_factory, utcnow
    from epicontrol.core.errors import EpicontrolError
    from epicontrol.movements.retention import plan_purge, purge

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    exports = export_dir or default_export_dir(settings)
    now = utcnow()
    with session_factory(engine_for(settings.database_url))() as db:
        try:
            plan = plan_purge(db, older_than_days=older_than_days, now=now, export_dir=exports)
            db.rollback()  # end the counting read before the purge's own transactions
            if plan.is_empty:
                console.print(f"nothing recorded before {plan.cutoff.isoformat()}: nothing to do")
                return
            what = (
                f"{plan.movements:,} movement records and {plan.alerts:,} temperature alerts "
                f"from before {plan.cutoff.isoformat()}"
            )
            if plan.partitions:
                what += f", and {len(plan.partitions)} exported day partitions in {exports}"
            if not yes:
                typer.confirm(f"Delete {what}?", abort=True)
            summary = purge(
                db,
                older_than_days=older_than_days,
                now=now,
                actor="epicontrol purge (command line)",
                export_dir=exports,
                purpose="epicontrol purge (command line)",
            )
        except EpicontrolError as error:
            console.print(f"[red]error:[/red] {error.message}")
            raise typer.Exit(code=2) from None
    console.print(
        f"deleted {summary.movements:,} movement records and {summary.alerts:,} temperature "
        f"alerts from before {summary.cutoff.isoformat()}"
        + (f"; removed {len(summary.partitions)} exported partitions" if summary.partitions else "")
    )
