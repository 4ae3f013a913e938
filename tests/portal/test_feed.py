"""The provincial and national feed: all rows or none, row-numbered errors, upsert on re-import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from epicontrol.core.errors import InvalidInput
from epicontrol.core.models import AuditEntry
from epicontrol.portal import feed, feed_cli
from epicontrol.portal.feed_models import FeedFigure
from tests.factories import City, login

SAMPLE = Path(__file__).resolve().parents[2] / "epicontrol/portal/data/feed_sample.csv"
HEADER = "level,region_code,region_name,day,confirmed,suspected,asymptomatic,cured,deaths,source\n"
GOOD = (
    HEADER
    + "province,420000,湖北省,2026-11-01,100,5,3,40,2,湖北省卫健委\n"
    + "province,420000,湖北省,2026-11-02,110,4,3,50,2,湖北省卫健委\n"
    + "nation,CN,全国,2026-11-02,900,20,11,300,9,国家卫健委\n"
)


def _post(client: TestClient, headers: dict[str, str], body: str, name: str = "feed.csv") -> dict:
    response = client.post(
        "/api/portal/feed", files={"file": (name, body.encode(), "text/csv")}, headers=headers
    )
    return {"status": response.status_code, **response.json()}


def _stored(db: Session) -> list[tuple]:
    db.expire_all()
    rows = db.execute(
        text(
            "SELECT level, region_code, day, confirmed, suspected, asymptomatic, cured, deaths"
            " FROM portal_feed_figures ORDER BY level, region_code, day"
        )
    ).all()
    return [tuple(str(value) for value in row) for row in rows]


def test_import_stores_rows_and_reimport_updates_in_place(
    client: TestClient, city: City, db: Session
) -> None:
    headers = login(client, "commander")
    first = _post(client, headers, GOOD)
    assert (first["status"], first["committed"], first["inserted"]) == (200, True, 3)
    assert len(_stored(db)) == 3

    again = _post(client, headers, GOOD)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)

    corrected = GOOD.replace("2026-11-02,110,4", "2026-11-02,112,4")
    changed = _post(
        client, headers, corrected + "nation,CN,全国,2026-11-03,950,1,1,300,9,国家卫健委\n"
    )
    assert (changed["inserted"], changed["updated"], changed["unchanged"]) == (1, 1, 2)
    rows = _stored(db)
    assert len(rows) == 4
    assert ("province", "420000", "2026-11-02", "112", "4", "3", "50", "2") in rows
    imports = db.scalars(select(AuditEntry).where(AuditEntry.entity == "portal_feed")).all()
    assert [(e.actor, e.outcome) for e in imports] == [("commander", "allowed")] * 3


def test_a_bad_row_refuses_the_whole_file_and_names_each_row(
    client: TestClient, city: City, db: Session
) -> None:
    headers = login(client, "commander")
    _post(client, headers, GOOD)
    before = _stored(db)
    for username in ("resident_wang", "epidemiologist"):  # only feed importers may import
        assert _post(client, login(client, username), GOOD)["status"] == 403
    anonymous = client.post("/api/portal/feed", files={"file": ("f.csv", GOOD.encode())})
    assert anonymous.status_code == 401
    bad = (
        HEADER
        + "province,420000,湖北省,2026-11-02,999,4,3,50,2,湖北省卫健委\n"  # fine alone
        + "county,420000,湖北省,2026-11-03,1,0,0,0,0,x\n"  # row 3
        + "province,42,湖北省,2026-11-03,1,0,0,0,0,x\n"  # row 4
        + "province,440000,广东省,2026-13-01,1,0,0,0,0,x\n"  # row 5
        + "province,440000,广东省,2026-11-03,-1,0,0,0,0,x\n"  # row 6
        + "province,440000,广东省,2026-11-04,5,0,0,4,2,x\n"  # row 7: cured + deaths > confirmed
        + "province,440000,广东省,2999-01-01,5,0,0,0,0,x\n"  # row 8: future
        + "province,420000,湖北省,2026-11-02,999,4,3,50,2,again\n"  # row 9: same as row 2
        + "province,440000,广东省,2026-11-05,5,0,0\n"  # row 10: short
    )
    refused = _post(client, headers, bad)
    assert refused["status"] == 422 and refused["committed"] is False
    problems = {(e["row"], e["column"]) for e in refused["errors"]}
    assert problems == {
        (3, "level"),
        (4, "region_code"),
        (5, "day"),
        (6, "confirmed"),
        (7, "cured"),
        (8, "day"),
        (9, "day"),
        (10, "*"),
    }
    assert _stored(db) == before
    outcome = db.scalars(
        select(AuditEntry.outcome).where(AuditEntry.entity == "portal_feed").order_by(AuditEntry.id)
    ).all()
    assert outcome == ["allowed", "refused"]
    not_a_feed = client.post(
        "/api/portal/feed", files={"file": ("f.csv", b"a,b\n1,2\n")}, headers=headers
    )
    assert not_a_feed.status_code == 422 and "missing: level" in not_a_feed.json()["detail"]
    assert _stored(db) == before


def test_a_file_that_is_not_a_feed_is_refused_with_a_message() -> None:
    for body, message in (
        ("", "is empty"),
        ("level,region_code\nprovince,420000\n", "missing: region_name"),
        (HEADER.replace("deaths", "dead"), "unknown: dead"),
        (HEADER, "no rows"),
    ):
        with pytest.raises(InvalidInput, match=message):
            feed.parse(body.encode(), file_name="feed.csv", today=date(2026, 12, 6))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        feed.parse(HEADER.encode("utf-16"), file_name="feed.csv", today=date(2026, 12, 6))


def test_cli_imports_the_sample_and_refuses_a_bad_file(
    db_url: str, db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EPICONTROL_DATABASE_URL", db_url)
    from epicontrol.core.settings import get_settings

    get_settings.cache_clear()
    try:
        assert feed_cli.run_import(SAMPLE, by="feed-operator") == 0
        count = db.scalar(select(FeedFigure.id).order_by(FeedFigure.id.desc()).limit(1))
        assert count == 180  # 5 provinces and the nation, 30 days
        bad = tmp_path / "bad.csv"
        bad.write_text(HEADER + "province,420000,湖北省,2026-11-01,x,0,0,0,0,s\n")
        assert feed_cli.run_import(bad) == 1
        assert feed_cli.run_import(SAMPLE) == 0  # again: every row unchanged
        assert len(_stored(db)) == 180
    finally:
        get_settings.cache_clear()
