"""The `epicontrol demo` command: build the synthetic city into the store, or as Parquet files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from epicontrol.core.settings import get_settings

# The generator (numpy, pyarrow) is imported inside the command so that `epicontrol --help`
# and every other command start without loading it.


@contextmanager
def _progress_bar(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    columns = (
        TextColumn("{task.description:<60}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("Starting", total=None)

        def report(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=total)

        yield report


def demo_command(
    residents: Annotated[
        int, typer.Option(min=100, help="Residents of the synthetic city.")
    ] = 20_000,
    days: Annotated[int, typer.Option(min=1, help="Days of movements to simulate.")] = 14,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same city.")
    ] = 2020,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the city as Parquet files to this folder instead of the store."),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Empty the store first (drops every table).")
    ] = False,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the app once built.")] = False,
    host: Annotated[str, typer.Option(help="Address to serve on, with --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on, with --serve.")] = 8000,
) -> None:
    """Build a synthetic city (云州市) with residents, places, movements and a seeded outbreak."""
    console = Console()
    settings = get_settings()
    if out is not None:
        from epicontrol.demo.build import build_city_parquet

        with _progress_bar(console) as report:
            summary = build_city_parquet(
                out,
                residents=residents,
                days=days,
                seed=seed,
                secret=settings.secret_key,
                progress=report,
            )
        _print_counts(console, summary.counts, summary.seconds)
        console.print(f"Parquet city written to [bold]{out}[/bold]")
        return

    from epicontrol.core.db import build_engine, utcnow
    from epicontrol.core.migrate import downgrade, upgrade
    from epicontrol.demo.build import build_city_into_db
    from epicontrol.demo.public_seed import seed_public_services
    from epicontrol.demo.sinks import store_has_city
    from epicontrol.demo.store_cases import open_detected_cases

    url = settings.database_url
    upgrade(url)
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            occupied = store_has_city(connection)
        if occupied and not reset:
            console.print(
                "[red]The store already holds a city.[/red] Run "
                "[bold]epicontrol demo --reset[/bold] to drop everything in it and build a new one."
            )
            raise typer.Exit(code=1)
        if reset:
            engine.dispose()  # SQLite: release the file before the migrations drop its tables
            downgrade(url, "base")
            upgrade(url)
        with _progress_bar(console) as report:
            summary = build_city_into_db(
                engine,
                residents=residents,
                days=days,
                seed=seed,
                secret=settings.secret_key,
                data_dir=settings.data_dir,
                progress=report,
            )
        summary.counts["cases_opened"] = open_detected_cases(
            engine, summary.directory / "cases.parquet", now=utcnow()
        )
        with console.status("Seeding the public portal (articles, clinics, itineraries, masks)"):
            seed_public_services(engine, secret=settings.secret_key, seed=seed)
    finally:
        engine.dispose()
    _print_counts(console, summary.counts, summary.seconds)
    console.print(
        f"Movements, ground truth and cases ({summary.first_day} to {summary.last_day}) "
        f"are in [bold]{summary.directory}[/bold]"
    )
    logins = Table(title="Demo logins (for demonstration only)")
    # Username and password must never be cut short, whatever the terminal's width.
    logins.add_column("username", no_wrap=True, min_width=14)
    logins.add_column("password", no_wrap=True, min_width=19)
    logins.add_column("role", no_wrap=True)
    logins.add_column("scope", overflow="fold")
    for login in summary.logins:
        logins.add_row(login.username, login.password, login.role, login.scope)
    console.print(logins)

    if serve:
        from epicontrol.web.server import serve as run_server

        console.print(f"Serving on [bold]http://{host}:{port}[/bold] (Ctrl-C stops)")
        run_server(host, port)


def _print_counts(console: Console, counts: dict[str, int], seconds: float) -> None:
    table = Table(title=f"Synthetic city built in {seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
