"""`epicontrol briefing`: the daily briefing of a division as an offline HTML file or a PDF."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from epicontrol.core.settings import get_settings

console = Console(stderr=True, soft_wrap=True)
ACTOR = "epicontrol briefing (command line)"
SUFFIXES = (".html", ".htm", ".pdf")


def _parse_day(value: str | None) -> date:
    from epicontrol.core.db import utcnow
    from epicontrol.core.local_time import local_date

    if value is None:
        return local_date(utcnow())
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date YYYY-MM-DD") from None


def briefing_command(
    division: Annotated[str, typer.Option(help="code of the division (e.g. 410100)")],
    out: Annotated[Path, typer.Option(dir_okay=False, help="FILE.pdf or FILE.html")],
    day: Annotated[
        str | None, typer.Option(help="local (China) day YYYY-MM-DD; default today")
    ] = None,
    chromium: Annotated[
        Path | None, typer.Option(dir_okay=False, help="chromium binary; default /usr/bin/chromium")
    ] = None,
) -> None:
    """Write the daily briefing of a division and day: key figures, curves, Rt, forecast, map."""
    from epicontrol.analytics.briefing_pdf import find_chromium

    if out.suffix.lower() not in SUFFIXES:
        raise typer.BadParameter("--out must end in .pdf or .html", param_hint="--out")
    on_day = _parse_day(day)
    as_pdf = out.suffix.lower() == ".pdf"
    from epicontrol.core.errors import EpicontrolError

    try:
        # Before any work: a missing chromium should not cost a computed briefing.
        binary = find_chromium(chromium) if as_pdf else None
        with console.status("计算简报 computing the briefing…"):
            html, name = _render(division, on_day)
        if as_pdf and binary is not None:
            size = _write_pdf(html, out, binary)
        else:
            out.write_text(html, encoding="utf-8")
            size = out.stat().st_size
    except EpicontrolError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(code=2) from None
    console.print(f"wrote {out} ({size / 1024:,.0f} KiB): briefing of {name} for {on_day}")


def _render(code: str, day: date) -> tuple[str, str]:
    """The briefing page with plotly.js inlined, and the division's name; the read is audited."""
    from epicontrol.analytics import briefing
    from epicontrol.core import audit, migrate
    from epicontrol.core.db import engine_for, session_factory, utcnow
    from epicontrol.divisions import service as divisions

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    with session_factory(engine_for(settings.database_url))() as db:
        division = divisions.get_by_code(db, code=code)
        data = briefing.compute_data(db, division=division, day=day, settings=settings)
        features = briefing.map_features(db, division)
        audit.record(
            db,
            actor=ACTOR,
            action="read",
            entity="briefing",
            entity_id=division.id,
            purpose=ACTOR,
            detail={"day": day.isoformat()},
        )
        db.commit()
        html = briefing.render_html(data, features=features, generated_at=utcnow(), plotly="inline")
        return html, division.name


def _write_pdf(html: str, out: Path, binary: Path) -> int:
    from epicontrol.analytics.briefing_pdf import print_pdf

    with tempfile.TemporaryDirectory(prefix="epicontrol-briefing-") as folder:
        page = Path(folder) / "briefing.html"
        page.write_text(html, encoding="utf-8")
        with console.status("用 chromium 打印 PDF printing the PDF with chromium…"):
            return print_pdf(page, out, chromium=binary)
