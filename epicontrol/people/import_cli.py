"""The `epicontrol import residents` command: progress bar, report, exit code."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from epicontrol.core import migrate
from epicontrol.core.crypto import vault_for
from epicontrol.core.db import engine_for, session_scope
from epicontrol.core.errors import EpicontrolError
from epicontrol.core.settings import get_settings

console = Console(stderr=True)
MAX_ERRORS_SHOWN = 20


def run_import(path: Path, *, skip_invalid: bool, imported_by: str) -> int:
    """Import a register file into the configured store; the exit code says how it went."""
    from epicontrol.people.importer import import_residents_file

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    try:
        with (
            Progress(*columns, TimeElapsedColumn(), console=console) as progress,
            session_scope(engine_for(settings.database_url)) as db,
        ):
            task = progress.add_task(f"importing {path.name}", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = import_residents_file(
                db,
                path,
                vault=vault_for(settings.secret_key),
                imported_by=imported_by,
                skip_invalid=skip_invalid,
                max_bytes=settings.max_import_bytes,
                progress=advance,
            )
    except EpicontrolError as error:
        console.print(f"[red]error:[/red] {error.message}")
        return 2
    for row_error in report.errors[:MAX_ERRORS_SHOWN]:
        console.print(f"row {row_error.row}, {row_error.column}: {row_error.message}")
    if len(report.errors) > MAX_ERRORS_SHOWN:
        console.print(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more errors")
    if report.report_path:
        console.print(f"error report: {report.report_path}")
    if report.rejected_path:
        console.print(f"rejected rows: {report.rejected_path}")
    if not report.committed:
        console.print(f"[red]nothing imported[/red]: {report.rows_rejected} invalid rows")
        return 1
    console.print(
        f"imported {report.rows_imported} of {report.rows_total} rows"
        f" ({report.rows_rejected} rejected)"
    )
    return 0
