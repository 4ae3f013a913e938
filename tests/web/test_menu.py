"""The start page links each role to the pages it may open, and every link leads to a page."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from epicontrol.core.settings import Settings
from epicontrol.web.app import create_app
from epicontrol.web.menu import LINKS
from tests.factories import City, login
from tests.web.test_route_policy import api_routes


def test_every_link_is_a_page_of_the_app(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    pages = {path for path, route in api_routes(app) if "GET" in route.methods}
    missing = [link.path for link in LINKS if link.path.split("?")[0] not in pages]
    assert missing == []


def test_resident_and_epidemiologist_see_their_own_tools(client: TestClient, city: City) -> None:
    resident_home = client.get("/", headers=login(client, "resident_wang")).text
    assert 'href="/daily-report"' in resident_home
    assert 'href="/cases"' not in resident_home
    assert 'href="/public/masks"' in resident_home and 'href="/public/me/travel"' in resident_home
    epidemiologist_home = client.get("/", headers=login(client, "epidemiologist")).text
    assert 'href="/cases"' in epidemiologist_home
    assert 'href="/daily-report"' not in epidemiologist_home
    assert 'href="/itineraries"' in epidemiologist_home
    assert 'href="/public/masks"' not in epidemiologist_home
