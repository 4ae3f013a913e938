"""List matching reveals which of the agency's rows are under watch and nothing else; statistics."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from epicontrol.exchange.models import ExchangeRequest
from epicontrol.health_code.models import RiskStatus
from tests.exchange.conftest import D1, GrantMaker
from tests.factories import City, login, resident_id
from tests.health_code.records import add_case, add_contact

MATCH = "/api/exchange/match"


def _watch(db: Session, city: City) -> None:
    """wang_father red, m3_resident red (outside d1), neighbour a close contact (so red too),
    wang_mother green."""
    for who, colour in (("wang_father", "red"), ("m3_resident", "red"), ("wang_mother", "green")):
        db.add(RiskStatus(resident_id=city.residents[who], colour=colour, reason="test"))
    add_contact(db, add_case(db, city.residents["m2_resident"]), city.residents["neighbour"])
    db.commit()


def _upload(
    rows: list[str], header: str = "id_number,name,train,date"
) -> dict[str, tuple[str, bytes, str]]:
    text = "\n".join([header, *rows]) + "\n"
    return {"file": ("passengers.csv", text.encode(), "text/csv")}


def test_matching_names_only_the_rows_under_watch(
    client: TestClient, city: City, db: Session, grant_of: GrantMaker, liaison: dict[str, str]
) -> None:
    _watch(db, city)
    stranger = resident_id("110101", "19800101", 17)  # a valid ID of nobody in the register
    ids = city.id_numbers
    passengers = [
        f"{ids['wang_father']},王建国,G101,2026-12-06",  # line 2: red
        f"{ids['wang_mother']},李秀英,G101,2026-12-06",  # line 3: green
        f"{ids['neighbour']},张伟,G102,2026-12-06",  # line 4: close contact
        f"{ids['m3_resident']},陈静,G103,2026-12-06",  # line 5: red but outside the grant
        f"{stranger},某人,G104,2026-12-06",  # line 6: unknown
    ]
    assert client.post(MATCH, headers=liaison, files=_upload(passengers)).status_code == 403

    grant = grant_of("watch_list", ["under_watch", "colour"], [D1], agency="rail")
    answer = client.post(MATCH, headers=liaison, files=_upload(passengers))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "grant_id": grant["id"],
        "rows": 5,
        "matched": [{"row": 2, "colour": "red"}, {"row": 4, "colour": "red"}],
    }
    for secret in (*ids.values(), stranger, "王建国", "G101"):
        assert secret not in answer.text

    grant_of("watch_list", ["under_watch"], [D1], agency="transport")
    plain = client.post(MATCH, headers=liaison, files=_upload(passengers), data={"grant_id": "999"})
    assert plain.status_code == 403
    newest = client.get("/api/exchange/grants", headers=liaison).json()[0]["id"]
    plain = client.post(
        MATCH, headers=liaison, files=_upload(passengers), data={"grant_id": str(newest)}
    )
    assert plain.json()["matched"] == [{"row": 2}, {"row": 4}]

    audited = db.scalars(
        select(AuditEntry.entity_id).where(
            AuditEntry.action == "exchange:match", AuditEntry.entity == "resident"
        )
    ).all()
    assert sorted(audited) == sorted(
        [str(city.residents["wang_father"]), str(city.residents["neighbour"])] * 2
    )
    logged = db.scalars(select(ExchangeRequest).where(ExchangeRequest.status == 200)).all()
    assert [(r.kind, r.rows, r.note) for r in logged] == [("match", 5, "2 matched")] * 2
    stored = " ".join(
        f"{e.detail} {e.purpose}" for e in db.scalars(select(AuditEntry)).all()
    ) + " ".join(r.note for r in db.scalars(select(ExchangeRequest)).all())
    assert all(number not in stored for number in (*ids.values(), stranger))


def test_a_bad_list_is_refused_with_its_row_numbers_and_matches_nothing(
    client: TestClient, city: City, db: Session, grant_of: GrantMaker, liaison: dict[str, str]
) -> None:
    _watch(db, city)
    grant_of("watch_list", ["under_watch"], [D1], agency="rail")
    ids = city.id_numbers
    rows = [f"{ids['wang_father']},a", "12345,b", f"{ids['neighbour'][:-1]}0,c", ",d"]
    answer = client.post(MATCH, headers=liaison, files=_upload(rows, header="id_number,name"))
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert (
        "row 3:" in detail and "row 4:" in detail and "row 5:" in detail and "row 2" not in detail
    )
    assert "nothing was matched" in detail
    no_column = client.post(MATCH, headers=liaison, files=_upload(rows, header="passport,name"))
    assert no_column.status_code == 422 and "row 1" in no_column.text
    binary = {"file": ("x.csv", b"id_number\n\xff\xfe\x00", "text/csv")}
    assert client.post(MATCH, headers=liaison, files=binary).status_code == 422
    assert db.scalars(select(AuditEntry).where(AuditEntry.entity == "resident")).all() == []


def test_statistics_page_and_api_count_requests_by_agency_and_dataset(
    client: TestClient, city: City, grant_of: GrantMaker, liaison: dict[str, str]
) -> None:
    grant_of("case_counts", ["division_code", "cases"], [D1], agency="rail")
    export = "/api/exchange/datasets/case_counts/export"
    assert client.get(export, headers=liaison).status_code == 200
    assert client.get(export, headers=liaison, params={"fields": "status"}).status_code == 403
    commander = login(client, "commander")
    lines = client.get("/api/exchange/stats", headers=commander).json()
    assert [(x["agency"], x["dataset"], x["requests"], x["refused"]) for x in lines] == [
        ("rail", "case_counts", 2, 1)
    ]
    assert client.get("/api/exchange/stats", headers=liaison).status_code == 403
    page = client.get("/exchange/stats", headers=commander | {"Accept": "text/html"})
    assert page.status_code == 200
    assert (
        'id="exchange-chart-requests"' in page.text and "/static/vendor/plotly.min.js" in page.text
    )
    assert "<td>rail</td><td>case_counts</td>" in page.text
    anonymous = client.get(
        "/exchange/stats", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
