"""The daily briefing: the page shows the division's figures (checked against plain SQL counts),
the command line writes an offline HTML file and a PDF, and access stops at the caller's scope."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import typer
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.analytics.briefing import compute_data
from epicontrol.cases.models import Case
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings, get_settings
from epicontrol.divisions.models import Division
from tests.factories import City, login

DAY = date(2020, 2, 10)
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
# Cases reported per day in grid g1 (district d1) over the three weeks to DAY: growing.
GROWING = [1, 0, 1, 1, 2, 1, 2, 3, 2, 3, 4, 3, 5, 4, 6, 5, 7, 8, 7, 9, 10]


def add_cases(db: Session, city: City) -> None:
    """A growing epidemic in d1 (grid g1) and a few cases in d2 (grid g4), several statuses."""
    first = DAY - timedelta(days=len(GROWING) - 1)
    for offset, count in enumerate(GROWING):
        for n in range(count):
            status = "asymptomatic" if n % 4 == 3 else "confirmed"
            _case(db, city, "wang_father", "g1", first + timedelta(days=offset), status)
    _case(db, city, "m3_resident", "g4", DAY - timedelta(days=2), "confirmed")
    _case(db, city, "m3_resident", "g4", DAY, "suspected")
    _case(db, city, "m3_resident", "g4", DAY - timedelta(days=5), "recovered")
    _case(db, city, "m3_resident", "g4", DAY - timedelta(days=1), "discarded")
    db.commit()


def _case(db: Session, city: City, resident: str, grid: str, reported: date, status: str) -> None:
    db.add(
        Case(
            case_number=f"C2020-{uuid4().hex[:8]}",
            resident_id=city.residents[resident],
            division_id=city.divisions[grid],
            status=status,
            onset_date=None if status == "asymptomatic" else reported - timedelta(days=3),
            sampling_date=reported - timedelta(days=1),
            report_date=reported,
            created_by="epidemiologist",
        )
    )


def _sql_counts(db: Session, path_prefix: str) -> dict[str, int]:
    """Independent counts of the subtree's cases by plain SQL (not our services)."""
    rows = db.execute(
        text(
            """
            SELECT c.status, c.report_date, c.onset_date FROM cases c
            JOIN divisions d ON d.id = c.division_id
            WHERE d.path LIKE :prefix AND c.report_date <= :day
            """
        ),
        {"prefix": path_prefix + "%", "day": DAY},
    ).all()
    confirmed = [
        r for r in rows if r[0] in ("confirmed", "deceased") or (r[0] == "recovered" and r[2])
    ]
    return {
        "confirmed": len(confirmed),
        "confirmed_new": sum(1 for r in confirmed if str(r[1])[:10] == DAY.isoformat()),
        "asymptomatic": sum(1 for r in rows if r[0] == "asymptomatic"),
        "suspected": sum(1 for r in rows if r[0] == "suspected"),
    }


def _tile(html: str, label: str) -> tuple[int, int | None]:
    """The total and the new count shown on the key-figure tile with this label."""
    match = re.search(
        re.escape(label) + r'</div>\s*<div><span class="value">([\d,]+)</span>'
        r'(?:<span class="new">\+([\d,]+)</span>)?',
        html,
    )
    assert match, f"no tile {label}"
    new = match.group(2)
    return int(match.group(1).replace(",", "")), None if new is None else int(new.replace(",", ""))


def _path(db: Session, city: City, name: str) -> str:
    return str(
        db.scalar(text("SELECT path FROM divisions WHERE id = :id"), {"id": city.divisions[name]})
    )


def test_briefing_page_shows_the_divisions_figures(
    client: TestClient, db: Session, city: City
) -> None:
    add_cases(db, city)
    commander = login(client, "commander")
    for name in ("city", "d1", "d2"):
        response = client.get(
            "/dashboard/briefing",
            params={"division_id": city.divisions[name], "day": DAY},
            headers=commander,
        )
        assert response.status_code == 200, response.text
        html = response.text
        expected = _sql_counts(db, _path(db, city, name))
        assert _tile(html, "确诊 confirmed") == (expected["confirmed"], expected["confirmed_new"])
        assert _tile(html, "无症状感染者 asymptomatic")[0] == expected["asymptomatic"]
        assert _tile(html, "疑似 suspected")[0] == expected["suspected"]
        assert f'<strong id="briefing-division">测试{name}</strong>' in html
        assert html.count('class="plotly-graph-div"') >= 5
        assert "/static/vendor/plotly.min.js" in html
    # The city's table lists both districts with their case counts (d1: all of GROWING).
    city_page = client.get(
        "/dashboard/briefing",
        params={"division_id": city.divisions["city"], "day": DAY},
        headers=commander,
    ).text
    d1_row = re.search(
        rf'data-division-id="{city.divisions["d1"]}">.*?</tr>', city_page, flags=re.S
    )
    assert d1_row and f">{sum(GROWING)}</td>" in d1_row.group(0)
    # Growing cases give an Rt, a doubling time and a forecast.
    assert 'id="reading-rt"' in city_page and "95% CrI" in city_page
    assert "倍增时间 doubling time" in city_page
    assert 'id="forecast-table"' in city_page


def test_briefing_readings_are_the_dashboards(
    client: TestClient, db: Session, city: City, settings: Settings
) -> None:
    add_cases(db, city)
    division = db.get_one(Division, city.divisions["d1"])
    data = compute_data(db, division=division, day=DAY, settings=settings)
    page = client.get(
        "/dashboard/briefing",
        params={"division_id": division.id, "day": DAY},
        headers=login(client, "epidemiologist"),
    ).text
    latest, growth = data.rt[-1], data.growth
    assert growth is not None and growth.is_growing
    reading = re.search(r'id="reading-rt">.*?</div>\s*</div>', page, flags=re.S)
    assert reading and f"{latest.mean:.2f}" in reading.group(0)
    assert f"95% CrI {latest.lower:.2f}–{latest.upper:.2f}" in reading.group(0)
    assert f'<span class="value">{growth.days:.1f}</span> 天 days' in page
    table = re.search(r'<table id="forecast-table">.*?</table>', page, flags=re.S)
    assert table is not None
    for point in data.forecast:
        assert (
            f'<td>{point.day.isoformat()}</td><td class="num">{point.median:.0f}</td>'
            in table.group(0)
        )
    assert len(data.forecast) == 7


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_briefing_pdf_button_gives_a_pdf(client: TestClient, db: Session, city: City) -> None:
    add_cases(db, city)
    commander = login(client, "commander")
    before = client.get("/dashboard/briefing", params={"day": DAY}, headers=commander)
    assert 'id="briefing-map"' not in before.text  # nothing to draw: no coordinates
    for name, (latitude, longitude) in {"d1": (34.75, 113.62), "d2": (34.80, 113.70)}.items():
        db.get_one(Division, city.divisions[name]).latitude = latitude
        db.get_one(Division, city.divisions[name]).longitude = longitude
    db.commit()
    page = client.get("/dashboard/briefing", params={"day": DAY}, headers=commander)
    assert 'id="briefing-map"' in page.text
    link = re.search(r'href="(/dashboard/briefing\.pdf\?[^"]+)" id="briefing-pdf"', page.text)
    assert link, "the page links its PDF"
    pdf = client.get(link.group(1).replace("&amp;", "&"), headers=commander)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 50_000
    assert f"briefing-{city.divisions['city']}-{DAY}" in pdf.headers["content-disposition"]


def test_briefing_out_of_scope_is_refused_and_audited(
    client: TestClient, db: Session, city: City
) -> None:
    add_cases(db, city)
    officer = login(client, "officer_m3")
    own = client.get("/dashboard/briefing", params={"day": DAY}, headers=officer)
    assert own.status_code == 200 and "测试m3" in own.text
    other = client.get(
        "/dashboard/briefing",
        params={"division_id": city.divisions["d1"], "day": DAY},
        headers=officer,
    )
    assert other.status_code == 403
    pdf = client.get(
        "/dashboard/briefing.pdf", params={"division_id": city.divisions["city"]}, headers=officer
    )
    assert pdf.status_code == 403
    db.expire_all()
    outcomes = db.execute(
        select(AuditEntry.outcome, AuditEntry.entity).where(AuditEntry.actor == "officer_m3")
    ).all()
    assert ("allowed", "briefing") in outcomes
    assert ("denied", "division") in outcomes


def test_briefing_needs_dashboard_permission(client: TestClient, city: City) -> None:
    worker = login(client, "gridworker_g1")
    assert client.get("/dashboard/briefing", headers=worker).status_code == 403


def _cli() -> typer.Typer:
    from epicontrol.analytics.briefing_cli import briefing_command

    app = typer.Typer()
    app.command("briefing")(briefing_command)
    app.command("unused")(lambda: None)  # two commands, so "briefing" is a subcommand as in cli.py
    return app


@pytest.fixture
def cli_store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """The command line pointed at the test store."""
    monkeypatch.setenv("EPICONTROL_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# Printing does not depend on the store: the pages above run on both, the printer on SQLite.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.usefixtures("cli_store")
def test_cli_writes_an_offline_html_file_and_a_pdf(
    db: Session, city: City, tmp_path: Path, browser: Browser
) -> None:
    add_cases(db, city)
    html_file, pdf_file = tmp_path / "briefing.html", tmp_path / "briefing.pdf"
    args = ["briefing", "--division", "410100", "--day", DAY.isoformat()]

    written = CliRunner().invoke(_cli(), [*args, "--out", str(html_file)])
    assert written.exit_code == 0, written.output
    html = html_file.read_text(encoding="utf-8")
    expected = _sql_counts(db, _path(db, city, "city"))
    assert _tile(html, "确诊 confirmed") == (expected["confirmed"], expected["confirmed_new"])
    assert "/static/vendor/plotly.min.js" not in html  # plotly.js is inside the file
    assert len(html) > 3_000_000 and "Plotly.newPlot" in html
    charts = _drawn_offline(browser, html_file)
    assert charts == html.count('class="plotly-graph-div"') >= 5

    printed = CliRunner().invoke(_cli(), [*args, "--out", str(pdf_file)])
    assert printed.exit_code == 0, printed.output
    content = pdf_file.read_bytes()
    assert content.startswith(b"%PDF-") and len(content) > 50_000
    # Key figures and charts on the first page; the map and the subdivisions on the second.
    assert len(re.findall(rb"/Type\s*/Page[^s]", content)) >= 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf_file, ARTIFACTS / "briefing.pdf")  # for a person to look at
    shutil.copyfile(html_file, ARTIFACTS / "briefing.html")


def _drawn_offline(browser: Browser, html_file: Path) -> int:
    """Charts plotly drew in the file opened with every request refused; a print screenshot."""
    context = browser.new_context(viewport={"width": 820, "height": 1160})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        page.goto(html_file.as_uri())
        page.emulate_media(media="print")
        page.wait_for_function("document.querySelectorAll('.main-svg').length > 0")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "briefing.png"), full_page=True)
        drawn: int = page.evaluate(
            "[...document.querySelectorAll('.plotly-graph-div')]"
            ".filter(div => div.querySelector('.main-svg')).length"
        )
        return drawn
    finally:
        context.close()


@pytest.mark.usefixtures("cli_store")
def test_cli_explains_bad_input_and_a_missing_chromium(city: City, tmp_path: Path) -> None:
    pdf_file = tmp_path / "b.pdf"
    unknown = CliRunner().invoke(_cli(), ["briefing", "--division", "999", "--out", str(pdf_file)])
    assert unknown.exit_code == 2 and "does not exist" in unknown.output
    bad_day = CliRunner().invoke(
        _cli(), ["briefing", "--division", "410100", "--day", "10/2", "--out", str(pdf_file)]
    )
    assert bad_day.exit_code == 2 and "YYYY-MM-DD" in bad_day.output
    wrong = CliRunner().invoke(
        _cli(), ["briefing", "--division", "410100", "--out", str(tmp_path / "b.docx")]
    )
    assert wrong.exit_code == 2 and ".pdf or .html" in wrong.output
    missing = CliRunner().invoke(
        _cli(),
        [
            "briefing",
            "--division",
            "410100",
            "--out",
            str(pdf_file),
            "--chromium",
            str(tmp_path / "no-chromium"),
        ],
    )
    assert missing.exit_code == 2 and "chromium not found" in missing.output
    assert not pdf_file.exists()
