"""The `epicontrol trace` command: contacts of a city folder's or export's cases, to a file."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

# Soft wrap: messages stay on one line, so they can be grepped and copied whole.
console = Console(stderr=True, soft_wrap=True)


def _engine_name(value: str) -> str:
    # Imported here: the engines pull in pyarrow and sqlglot, which every other command (serve
    # among them, for its whole life) would otherwise carry.
    from epicontrol.tracing.engines import ENGINES

    if value not in ENGINES:
        raise typer.BadParameter(f"'{value}' is not an engine; choose {', '.join(sorted(ENGINES))}")
    return value


def trace_command(
    data: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=False,
            help="folder with movements/ (city or store export), places.parquet, residents.parquet",
        ),
    ],
    engine: Annotated[
        str, typer.Option(callback=_engine_name, help="analytical engine: duckdb or spark")
    ] = "duckdb",
    master: Annotated[
        str | None, typer.Option(help="Spark master URL, e.g. spark://host:7077; default local")
    ] = None,
    out: Annotated[Path, typer.Option(dir_okay=False, help="file to write the contacts to")] = Path(
        "contacts.parquet"
    ),
    cases: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="cases to trace (Parquet); default DATA/cases.parquet"
        ),
    ] = None,
    csv: Annotated[bool, typer.Option(help="write CSV instead of Parquet")] = False,
    rules: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="tracing rules file (JSON or TOML); default the deployment's, else built-in",
        ),
    ] = None,
) -> None:
    """Find the close and secondary contacts of the cases and write them (one row per exposure)."""
    import pyarrow.parquet as pq

    from epicontrol.core.settings import get_settings
    from epicontrol.tracing.engine import trace_city_directory
    from epicontrol.tracing.rules import load_rules

    began = perf_counter()
    try:
        # The deployment's rules file, once settings has the field (EPICONTROL_TRACING_RULES_FILE).
        rules_file = rules or getattr(get_settings(), "tracing_rules_file", None)
        tracing_rules = load_rules(rules_file)
        case_table = pq.read_table(cases) if cases is not None else None
        with console.status(f"Tracing with {engine}") as status:

            def progress(step: str) -> None:
                status.update(f"{step} [dim]({perf_counter() - began:.0f} s, {engine})[/dim]")

            contacts = trace_city_directory(
                data,
                engine_name=engine,
                master=master,
                cases=case_table,
                rules=tracing_rules,
                progress=progress,
            )
            status.update(f"Writing {contacts.num_rows:,} contacts to {out}")
            out.parent.mkdir(parents=True, exist_ok=True)
            if csv:
                import pyarrow.csv as pa_csv

                pa_csv.write_csv(contacts, out)
            else:
                pq.write_table(contacts, out, compression="zstd")
    except (FileNotFoundError, ValueError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=2) from None
    console.print(_summary(contacts))
    console.print(
        f"{contacts.num_rows:,} exposures written to {out} in {perf_counter() - began:.1f} s "
        f"({engine})"
    )


def _summary(contacts: object) -> Table:
    """Exposures and distinct people by degree and rule."""
    import pyarrow as pa

    assert isinstance(contacts, pa.Table)
    table = Table(title="Contacts by degree and rule")
    for header in ("degree", "rule", "exposures", "people"):
        table.add_column(header, justify="left" if header == "rule" else "right")
    grouped = contacts.group_by(["degree", "rule"]).aggregate(
        [([], "count_all"), ("contact_resident_id", "count_distinct")]
    )
    rows = sorted(
        zip(
            grouped.column("degree").to_pylist(),
            grouped.column("rule").to_pylist(),
            grouped.column("count_all").to_pylist(),
            grouped.column("contact_resident_id_count_distinct").to_pylist(),
            strict=True,
        )
    )
    for degree, rule, exposures, people in rows:
        label = "close" if degree == 1 else "secondary"
        table.add_row(f"{degree} ({label})", rule, f"{exposures:,}", f"{people:,}")
    return table
