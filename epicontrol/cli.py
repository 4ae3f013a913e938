"""The `epicontrol` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from epicontrol.core.settings import DEMO_SECRET_KEY, get_settings

app = typer.Typer(
    help="epicontrol: epidemic prevention-and-control data platform.", no_args_is_help=True
)
import_app = typer.Typer(help="Import files into the operational store.", no_args_is_help=True)
user_app = typer.Typer(help="Manage logins.", no_args_is_help=True)
device_app = typer.Typer(help="Manage checkpoint devices.", no_args_is_help=True)
export_app = typer.Typer(help="Export data for analytics.", no_args_is_help=True)
divisions_app = typer.Typer(help="Administrative divisions and their maps.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(user_app, name="user")
app.add_typer(device_app, name="device")
app.add_typer(export_app, name="export")
app.add_typer(divisions_app, name="divisions")
console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


@app.command()
def version() -> None:
    """Print the version."""
    from epicontrol import __version__

    typer.echo(__version__)


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    down: Annotated[bool, typer.Option(help="downgrade to the revision instead")] = False,
) -> None:
    """Upgrade (or downgrade) the operational store's schema."""
    from epicontrol.core import migrate as migrations

    url = get_settings().database_url
    if down:
        migrations.downgrade(url, revision)
    else:
        migrations.upgrade(url, revision)
    console.print(f"schema at {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Migrate the store, then serve the web app and API."""
    from epicontrol.core import migrate as migrations
    from epicontrol.web.server import serve as run_server

    settings = get_settings()
    if settings.secret_key == DEMO_SECRET_KEY and not settings.allow_demo_secret:
        raise _fail("set EPICONTROL_SECRET_KEY: the demo secret is not allowed here")
    migrations.upgrade(settings.database_url)
    run_server(host, port, workers)


@import_app.command("residents")
def import_residents(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or xlsx")],
    skip_invalid: Annotated[
        bool, typer.Option(help="import the valid rows, write rejected ones aside")
    ] = False,
    by: Annotated[str, typer.Option(help="who is importing (recorded)")] = "cli",
) -> None:
    """Import a base resident register; a file with errors commits nothing by default."""
    from epicontrol.people.import_cli import run_import

    raise typer.Exit(code=run_import(file, skip_invalid=skip_invalid, imported_by=by))


@user_app.command("create")
def create_user(
    username: str,
    role: Annotated[str, typer.Option(help="one of the roles in DESIGN.md")],
    division_code: Annotated[str, typer.Option(help="code of the division the user is scoped to")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
) -> None:
    """Create a staff login scoped to a division."""
    from epicontrol.core import migrate as migrations
    from epicontrol.core import users
    from epicontrol.core.db import engine_for, session_scope
    from epicontrol.core.errors import EpicontrolError
    from epicontrol.core.policy import Role
    from epicontrol.divisions import service as divisions

    try:
        parsed_role = Role(role)
    except ValueError:
        raise _fail(f"unknown role '{role}'; one of: {', '.join(Role)}") from None
    url = get_settings().database_url
    migrations.upgrade(url)
    try:
        with session_scope(engine_for(url)) as db:
            division = divisions.get_by_code(db, code=division_code)
            users.create(
                db,
                username=username,
                password=password,
                role=parsed_role,
                division_id=division.id,
            )
    except EpicontrolError as error:
        raise _fail(error.message) from None
    console.print(f"created {username} ({parsed_role}) scoped to {division_code}")


@device_app.command("create")
def create_device(
    place_code: Annotated[str, typer.Option("--place", help="code of the place")],
    name: Annotated[str, typer.Option(help="a name officers recognise")],
    direction: Annotated[str | None, typer.Option(help="'in' or 'out' for a one-way gate")] = None,
) -> None:
    """Register a checkpoint device and print its API key (shown only once)."""
    from epicontrol.core import migrate as migrations
    from epicontrol.core.db import engine_for, session_scope
    from epicontrol.core.errors import EpicontrolError
    from epicontrol.movements import devices

    url = get_settings().database_url
    migrations.upgrade(url)
    try:
        with session_scope(engine_for(url)) as db:
            new = devices.register(
                db, principal=None, place_code=place_code, name=name, fixed_direction=direction
            )
    except EpicontrolError as error:
        raise _fail(error.message) from None
    console.print(f"device {new.device_id} at place {place_code}; its key (keep it secret):")
    typer.echo(new.api_key)


def _register_domain_commands() -> None:
    # The domains keep their commands next to their code; heavy imports stay inside them.
    from epicontrol.analytics.briefing_cli import briefing_command
    from epicontrol.approvals.cli import approvals_app
    from epicontrol.core.audit_cli import audit_app
    from epicontrol.core.retention_cli import retention_app
    from epicontrol.demo.cli import demo_command
    from epicontrol.divisions.boundaries_cli import import_boundaries_command
    from epicontrol.movements.data_cli import export_command, purge_command
    from epicontrol.portal.feed_cli import portal_app
    from epicontrol.tracing.trace_cli import trace_command

    app.command("demo", help="Build a synthetic city (into the store, or as Parquet with --out).")(
        demo_command
    )
    export_app.command("movements")(export_command)
    divisions_app.command("import-boundaries")(import_boundaries_command)
    app.command("purge")(purge_command)
    app.add_typer(portal_app, name="portal")
    app.add_typer(audit_app, name="audit")
    app.add_typer(retention_app, name="retention")
    app.add_typer(approvals_app, name="approvals")
    app.command("briefing", help="Write a division's daily briefing as PDF or offline HTML.")(
        briefing_command
    )
    app.command("trace", help="Find close and secondary contacts in a Parquet folder.")(
        trace_command
    )


_register_domain_commands()


if __name__ == "__main__":
    app()
