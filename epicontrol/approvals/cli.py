"""`epicontrol approvals import-catalogue FILE`: load approval items from JSON (all or nothing).
`epicontrol approvals encrypt-attachments`: encrypt the attachments stored in clear before."""

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


@approvals_app.command("encrypt-attachments")
def encrypt_attachments_command() -> None:
    """Encrypt in place the attachments stored in clear; a second run changes nothing."""
    from rich.progress import Progress

    from epicontrol.approvals import sealing
    from epicontrol.approvals.attachments import root
    from epicontrol.core.settings import DEMO_SECRET_KEY

    settings = get_settings()
    if settings.secret_key == DEMO_SECRET_KEY and not settings.allow_demo_secret:
        # Files sealed under the demo key could not be read by the deployment's real secret.
        console.print("[red]error:[/red] set EPICONTROL_SECRET_KEY: the demo secret is not allowed")
        raise typer.Exit(code=2)
    files = list(sealing.stored_files(root(settings.data_dir)))
    with Progress(console=console) as progress:
        task = progress.add_task("encrypting attachments", total=len(files))
        report = sealing.seal_clear_files(
            files, sealing.cipher_for(settings.secret_key), lambda: progress.advance(task)
        )
    for path in report.damaged:
        # Unwrapped, so that the path can be copied whole from the terminal.
        console.print(f"[yellow]damaged, left as it is:[/yellow] {path}", soft_wrap=True)
    console.print(
        f"{len(files)} file{'' if len(files) == 1 else 's'}: {report.encrypted} encrypted, "
        f"{report.already_sealed} already encrypted, {len(report.damaged)} damaged"
    )
    if report.damaged:
        raise typer.Exit(code=1)
