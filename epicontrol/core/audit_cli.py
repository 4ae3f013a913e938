"""`epicontrol audit ...`: seal the audit log, verify its hash chain, print the chain's head."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from epicontrol.core.settings import get_settings

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console(stderr=True)


def _parse_head(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise typer.BadParameter("give the head as SEQ:HASH, as `epicontrol audit head` prints it")
    return int(seq), digest


@audit_app.command("verify")
def verify_command(
    head: Annotated[
        str | None,
        typer.Option(help="a head published earlier (SEQ:HASH): also detects a truncated chain"),
    ] = None,
    seal: Annotated[bool, typer.Option(help="seal new entries before verifying")] = True,
) -> None:
    """Check every sealed audit entry against the hash chain; exit 1 at the first bad one."""
    from epicontrol.core import audit_chain
    from epicontrol.core import migrate as migrations
    from epicontrol.core.db import engine_for, session_factory

    expected = _parse_head(head)
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    key = audit_chain.chain_key(settings.secret_key)
    with session_factory(engine_for(settings.database_url))() as db:
        if seal:
            audit_chain.seal_all(db, key=key)
        with _progress() as progress:
            task = progress.add_task("verifying", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = audit_chain.verify(db, key=key, expected_head=expected, on_progress=advance)
    if result.problem is not None:
        console.print(f"[red]TAMPERED[/red] {result.problem.message}")
        typer.echo(f"first bad entry: {result.problem.entry_id} (seal {result.problem.seq})")
        raise typer.Exit(code=1)
    last = f"{result.head.seq}:{result.head.hash}" if result.head else "empty"
    console.print(
        f"[green]intact[/green]: {result.checked:,} entries; unsealed {result.unsealed:,}"
    )
    typer.echo(f"head {last}")


@audit_app.command("head")
def head_command() -> None:
    """Print the chain's newest link as SEQ:HASH, to publish or keep off the server."""
    from epicontrol.core import audit_chain
    from epicontrol.core import migrate as migrations
    from epicontrol.core.db import engine_for, session_factory

    settings = get_settings()
    migrations.upgrade(settings.database_url)
    with session_factory(engine_for(settings.database_url))() as db:
        audit_chain.seal_all(db, key=audit_chain.chain_key(settings.secret_key))
        last = audit_chain.head(db)
    typer.echo("0:" + audit_chain.GENESIS if last is None else f"{last.seq}:{last.hash}")


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
