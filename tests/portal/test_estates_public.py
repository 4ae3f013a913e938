"""Public search of housing estates with cases: typo tolerance, only estates with infections,
first and latest case dates, no personal data."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import City
from tests.portal.test_clinics_setup import FIRST, LATEST, add_estates


def _names(client: TestClient, query: str) -> list[str]:
    response = client.get("/api/public/estates", params={"q": query})
    assert response.status_code == 200, response.text
    return [e["name"] for e in response.json()]


def test_typo_tolerant_search_of_estates_with_infections_and_their_dates(
    client: TestClient, db: Session, city: City
) -> None:
    ids = add_estates(db, city)
    # Every affected estate when nothing is typed, the latest case first.
    assert _names(client, "") == ["阳光花园", "锦绣华庭"]
    assert _names(client, "阳光花园") == ["阳光花园"]
    assert _names(client, "阳光花元") == ["阳光花园"]  # one wrong character
    assert _names(client, "光阳花园") == ["阳光花园"]  # two characters swapped
    assert _names(client, "锦秀华庭") == ["锦绣华庭"]  # a homophone typed by pinyin input
    assert _names(client, "金水路") == ["锦绣华庭"]  # by address
    assert _names(client, "金水路88") == ["锦绣华庭"]
    # 东湖小区 has only a suspected case, 幸福家园 none: never listed, however well typed.
    assert _names(client, "东湖小区") == []
    assert _names(client, "幸福家园") == []
    assert _names(client, "人民公园") == []
    assert _names(client, "xyz") == []
    found = client.get("/api/public/estates", params={"q": "阳光"}).json()
    assert len(found) == 1
    estate = found[0]
    # A recovered case counts (it was an infection); the later discarded one does not.
    assert (estate["first_case_on"], estate["latest_case_on"]) == (
        FIRST.isoformat(),
        LATEST.isoformat(),
    )
    assert estate["estate_id"] == ids["阳光花园"] and estate["address"] == "文化路12号"
    assert set(estate) == {
        "estate_id",
        "name",
        "address",
        "community",
        "first_case_on",
        "latest_case_on",
        "score",
    }  # nothing about the residents
    assert "public" in client.get("/api/public/estates").headers["cache-control"]
    too_long = client.get("/api/public/estates", params={"q": "长" * 61})
    assert too_long.status_code == 422


def test_estates_page_in_both_languages(client: TestClient, db: Session, city: City) -> None:
    add_estates(db, city)
    page = client.get("/public/estates", params={"q": "阳光花元", "lang": "en"})
    assert page.status_code == 200
    assert "Housing estates with cases" in page.text
    assert f"First case reported on {FIRST.isoformat()}" in page.text
    assert f"Latest case reported on {LATEST.isoformat()}" in page.text
    assert "王" not in page.text  # no resident's name, masked or not
    page = client.get("/public/estates", params={"q": "东湖小区", "lang": "zh"})
    assert "涉疫小区" in page.text and "没有相符的涉疫小区" in page.text
